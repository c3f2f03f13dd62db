/// A UTF-8 well-formedness check (RFC 3629: no overlong forms, no
/// surrogates, nothing above U+10FFFF), with an ASCII fast path.
enum UTF8Validator {
  /// Returns the offset of the first byte that starts an invalid sequence,
  /// or nil when all of `bytes` is valid UTF-8.
  static func firstInvalidOffset(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
    guard let base = bytes.baseAddress else { return nil }
    let count = bytes.count
    var index = 0

    while index < count {
      // Skip eight ASCII bytes at a time.
      while index + 8 <= count {
        let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
        if word & 0x8080_8080_8080_8080 != 0 { break }
        index += 8
      }
      guard index < count else { return nil }

      if base[index] < 0x80 {
        index += 1
        continue
      }
      let length = sequenceLength(base, at: index, count: count)
      guard length > 0 else { return index }
      index += length
    }
    return nil
  }

  /// Returns the length, 2 to 4, of the valid multibyte sequence that starts
  /// at `index`, or 0 when the sequence is invalid or does not end before
  /// `count`.
  ///
  /// - Precondition: `base[index]` is 0x80 or above.
  @inline(__always)
  static func sequenceLength(_ base: UnsafePointer<UInt8>, at index: Int, count: Int) -> Int {
    let lead = base[index]
    let length: Int
    var lower: UInt8 = 0x80
    var upper: UInt8 = 0xbf
    switch lead {
    case 0xc2...0xdf: length = 2
    case 0xe0:
      length = 3
      lower = 0xa0
    case 0xe1...0xec, 0xee...0xef: length = 3
    case 0xed:
      length = 3
      upper = 0x9f
    case 0xf0:
      length = 4
      lower = 0x90
    case 0xf1...0xf3: length = 4
    case 0xf4:
      length = 4
      upper = 0x8f
    default: return 0
    }
    guard index + length <= count else { return 0 }
    let second = base[index + 1]
    guard second >= lower && second <= upper else { return 0 }
    for offset in 2..<max(2, length) where base[index + offset] & 0xc0 != 0x80 {
      return 0
    }
    return length
  }
}
