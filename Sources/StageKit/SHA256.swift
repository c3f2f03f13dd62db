/// An incremental SHA-256 (FIPS 180-4) over bytes fed in any number of pieces.
///
/// Chunk files and downloads are identified by this digest.
package struct SHA256: Sendable {
  private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (
    0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a,
    0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19
  )
  private var pending = [UInt8](repeating: 0, count: 64)
  private var pendingCount = 0
  private var totalBytes: UInt64 = 0

  package init() {}

  /// Adds `bytes` to the digest.
  package mutating func update(_ bytes: UnsafeRawBufferPointer) {
    guard var base = bytes.baseAddress else { return }
    var remaining = bytes.count
    totalBytes &+= UInt64(remaining)

    if pendingCount > 0 {
      let take = min(64 - pendingCount, remaining)
      pending.withUnsafeMutableBytes { buffer in
        UnsafeMutableRawBufferPointer(rebasing: buffer[pendingCount...])
          .copyMemory(from: UnsafeRawBufferPointer(start: base, count: take))
      }
      pendingCount += take
      base += take
      remaining -= take
      guard pendingCount == 64 else { return }
      pending.withUnsafeBytes { block in
        if let start = block.baseAddress { compress(blocks: start, count: 1) }
      }
      pendingCount = 0
    }

    let wholeBlocks = remaining / 64
    if wholeBlocks > 0 {
      compress(blocks: base, count: wholeBlocks)
      base += wholeBlocks * 64
      remaining -= wholeBlocks * 64
    }
    if remaining > 0 {
      pending.withUnsafeMutableBytes {
        $0.copyMemory(from: UnsafeRawBufferPointer(start: base, count: remaining))
      }
      pendingCount = remaining
    }
  }

  /// Adds the bytes of `array` to the digest.
  package mutating func update(_ array: [UInt8]) {
    array.withUnsafeBytes { update($0) }
  }

  /// Pads the message and returns the 32-byte digest; the value is spent.
  package mutating func finalize() -> [UInt8] {
    let bitLength = totalBytes &* 8
    var padding: [UInt8] = [0x80]
    let afterMarker = (pendingCount + 1) % 64
    let zeros = afterMarker <= 56 ? 56 - afterMarker : 120 - afterMarker
    padding += [UInt8](repeating: 0, count: zeros)
    for shift in stride(from: 56, through: 0, by: -8) {
      padding.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
    }
    let savedTotal = totalBytes
    update(padding)
    totalBytes = savedTotal

    var digest: [UInt8] = []
    digest.reserveCapacity(32)
    for word in [state.0, state.1, state.2, state.3, state.4, state.5, state.6, state.7] {
      digest += [
        UInt8(word >> 24), UInt8(truncatingIfNeeded: word >> 16),
        UInt8(truncatingIfNeeded: word >> 8), UInt8(truncatingIfNeeded: word),
      ]
    }
    return digest
  }

  /// Pads the message and returns the digest as 64 lowercase hex digits.
  package mutating func finalizeHex() -> String {
    SHA256.hex(finalize())
  }

  /// Formats bytes as lowercase hex digits.
  package static func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    text.reserveCapacity(bytes.count * 2)
    for byte in bytes {
      text.append(digits[Int(byte >> 4)])
      text.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: text, as: UTF8.self)
  }

  private static let roundConstants: [UInt32] = [
    0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4,
    0xab1c_5ed5, 0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe,
    0x9bdc_06a7, 0xc19b_f174, 0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f,
    0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da, 0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7,
    0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967, 0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc,
    0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85, 0xa2bf_e8a1, 0xa81a_664b,
    0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070, 0x19a4_c116,
    0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
    0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7,
    0xc671_78f2,
  ]

  /// Runs the compression function over `count` consecutive 64-byte blocks.
  private mutating func compress(blocks: UnsafeRawPointer, count: Int) {
    var schedule = (
      UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0),
      UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0)
    )
    Self.roundConstants.withUnsafeBufferPointer { k in
      withUnsafeMutableBytes(of: &schedule) { scheduleBytes in
        let w = scheduleBytes.bindMemory(to: UInt32.self)
        for block in 0..<count {
          let input = blocks + block * 64
          var (a, b, c, d, e, f, g, h) = state
          for t in 0..<64 {
            let word: UInt32
            if t < 16 {
              word = UInt32(bigEndian: input.loadUnaligned(fromByteOffset: t * 4, as: UInt32.self))
            } else {
              let w15 = w[(t - 15) & 15]
              let w2 = w[(t - 2) & 15]
              let s0 = w15.rotatedRight(7) ^ w15.rotatedRight(18) ^ (w15 >> 3)
              let s1 = w2.rotatedRight(17) ^ w2.rotatedRight(19) ^ (w2 >> 10)
              word = w[t & 15] &+ s0 &+ w[(t - 7) & 15] &+ s1
            }
            w[t & 15] = word
            let sum1 = e.rotatedRight(6) ^ e.rotatedRight(11) ^ e.rotatedRight(25)
            let choice = (e & f) ^ (~e & g)
            let temp1 = h &+ sum1 &+ choice &+ k[t] &+ word
            let sum0 = a.rotatedRight(2) ^ a.rotatedRight(13) ^ a.rotatedRight(22)
            let majority = (a & b) ^ (a & c) ^ (b & c)
            let temp2 = sum0 &+ majority
            h = g
            g = f
            f = e
            e = d &+ temp1
            d = c
            c = b
            b = a
            a = temp1 &+ temp2
          }
          state = (
            state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d,
            state.4 &+ e, state.5 &+ f, state.6 &+ g, state.7 &+ h
          )
        }
      }
    }
  }
}

extension UInt32 {
  @inline(__always)
  fileprivate func rotatedRight(_ count: UInt32) -> UInt32 {
    (self >> count) | (self << (32 - count))
  }
}
