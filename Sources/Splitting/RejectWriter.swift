import StageKit

/// Writes rejected rows to a TSV file, atomically on `commit()`.
///
/// Columns: `line`, `column`, `reason`, `row`. The row is written with COPY
/// text escapes (`\\`, `\t`, `\r`, and `\xHH` for bytes that are not valid
/// UTF-8 or are control characters), so the file has four fields per line
/// and loads with COPY.
final class RejectWriter {
  static let header = "line\tcolumn\treason\trow\n"

  private let file: AtomicFile
  private(set) var count = 0

  init(path: String) throws {
    file = try AtomicFile(path: path)
    try file.output.write(Self.header)
  }

  func write(line: Int, rejection: Rejection, row: UnsafeBufferPointer<UInt8>) throws {
    count += 1
    let reason = rejection.reason.replacingControlCharacters()
    let text = "\(line)\t\(rejection.column ?? "\\N")\t\(reason)\t" + Self.escape(row)
    try file.output.write(text + "\n")
  }

  func commit() throws {
    try file.commit()
  }

  private static func escape(_ row: UnsafeBufferPointer<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var escaped: [UInt8] = []
    escaped.reserveCapacity(row.count)
    let invalidOffset = UTF8Validator.firstInvalidOffset(in: row)
    for (offset, byte) in row.enumerated() {
      let isInvalid = invalidOffset.map { offset >= $0 && byte >= 0x80 } ?? false
      switch byte {
      case UInt8(ascii: "\\"): escaped += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
      case 0x09: escaped += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
      case 0x0d: escaped += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
      case 0x00..<0x20, 0x7f:
        escaped += [
          UInt8(ascii: "\\"), UInt8(ascii: "x"), digits[Int(byte >> 4)], digits[Int(byte & 15)],
        ]
      default:
        if isInvalid {
          escaped += [
            UInt8(ascii: "\\"), UInt8(ascii: "x"), digits[Int(byte >> 4)], digits[Int(byte & 15)],
          ]
        } else {
          escaped.append(byte)
        }
      }
    }
    return String(decoding: escaped, as: UTF8.self)
  }
}

extension String {
  /// Replaces tabs and line breaks with spaces and doubles backslashes, so
  /// a message stays one COPY text field.
  fileprivate func replacingControlCharacters() -> String {
    var result = ""
    for character in self {
      switch character {
      case "\t", "\n", "\r", "\r\n": result.append(" ")
      case "\\": result.append("\\\\")
      default: result.append(character)
      }
    }
    return result
  }
}
