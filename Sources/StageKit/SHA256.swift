import CCrypto

/// An incremental SHA-256 over bytes fed in any number of pieces.
///
/// Chunk files and downloads are identified by this digest. It runs on
/// libcrypto's `EVP_sha256`, which uses the CPU's SHA extensions where
/// present and is several times faster than portable code.
package final class SHA256 {
  private let context: OpaquePointer

  package init() {
    // EVP_MD_CTX_new fails only when memory is exhausted.
    guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new: out of memory") }
    self.context = context
    EVP_DigestInit_ex(context, EVP_sha256(), nil)
  }

  deinit {
    EVP_MD_CTX_free(context)
  }

  /// Adds `bytes` to the digest with `EVP_DigestUpdate`.
  package func update(_ bytes: UnsafeRawBufferPointer) {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return }
    EVP_DigestUpdate(context, base, bytes.count)
  }

  /// Adds the bytes of `array` to the digest.
  package func update(_ array: [UInt8]) {
    array.withUnsafeBytes { update($0) }
  }

  /// Returns the 32-byte digest with `EVP_DigestFinal_ex`; the object is
  /// spent afterwards.
  package func finalize() -> [UInt8] {
    var digest = [UInt8](repeating: 0, count: 32)
    var length: UInt32 = 0
    EVP_DigestFinal_ex(context, &digest, &length)
    return digest
  }

  /// Returns the digest as 64 lowercase hex digits; the object is spent afterwards.
  package func finalizeHex() -> String {
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
}
