import Testing

@testable import Splitting

/// Packs eight bytes into a word the way `WordScan.load` does: lane k is byte k.
private func word(_ bytes: [UInt8]) -> UInt64 {
  bytes.enumerated().reduce(0) { $0 | UInt64($1.element) << UInt64(8 * $1.offset) }
}

/// Returns the mask that marks exactly the lanes whose byte passes `test`.
private func expectedMask(_ bytes: [UInt8], _ test: (UInt8) -> Bool) -> UInt64 {
  bytes.enumerated().reduce(0) { test($1.element) ? $0 | 0x80 << UInt64(8 * $1.offset) : $0 }
}

/// Returns the words, as lane bytes, in which the mask differs from `test`:
/// every byte value in every lane, among neighbours of several kinds.
private func mismatches(
  _ mask: (UInt64) -> UInt64,
  _ test: (UInt8) -> Bool
) -> [[UInt8]] {
  let neighbours: [UInt8] = [0x00, 0x01, 0x02, 0x09, 0x20, 0x2c, 0x41, 0x5c, 0x7f, 0x80, 0xff]
  var found: [[UInt8]] = []
  for neighbour in neighbours {
    for lane in 0..<8 {
      for byte in 0...255 {
        var bytes = [UInt8](repeating: neighbour, count: 8)
        bytes[lane] = UInt8(byte)
        if mask(word(bytes)) != expectedMask(bytes, test) { found.append(bytes) }
      }
    }
  }
  return found
}

@Suite struct WordScanTests {
  @Test("equal marks exactly the matching lanes")
  func equalLanes() {
    for target: UInt8 in [0x00, 0x02, 0x2c, 0x5c, 0x7f, 0x80, 0xff] {
      #expect(mismatches({ WordScan.equal($0, target) }, { $0 == target }).isEmpty)
    }
  }

  @Test("below marks exactly the smaller lanes")
  func belowLanes() {
    for limit: UInt8 in [0x01, 0x0e, 0x21, 0x23, 0x80] {
      #expect(mismatches({ WordScan.below($0, limit) }, { $0 < limit }).isEmpty)
    }
  }

  @Test("nonASCII marks bytes from 0x80")
  func nonASCIILanes() {
    #expect(mismatches(WordScan.nonASCII, { $0 >= 0x80 }).isEmpty)
  }

  @Test("textStops marks controls, backslash, non-ASCII")
  func textStopLanes() {
    let stops = mismatches(WordScan.textStops) { $0 < 0x0e || $0 == 0x5c || $0 >= 0x80 }
    #expect(stops.isEmpty)
  }

  @Test("arrayStops marks special bytes and comma")
  func arrayStopLanes() {
    let stops = mismatches(WordScan.arrayStops) {
      $0 < 0x21 || $0 >= 0x80 || $0 == UInt8(ascii: ",")
        || ArraySpecialBytes.shared.table[Int($0)] != 0
    }
    #expect(stops.isEmpty)
  }

  @Test("listCandidates covers every special byte")
  func listCandidateLanes() {
    let candidates = mismatches(WordScan.listCandidates) {
      $0 < 0x2d || $0 == 0x5c || $0 >= 0x7b
    }
    #expect(candidates.isEmpty)
    for byte in 0...255 where ArraySpecialBytes.shared.table[byte] != 0 || byte == 0x2c {
      let word = UInt64(byte) | 0x6161_6161_6161_6100  // the byte, then letters
      #expect(WordScan.listCandidates(word) == 0x80, "byte \(byte)")
    }
  }

  @Test("load zero-fills lanes past the end")
  func loadPastEnd() {
    let bytes = (1...20).map { UInt8($0 * 11) }
    for count in 1...bytes.count {
      for index in 0..<count {
        let lanes = (0..<8).map { index + $0 < count ? bytes[index + $0] : 0 }
        let loaded = bytes.withUnsafeBufferPointer {
          WordScan.load($0.baseAddress!, at: index, count: count)
        }
        #expect(loaded == word(lanes), "count \(count), index \(index)")
      }
    }
  }

  @Test("first marked lane")
  func firstLane() {
    for lane in 0..<8 {
      let mask = UInt64(0x80) << UInt64(8 * lane) | 0x8000_0000_0000_0000
      #expect(WordScan.firstMarkedLane(mask) == lane)
    }
  }
}
