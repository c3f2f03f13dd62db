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
    var start = 0
    while true {
      var end = start
      while end < field.count && field[end] != separator { end += 1 }
      appendArrayElement(UnsafeBufferPointer(rebasing: field[start..<end]), into: output)
      if end == field.count { break }
      output.append(UInt8(ascii: ","))
      start = end + 1
    }
    output.append(UInt8(ascii: "}"))
  }

  private static func appendArrayElement(
    _ element: UnsafeBufferPointer<UInt8>,
    into output: ByteBuffer
  ) {
    guard needsQuotes(element) else {
      output.append(element)
      return
    }
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

  private static func needsQuotes(_ element: UnsafeBufferPointer<UInt8>) -> Bool {
    if element.isEmpty { return true }
    if element.count == 4 && element[0] & 0xdf == UInt8(ascii: "N")
      && element[1] & 0xdf == UInt8(ascii: "U") && element[2] & 0xdf == UInt8(ascii: "L")
      && element[3] & 0xdf == UInt8(ascii: "L")
    {
      return true
    }
    for byte in element {
      switch byte {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: ","), UInt8(ascii: "{"),
        UInt8(ascii: "}"), UInt8(ascii: " "), 0x09...0x0d:
        return true
      default:
        continue
      }
    }
    return false
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
