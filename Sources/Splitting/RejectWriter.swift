import StageKit

/// Writes rejected rows to a TSV file, atomically on `commit()`.
///
/// Columns: `line`, `column`, `reason`, `row`. Every field is COPY text, so
/// the file has four fields per line and loads with COPY into a table of
/// `integer` and three `text` columns. In `row`, a tab becomes `\t`, a CR
/// `\r`, a backslash `\\` and another control character `\xHH`, which
/// COPY reads back as those bytes. A NUL byte and each byte that is not
/// part of valid UTF-8 are written `\\xHH`, because a text column cannot
/// hold them, so the loaded row shows them as the four characters `\xHH`.
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

  // NOTE: a row that contains the text `\xff` reads the same as one with
  // the invalid byte 0xff. The reason names the offset of the first
  // invalid byte, which distinguishes the two.
  private static func escape(_ row: UnsafeBufferPointer<UInt8>) -> String {
    let invalid = invalidUTF8Offsets(in: row)
    var escaped: [UInt8] = []
    escaped.reserveCapacity(row.count)
    for (offset, byte) in row.enumerated() {
      switch byte {
      case _ where byte == 0 || invalid.contains(offset):
        // One more backslash, so COPY reads `\\` and leaves the text `xHH`.
        escaped += [UInt8(ascii: "\\")] + hexEscape(byte)
      case UInt8(ascii: "\\"): escaped += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
      case 0x09: escaped += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
      case 0x0d: escaped += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
      case 0x01..<0x20, 0x7f: escaped += hexEscape(byte)
      default: escaped.append(byte)
      }
    }
    return String(decoding: escaped, as: UTF8.self)
  }

  /// Returns `\xHH` for `byte`.
  private static func hexEscape(_ byte: UInt8) -> [UInt8] {
    let digits = Array("0123456789abcdef".utf8)
    return [UInt8(ascii: "\\"), UInt8(ascii: "x"), digits[Int(byte >> 4)], digits[Int(byte & 15)]]
  }

  /// Returns the offset of every byte that is not part of valid UTF-8.
  ///
  /// After each invalid byte the check starts again at the next byte, so
  /// valid characters after an invalid one are written as they are.
  private static func invalidUTF8Offsets(in row: UnsafeBufferPointer<UInt8>) -> Set<Int> {
    var offsets: Set<Int> = []
    var start = 0
    while start < row.count,
      let offset = UTF8Validator.firstInvalidOffset(
        in: UnsafeBufferPointer(rebasing: row[start...])
      )
    {
      offsets.insert(start + offset)
      start += offset + 1
    }
    return offsets
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
