/// A validator for the one JSON shape IMDb uses: an array of strings,
/// such as `["Self","Narrator"]` in title.principals' characters column.
enum JSONSyntax {
  /// Returns whether `field` is a JSON array (RFC 8259) whose elements are all
  /// strings, with optional whitespace between tokens.
  static func isArrayOfStrings(_ field: UnsafeBufferPointer<UInt8>) -> Bool {
    var index = 0
    func skipWhitespace() {
      while index < field.count
        && (field[index] == 0x20 || field[index] == 0x09 || field[index] == 0x0a
          || field[index] == 0x0d)
      {
        index += 1
      }
    }

    skipWhitespace()
    guard index < field.count, field[index] == UInt8(ascii: "[") else { return false }
    index += 1
    skipWhitespace()
    if index < field.count && field[index] == UInt8(ascii: "]") {
      index += 1
      skipWhitespace()
      return index == field.count
    }

    while true {
      skipWhitespace()
      guard let end = endOfString(in: field, at: index) else { return false }
      index = end
      skipWhitespace()
      guard index < field.count else { return false }
      if field[index] == UInt8(ascii: ",") {
        index += 1
        continue
      }
      guard field[index] == UInt8(ascii: "]") else { return false }
      index += 1
      skipWhitespace()
      return index == field.count
    }
  }

  /// Returns the index just past the JSON string that starts at `start`, or
  /// nil when there is no valid string there.
  private static func endOfString(in field: UnsafeBufferPointer<UInt8>, at start: Int) -> Int? {
    guard start < field.count, field[start] == UInt8(ascii: "\"") else { return nil }
    var index = start + 1
    while index < field.count {
      let byte = field[index]
      switch byte {
      case UInt8(ascii: "\""):
        return index + 1
      case UInt8(ascii: "\\"):
        guard index + 1 < field.count else { return nil }
        switch field[index + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
          UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
          index += 2
        case UInt8(ascii: "u"):
          guard let unit = codeUnit(in: field, at: index) else { return nil }
          index += 6
          // jsonb rejects \u0000 and a surrogate that is not part of a pair.
          switch unit {
          case 0:
            return nil
          case 0xd800...0xdbff:
            guard index + 1 < field.count, field[index] == UInt8(ascii: "\\"),
              field[index + 1] == UInt8(ascii: "u"), let low = codeUnit(in: field, at: index),
              (0xdc00...0xdfff).contains(low)
            else { return nil }
            index += 6
          case 0xdc00...0xdfff:
            return nil
          default:
            break
          }
        default:
          return nil
        }
      case 0x00..<0x20:
        return nil
      default:
        index += 1
      }
    }
    return nil
  }

  /// Parses the four hex digits of a `\uXXXX` escape that starts at `start`.
  private static func codeUnit(in field: UnsafeBufferPointer<UInt8>, at start: Int) -> UInt16? {
    guard start + 6 <= field.count else { return nil }
    var value: UInt16 = 0
    for byte in field[(start + 2)..<(start + 6)] {
      let digit: UInt8
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
      default: return nil
      }
      value = value << 4 | UInt16(digit)
    }
    return value
  }
}
