import CScan
import Testing

@testable import Splitting

/// A 16-byte scan from `CScan`: copies 16 bytes from the source to the
/// destination and returns the mask of the lanes in its byte class.
private typealias BlockScan = (UnsafeMutablePointer<UInt8>, UnsafePointer<UInt8>) -> UInt32

/// Runs `scan` on `block` placed `offset` bytes into a source buffer.
///
/// Records a failure when the copy differs from `block` or when a byte
/// around the 16 copied ones changed.
///
/// - Returns: The mask that `scan` returned.
private func run(_ scan: BlockScan, on block: [UInt8], offset: Int) -> UInt32 {
  let guardByte: UInt8 = 0xa5
  var source = [UInt8](repeating: 0x41, count: 48)
  source.replaceSubrange(offset..<offset + 16, with: block)
  var destination = [UInt8](repeating: guardByte, count: 48)
  let mask = source.withUnsafeBufferPointer { from in
    destination.withUnsafeMutableBufferPointer { to in
      guard let fromBase = from.baseAddress, let toBase = to.baseAddress else { return UInt32(0) }
      return scan(toBase + offset, fromBase + offset)
    }
  }
  #expect(Array(destination[offset..<offset + 16]) == block, "copy at offset \(offset)")
  let outside = destination[..<offset] + destination[(offset + 16)...]
  #expect(outside.allSatisfy { $0 == guardByte }, "bytes around the copy at offset \(offset)")
  return mask
}

/// Returns the mask that marks exactly the lanes whose byte passes `rule`.
private func expectedMask(_ block: [UInt8], _ rule: (UInt8) -> Bool) -> UInt32 {
  block.enumerated().reduce(0) { rule($1.element) ? $0 | 1 << UInt32($1.offset) : $0 }
}

/// Returns the blocks on which `scan` disagrees with `rule`: every byte
/// value in every lane, among neighbours of several kinds, at source and
/// destination offsets from 0 to 15.
private func mismatches(_ scan: BlockScan, _ rule: (UInt8) -> Bool) -> [[UInt8]] {
  let neighbours: [UInt8] = [0x00, 0x02, 0x09, 0x20, 0x2c, 0x41, 0x5c, 0x7b, 0x7f, 0x80, 0xff]
  var found: [[UInt8]] = []
  for neighbour in neighbours {
    for lane in 0..<16 {
      for byte in 0...255 {
        var block = [UInt8](repeating: neighbour, count: 16)
        block[lane] = UInt8(byte)
        let offset = (byte + lane) % 16
        if run(scan, on: block, offset: offset) != expectedMask(block, rule) {
          found.append(block)
        }
      }
    }
  }
  return found
}

private func isTextStop(_ byte: UInt8) -> Bool {
  byte < 0x0e || byte == 0x5c || byte >= 0x80
}

private func isListCandidate(_ byte: UInt8) -> Bool {
  byte < 0x2d || byte == 0x5c || byte >= 0x7b
}

private func isArrayStop(_ byte: UInt8, separator: UInt8) -> Bool {
  byte <= 0x20 || byte >= 0x80 || byte == separator
    || [UInt8]("\",\\{}".utf8).contains(byte)
}

@Suite struct BlockScanTests {
  @Test("text stops, SSE2 form")
  func textStops() {
    #expect(mismatches(stageload_copy16_text_stops, isTextStop).isEmpty)
  }

  @Test("text stops, scalar form")
  func textStopsScalar() {
    #expect(mismatches(stageload_copy16_text_stops_scalar, isTextStop).isEmpty)
  }

  @Test("list candidates, SSE2 form")
  func listCandidates() {
    #expect(mismatches(stageload_copy16_list_candidates, isListCandidate).isEmpty)
  }

  @Test("list candidates, scalar form")
  func listCandidatesScalar() {
    #expect(mismatches(stageload_copy16_list_candidates_scalar, isListCandidate).isEmpty)
  }

  @Test("list candidates cover special bytes")
  func listCandidatesCoverSpecial() {
    for byte in 0...255 where ArraySpecialBytes.shared.table[byte] != 0 || byte == 0x2c {
      #expect(isListCandidate(UInt8(byte)), "byte \(byte)")
    }
  }

  @Test("array stops match WordScan.arrayStops")
  func arrayStopsRule() {
    // The rule above, with a comma as the separator, is the byte set that
    // the word scan uses.
    for byte in 0...255 {
      let word = UInt64(byte) | 0x4141_4141_4141_4100
      let marked = WordScan.arrayStops(word) == 0x80
      #expect(marked == isArrayStop(UInt8(byte), separator: 0x2c), "byte \(byte)")
    }
  }

  @Test("array stops, SSE2 and scalar forms", arguments: [0x02, 0x2c, 0x3b, 0x7c, 0x41, 0xff])
  func arrayStops(separator: UInt8) {
    let rule = { isArrayStop($0, separator: separator) }
    let sse2 = mismatches({ stageload_copy16_array_stops($0, $1, separator) }, rule)
    #expect(sse2.isEmpty)
    let scalar = mismatches({ stageload_copy16_array_stops_scalar($0, $1, separator) }, rule)
    #expect(scalar.isEmpty)
  }

  @Test("array stops for every separator")
  func arrayStopsEverySeparator() {
    // Every byte value once, in 16 blocks, against every separator.
    let all = (0...255).map(UInt8.init)
    for separator in 0...255 {
      let rule = { isArrayStop($0, separator: UInt8(separator)) }
      for start in stride(from: 0, to: 256, by: 16) {
        let block = Array(all[start..<start + 16])
        let sse2 = run(
          { stageload_copy16_array_stops($0, $1, UInt8(separator)) },
          on: block,
          offset: 3
        )
        #expect(sse2 == expectedMask(block, rule), "separator \(separator), block \(start)")
        let scalar = run(
          { stageload_copy16_array_stops_scalar($0, $1, UInt8(separator)) },
          on: block,
          offset: 5
        )
        #expect(scalar == expectedMask(block, rule), "separator \(separator), block \(start)")
      }
    }
  }
}
