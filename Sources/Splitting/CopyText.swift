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

  /// Appends `field`, a list joined by `separator`, as a COPY-escaped
  /// PostgreSQL array literal: `a,b` becomes `{a,b}`, an empty field `{}`.
  ///
  /// An element is double-quoted when it is empty, is `NULL` in any case, or
  /// contains a quote, backslash, comma, brace or whitespace; inside quotes
  /// `"` and `\` get a backslash. COPY escaping then doubles every backslash.
  static func appendArray(
    _ field: UnsafeBufferPointer<UInt8>,
    separator: UInt8,
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
      var special: UInt64 = 0
      while end < field.count {
        let byte = base[end]
        if byte == separator { break }
        special |= specialBit(byte)
        end += 1
      }
      let element = UnsafeBufferPointer(rebasing: field[start..<end])
      if special != 0 || element.isEmpty || isNULL(element) {
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

  /// Returns 1 when `byte` forces quotes around an array element, else 0.
  ///
  /// Those bytes are `"`, `\`, `,`, `{`, `}`, space, and tab through
  /// carriage return. Two 64-bit masks cover the ASCII range without a
  /// table lookup.
  @inline(__always)
  private static func specialBit(_ byte: UInt8) -> UInt64 {
    // Bits 9-13 (tab to CR), 32 (space), 34 ("), 44 (,).
    let low: UInt64 = 0x3e00 | 1 << 32 | 1 << 34 | 1 << 44
    // Bits 92 (\), 123 ({), 125 (}), less 64.
    let high: UInt64 = 1 << 28 | 1 << 59 | 1 << 61
    let mask = byte < 64 ? low : (byte < 128 ? high : 0)
    return (mask >> UInt64(byte & 63)) & 1
  }

  /// Whether `element` is `NULL` in any letter case, which array input
  /// would read as a null element unless quoted.
  private static func isNULL(_ element: UnsafeBufferPointer<UInt8>) -> Bool {
    element.count == 4 && element[0] & 0xdf == UInt8(ascii: "N")
      && element[1] & 0xdf == UInt8(ascii: "U") && element[2] & 0xdf == UInt8(ascii: "L")
      && element[3] & 0xdf == UInt8(ascii: "L")
  }

  private static func appendQuotedElement(
    _ element: UnsafeBufferPointer<UInt8>,
    into output: ByteBuffer
  ) {
    output.append(UInt8(ascii: "\""))
    for byte in element {
      switch byte {
      case UInt8(ascii: "\""):
        output.append(UInt8(ascii: "\\"), UInt8(ascii: "\\"))
        output.append(byte)
      case UInt8(ascii: "\\"):
        output.append(UInt8(ascii: "\\"), UInt8(ascii: "\\"))
        output.append(UInt8(ascii: "\\"), UInt8(ascii: "\\"))
      case 0x0d, 0x0a:
        output.append(UInt8(ascii: "\\"), escapeLetter(byte))
      default:
        output.append(byte)
      }
    }
    output.append(UInt8(ascii: "\""))
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
