import Glibc

/// Checks on single TSV field values, without allocating.
enum FieldSyntax {
  /// Returns whether `field` is exactly `\N`, IMDb's NULL.
  @inline(__always)
  static func isNull(_ field: UnsafeBufferPointer<UInt8>) -> Bool {
    field.count == 2 && field[0] == UInt8(ascii: "\\") && field[1] == UInt8(ascii: "N")
  }

  /// Parses a non-negative decimal integer that fits PostgreSQL's `integer`.
  ///
  /// - Returns: The value, or nil for an empty field, a sign, any other
  ///   character, or a value above 2147483647.
  static func parseInteger(_ field: UnsafeBufferPointer<UInt8>) -> Int? {
    guard !field.isEmpty, field.count <= 10 else { return nil }
    var value = 0
    for byte in field {
      let digit = Int(byte) &- 48
      guard digit >= 0 && digit <= 9 else { return nil }
      value = value * 10 + digit
    }
    return value <= Int(Int32.max) ? value : nil
  }

  /// Returns whether `field` is a rating from 0 to 10 with at most one decimal:
  /// `7`, `7.5`, `10`, `10.0`.
  static func isRating(_ field: UnsafeBufferPointer<UInt8>) -> Bool {
    func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
    var integerEnd = 0
    while integerEnd < field.count && isDigit(field[integerEnd]) { integerEnd += 1 }
    guard integerEnd == 1 || integerEnd == 2 else { return false }
    let integerPart =
      integerEnd == 1 ? Int(field[0]) - 48 : Int(field[0] - 48) * 10 + Int(field[1] - 48)
    var fraction = 0
    if integerEnd < field.count {
      guard field.count == integerEnd + 2, field[integerEnd] == UInt8(ascii: "."),
        isDigit(field[integerEnd + 1])
      else { return false }
      fraction = Int(field[integerEnd + 1]) - 48
    }
    return integerPart < 10 || (integerPart == 10 && fraction == 0)
  }

  /// Returns the 1-based number of the first empty element of a list
  /// joined by `separator`, or nil when no element is empty.
  ///
  /// An empty field is an empty list, so it has no empty element.
  static func firstEmptyElement(in field: UnsafeBufferPointer<UInt8>, separator: UInt8) -> Int? {
    guard !field.isEmpty else { return nil }
    var element = 1
    var length = 0
    for byte in field {
      if byte == separator {
        if length == 0 { return element }
        element += 1
        length = 0
      } else {
        length += 1
      }
    }
    return length == 0 ? element : nil
  }

  /// Returns the offset of the first NUL byte in `line`, found with memchr.
  static func offsetOfNUL(in line: UnsafeBufferPointer<UInt8>) -> Int? {
    guard let base = line.baseAddress, let hit = memchr(base, 0, line.count) else { return nil }
    return UnsafeRawPointer(hit) - UnsafeRawPointer(base)
  }

  /// Returns the zero-based index of the field that contains byte `offset`.
  static func fieldIndex(at offset: Int, in line: UnsafeBufferPointer<UInt8>) -> Int {
    line[..<offset].reduce(0) { $0 + ($1 == UInt8(ascii: "\t") ? 1 : 0) }
  }

  /// Returns the field as text for a message, shortened to 40 characters
  /// and with invalid UTF-8 replaced.
  static func display(_ field: UnsafeBufferPointer<UInt8>) -> String {
    let text = String(decoding: field, as: UTF8.self)
    return text.count > 40 ? String(text.prefix(40)) + "..." : text
  }
}
