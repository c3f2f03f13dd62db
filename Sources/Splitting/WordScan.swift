/// Byte tests on eight bytes at a time, packed in a `UInt64` (SWAR).
///
/// Each test returns a mask with the high bit set in exactly the byte
/// lanes that match, and no other bit. No lane borrows from or carries
/// into its neighbour, so every marked lane is a true match and masks can
/// be combined with `|`, `&` and `~`. The first match is lane
/// `mask.trailingZeroBitCount / 8`.
///
/// Lane `k` is byte `k` of memory: the words are loaded little-endian,
/// which is the byte order of every platform Swift runs on.
enum WordScan {
  static let ones: UInt64 = 0x0101_0101_0101_0101
  static let highBits: UInt64 = 0x8080_8080_8080_8080
  static let lowBits: UInt64 = 0x7f7f_7f7f_7f7f_7f7f

  /// Loads bytes `index..<index + 8` of `base`, reading no byte at or past
  /// `count`; lanes at or past `count` are zero.
  ///
  /// A zero lane is a NUL, which every stop mask marks, so a scan stops at
  /// `count` without a separate bound check per word.
  ///
  /// - Precondition: `index < count`.
  @inline(__always)
  static func load(_ base: UnsafePointer<UInt8>, at index: Int, count: Int) -> UInt64 {
    // Wrapping arithmetic: indexes are far from Int.max.
    if index &+ 8 <= count {
      return UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
    }
    if count >= 8 {
      // Load the last eight bytes and shift the ones before `index` out;
      // the shift is 8 to 56 bits.
      let last = UnsafeRawPointer(base + count - 8).loadUnaligned(as: UInt64.self)
      return last &>> UInt64(truncatingIfNeeded: 8 &* (index &+ 8 &- count))
    }
    var word: UInt64 = 0
    for lane in 0..<(count - index) {
      word |= UInt64(base[index + lane]) << UInt64(8 * lane)
    }
    return word
  }

  /// Marks the lanes that are zero.
  ///
  /// Adding 0x7f to a lane's low seven bits sets its high bit unless they
  /// are all zero, and never carries out of the lane; OR-ing the lane back
  /// in sets the high bit of lanes from 0x80. What stays clear is zero.
  @inline(__always)
  static func zero(_ word: UInt64) -> UInt64 {
    ~(((word & lowBits) &+ lowBits) | word) & highBits
  }

  /// Marks the lanes equal to `byte`: XOR turns them, and only them, into zero.
  @inline(__always)
  static func equal(_ word: UInt64, _ byte: UInt8) -> UInt64 {
    zero(word ^ (ones &* UInt64(byte)))
  }

  /// Marks the lanes below `limit`, which must be at most 0x80.
  ///
  /// Adding `0x80 - limit` to a lane's low seven bits sets its high bit
  /// exactly when they are at least `limit`, without carrying out of the lane.
  @inline(__always)
  static func below(_ word: UInt64, _ limit: UInt8) -> UInt64 {
    ~(((word & lowBits) &+ ones &* UInt64(0x80 - limit)) | word) & highBits
  }

  /// Marks the lanes of 0x80 and above: the bytes of multibyte UTF-8.
  @inline(__always)
  static func nonASCII(_ word: UInt64) -> UInt64 {
    word & highBits
  }

  /// Marks the bytes at which a text value's scan must stop: control bytes
  /// below 0x0e (NUL, tab, CR and the zero lanes past the end among them),
  /// backslash and non-ASCII bytes.
  @inline(__always)
  static func textStops(_ word: UInt64) -> UInt64 {
    // The same as `below(word, 0x0e) | equal(word, 0x5c) | nonASCII(word)`,
    // with the shared steps done once: non-ASCII lanes are marked anyway,
    // so the backslash test may use the low seven bits.
    let low = word & lowBits
    let fromShiftOut = low &+ ones &* (0x80 - 0x0e)
    let backslash = low ^ (ones &* 0x5c)
    return (~fromShiftOut | ~((backslash &+ lowBits) | backslash) | word) & highBits
  }

  /// Marks the bytes at which an array element's scan must stop: every byte
  /// of `ArraySpecialBytes` (all bytes up to space among them, which covers
  /// a separator below 0x21 such as 0x02), comma, NUL and non-ASCII bytes.
  ///
  /// A separator of 0x21 or above other than a comma is not marked here;
  /// callers add `equal(word, separator)` for it.
  @inline(__always)
  static func arrayStops(_ word: UInt64) -> UInt64 {
    quoteStops(word) | equal(word, UInt8(ascii: ","))
  }

  /// Marks the bytes other than comma that `arrayStops` marks.
  @inline(__always)
  static func quoteStops(_ word: UInt64) -> UInt64 {
    below(word, 0x21) | nonASCII(word) | equal(word, UInt8(ascii: "\""))
      | equal(word, UInt8(ascii: "\\")) | equal(word, UInt8(ascii: "{"))
      | equal(word, UInt8(ascii: "}"))
  }

  /// Marks, with few operations, every byte that a plain-list scan must
  /// look at: all bytes below 0x2d (controls, space, `"`, comma, and `!` to
  /// `+`), backslash, and every byte from `{` (0x7b) up.
  ///
  /// It covers `quoteStops`, comma, and any separator below 0x2d such as
  /// 0x02. Some bytes it marks (`!`, `#` to `+`, `|`, `~` and DEL) need no
  /// quotes, so a caller that meets one looks the byte up and goes on.
  @inline(__always)
  static func listCandidates(_ word: UInt64) -> UInt64 {
    // Non-ASCII lanes are marked by `fromBrace`, so the other tests may
    // use the low seven bits alone.
    let low = word & lowBits
    let fromBrace = (low &+ ones &* 0x05) | word
    let fromHyphen = low &+ ones &* (0x80 - 0x2d)
    let backslash = low ^ (ones &* 0x5c)
    return (fromBrace | ~fromHyphen | ~((backslash &+ lowBits) | backslash)) & highBits
  }

  /// Returns the index of the lowest marked lane of a nonzero mask.
  @inline(__always)
  static func firstMarkedLane(_ mask: UInt64) -> Int {
    mask.trailingZeroBitCount >> 3
  }
}
