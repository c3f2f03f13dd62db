/// Writers for PostgreSQL's COPY text format.
///
/// In COPY text a backslash starts an escape, so a literal backslash is
/// written `\\`, and a CR or LF inside a value is written `\r` or `\n`. Tab
/// never appears inside a TSV field, so it needs no case here.
enum CopyText {
  /// Appends `field` with COPY escapes into room the caller has reserved.
  @inline(__always)
  static func appendEscaped(_ field: UnsafeBufferPointer<UInt8>, into output: ByteBuffer) {
    guard let base = field.baseAddress else { return }
    // Most values need no escape: check eight bytes at a time, then copy.
    guard containsEscapable(base, count: field.count) else {
      output.append(base, count: field.count)
      return
    }
    var runStart = 0
    for index in 0..<field.count {
      let byte = base[index]
      guard byte == UInt8(ascii: "\\") || byte == 0x0d || byte == 0x0a else { continue }
      output.append(base + runStart, count: index - runStart)
      output.append(UInt8(ascii: "\\"), escapeLetter(byte))
      runStart = index + 1
    }
    output.append(base + runStart, count: field.count - runStart)
  }

  /// Returns whether any of `count` bytes is a backslash, CR or LF.
  @inline(__always)
  private static func containsEscapable(_ base: UnsafePointer<UInt8>, count: Int) -> Bool {
    var index = 0
    while index + 8 <= count {
      let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
      if hasByte(word, UInt8(ascii: "\\")) || hasByte(word, 0x0d) || hasByte(word, 0x0a) {
        return true
      }
      index += 8
    }
    while index < count {
      let byte = base[index]
      if byte == UInt8(ascii: "\\") || byte == 0x0d || byte == 0x0a { return true }
      index += 1
    }
    return false
  }

  /// Returns whether any of the eight bytes of `word` equals `byte`.
  ///
  /// XOR turns the matching bytes into zero bytes; `(x - 0x01...) & ~x &
  /// 0x80...` is nonzero exactly when `x` has a zero byte.
  @inline(__always)
  private static func hasByte(_ word: UInt64, _ byte: UInt8) -> Bool {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let x = word ^ (ones &* UInt64(byte))
    return (x &- ones) & ~x & 0x8080_8080_8080_8080 != 0
  }

  /// Appends `field`, a list joined by `separator`, as a COPY-escaped
  /// PostgreSQL array literal: `a,b` becomes `{a,b}`, an empty field `{}`.
  ///
  /// An element is double-quoted when it is empty, is `NULL` in any case, or
  /// contains a quote, backslash, comma, brace or whitespace; inside quotes
  /// `"` and `\` get a backslash. COPY escaping then doubles every backslash.
  ///
  /// - Parameters:
  ///   - field: The source field, not `\N`.
  ///   - separator: The byte that joins the list's elements.
  ///   - special: `ArraySpecialBytes.shared.table`, passed in so that the
  ///     per-byte loop does not check a global's initialization each time.
  ///   - output: The buffer, with room reserved for the row.
  static func appendArray(
    _ field: UnsafeBufferPointer<UInt8>,
    separator: UInt8,
    special: UnsafePointer<UInt8>,
    into output: ByteBuffer
  ) {
    output.append(UInt8(ascii: "{"))
    guard !field.isEmpty else {
      output.append(UInt8(ascii: "}"))
      return
    }
    guard let base = field.baseAddress else { return }
    var start = 0
    while true {
      // One pass finds the element's end and whether it needs quotes.
      var end = start
      var needsQuotes: UInt8 = 0
      while end < field.count {
        let byte = base[end]
        if byte == separator { break }
        needsQuotes |= special[Int(byte)]
        end += 1
      }
      let element = UnsafeBufferPointer(rebasing: field[start..<end])
      if needsQuotes != 0 || element.isEmpty || isNULL(element) {
        appendQuotedElement(element, into: output)
      } else {
        output.append(element)
      }
      if end == field.count { break }
      output.append(UInt8(ascii: ","))
      start = end + 1
    }
    output.append(UInt8(ascii: "}"))
  }

  /// Returns whether `element` is `NULL` in any letter case, which array input
  /// would read as a null element unless quoted.
  @inline(__always)
  static func isNULL(_ element: UnsafeBufferPointer<UInt8>) -> Bool {
    element.count == 4 && element[0] & 0xdf == UInt8(ascii: "N")
      && element[1] & 0xdf == UInt8(ascii: "U") && element[2] & 0xdf == UInt8(ascii: "L")
      && element[3] & 0xdf == UInt8(ascii: "L")
  }

  private static func appendQuotedElement(
    _ element: UnsafeBufferPointer<UInt8>,
    into output: ByteBuffer
  ) {
    output.count = appendQuotedElement(element, at: output.base + output.count) - output.base
  }

  /// Writes `element` double-quoted and COPY-escaped at `out`, into room the
  /// caller has reserved: `"` becomes `\\"` and `\` becomes `\\\\`.
  ///
  /// - Returns: The position after the closing quote.
  static func appendQuotedElement(
    _ element: UnsafeBufferPointer<UInt8>,
    at out: UnsafeMutablePointer<UInt8>
  ) -> UnsafeMutablePointer<UInt8> {
    var out = out
    func put(_ byte: UInt8) {
      out.pointee = byte
      out += 1
    }
    put(UInt8(ascii: "\""))
    for byte in element {
      switch byte {
      case UInt8(ascii: "\""):
        put(UInt8(ascii: "\\"))
        put(UInt8(ascii: "\\"))
        put(byte)
      case UInt8(ascii: "\\"):
        for _ in 0..<4 { put(UInt8(ascii: "\\")) }
      case 0x0d, 0x0a:
        put(UInt8(ascii: "\\"))
        put(escapeLetter(byte))
      default:
        put(byte)
      }
    }
    put(UInt8(ascii: "\""))
    return out
  }

  @inline(__always)
  private static func escapeLetter(_ byte: UInt8) -> UInt8 {
    switch byte {
    case 0x0d: UInt8(ascii: "r")
    case 0x0a: UInt8(ascii: "n")
    default: byte
    }
  }
}

/// A 256-entry table of the bytes that force quotes around an array element.
///
/// Those bytes, marked 1, are `"`, `\`, `,`, `{`, `}`, space, and tab
/// through carriage return. The table is built once and only read after,
/// so sharing it is safe.
final class ArraySpecialBytes: @unchecked Sendable {
  static let shared = ArraySpecialBytes()

  let table: UnsafePointer<UInt8>

  private init() {
    let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
    table.initialize(repeating: 0, count: 256)
    for byte in Array("\"\\,{} ".utf8) + Array(0x09...0x0d) { table[Int(byte)] = 1 }
    self.table = UnsafePointer(table)
  }
}
