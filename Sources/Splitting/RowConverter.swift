import Datasets
import Glibc

/// Converts one TSV line of a dataset into one line of PostgreSQL COPY text.
///
/// The source is IMDb's plain TSV: fields are separated by tabs, `"` and
/// `\` are ordinary characters, and a field that is exactly `\N` is NULL.
/// COPY text needs `\` doubled and CR escaped; list columns become array
/// literals whose elements are quoted when they need it. A key column must
/// not be empty, and a list must not have an empty element, because IMDb
/// writes neither.
package struct RowConverter: Sendable {
  package let dataset: Dataset
  private let types: [ColumnType]
  private let arraySpecialBytes = ArraySpecialBytes.shared
  private let required: [Bool]
  /// Per column, whether it is part of the dataset's key.
  private let isKey: [Bool]
  /// Per column, whether `WordScan.arrayStops` marks the list separator,
  /// worked out once here rather than for every field.
  private let marksSeparator: [Bool]

  package init(dataset: Dataset) {
    self.dataset = dataset
    self.types = dataset.columns.map(\.type)
    self.required = dataset.columns.map(\.isRequired)
    self.isKey = dataset.columns.map { dataset.key.contains($0.name) }
    let special = ArraySpecialBytes.shared.table
    self.marksSeparator = dataset.columns.map {
      guard case .textArray(let separator) = $0.type else { return true }
      return separator < 0x21 || separator == UInt8(ascii: ",") || special[Int(separator)] != 0
    }
  }

  /// The room `RowScanner` may write past its output cursor: one 16-byte block.
  static let scanSlack = 16

  /// Returns the room to reserve for converting a line: four bytes per
  /// source byte (a quoted backslash in an array), plus an allowance per
  /// field for braces, quotes and the separator, plus `scanSlack`.
  static func maximumOutputSize(forLineOf length: Int, columns: Int) -> Int {
    // Wrapping arithmetic: a line is at most LineReader.maximumLineLength.
    4 &* length &+ 8 &* columns &+ 8 &+ scanSlack
  }

  /// Appends the COPY form of `line` (without its newline) and a newline to
  /// `output`, or leaves `output` unchanged and returns why the row is bad.
  ///
  /// A row with the wrong number of fields is rejected for that reason,
  /// even when a value, shifted into another column, is also invalid.
  ///
  /// The row is first converted in one pass by `RowScanner`. A row that
  /// the pass does not accept is converted again by
  /// `convertRuleByRule(_:into:)`, which finds the first broken rule in the
  /// documented order and writes the rejection's message.
  ///
  /// - Parameters:
  ///   - line: The row, without its newline.
  ///   - readablePastEnd: How many bytes after `line` may be read (but are
  ///     not part of it), which lets the scan load 16 bytes at a time up to
  ///     the line's end. When it is above zero, the byte right after `line`
  ///     must be LF, CR or NUL.
  ///   - output: The buffer to append to.
  /// - Returns: nil when the row was appended, else the rejection.
  @inline(__always)
  func convert(
    _ line: UnsafeBufferPointer<UInt8>,
    readablePastEnd: Int = 0,
    into output: ByteBuffer
  ) -> Rejection? {
    if convertInOnePass(line, readablePastEnd: readablePastEnd, into: output) { return nil }
    return convertRuleByRule(line, into: output)
  }

  /// Appends the COPY form of `line` and a newline to `output` in one pass
  /// with `RowScanner`, or returns false, with `output.count` unchanged,
  /// when the pass does not accept the row.
  ///
  /// It accepts the same rows as `convertRuleByRule(_:into:)` and writes
  /// the same bytes for them; RowScannerTests compare the two on generated
  /// rows.
  @inline(__always)
  func convertInOnePass(
    _ line: UnsafeBufferPointer<UInt8>,
    readablePastEnd: Int = 0,
    into output: ByteBuffer
  ) -> Bool {
    guard let base = line.baseAddress, line.count > 0 else { return false }
    output.reserve(Self.maximumOutputSize(forLineOf: line.count, columns: types.count))
    var scanner = RowScanner(
      line: base,
      count: line.count,
      readablePastEnd: readablePastEnd,
      out: output.base + output.count
    )
    guard scanRow(&scanner) else { return false }
    scanner.out.pointee = UInt8(ascii: "\n")
    output.count = scanner.out + 1 - output.base
    return true
  }

  /// Converts every field of the row with `scanner`.
  ///
  /// - Returns: Whether the whole row is valid and was written.
  @inline(__always)
  private func scanRow(_ scanner: inout RowScanner) -> Bool {
    for column in 0..<types.count {
      if column > 0 {
        guard scanner.nextField() else { return false }
      }
      if scanner.copyNull() {
        if required[column] { return false }
        continue
      }
      if isKey[column] && scanner.atFieldEnd { return false }
      let accepted: Bool
      switch types[column] {
      case .text: accepted = scanner.copyText()
      case .year: accepted = scanner.copyInteger(in: 1...9999)
      case .count: accepted = scanner.copyInteger(in: 0...Int(Int32.max))
      case .flag: accepted = scanner.copyFlag()
      case .rating: accepted = scanner.copyRating()
      case .textArray(let separator):
        accepted = scanner.copyArray(
          separator: separator,
          marksSeparator: marksSeparator[column],
          special: arraySpecialBytes.table
        )
      case .jsonArray: accepted = scanner.copyJSONArray()
      }
      guard accepted else { return false }
    }
    return scanner.position == scanner.count
  }

  /// Converts `line` like `convert(_:into:)`, checking one rule at a time:
  /// UTF-8 over the whole line, then NUL bytes, then each field in turn.
  ///
  /// This is the slower reference that defines the rejections.
  ///
  /// - Returns: nil when the row was appended, else the rejection.
  func convertRuleByRule(_ line: UnsafeBufferPointer<UInt8>, into output: ByteBuffer) -> Rejection?
  {
    guard let base = line.baseAddress, line.count > 0 else {
      return Rejection(reason: "blank line")
    }
    if let offset = UTF8Validator.firstInvalidOffset(in: line) {
      return rejection(
        in: line,
        at: offset,
        reason: "invalid UTF-8 at byte \(offset + 1) of the line"
      )
    }
    if let offset = FieldSyntax.offsetOfNUL(in: line) {
      return rejection(in: line, at: offset, reason: "NUL byte in value")
    }
    output.reserve(Self.maximumOutputSize(forLineOf: line.count, columns: types.count))
    let rowStart = output.count

    var fieldStart = 0
    var column = 0
    while true {
      var fieldEnd = line.count
      if let tab = memchr(base + fieldStart, 0x09, line.count - fieldStart) {
        fieldEnd = UnsafeRawPointer(tab) - UnsafeRawPointer(base)
      }
      guard column < types.count else {
        output.count = rowStart
        return fieldCountRejection(found: countFields(line))
      }
      if column > 0 { output.append(UInt8(ascii: "\t")) }

      let field = UnsafeBufferPointer(rebasing: line[fieldStart..<fieldEnd])
      if let reason = appendField(field, column: column, into: output) {
        output.count = rowStart
        let found = countFields(line)
        guard found == types.count else { return fieldCountRejection(found: found) }
        return Rejection(column: dataset.columns[column].name, reason: reason)
      }
      column += 1
      if fieldEnd == line.count { break }
      fieldStart = fieldEnd + 1
    }

    guard column == types.count else {
      output.count = rowStart
      return fieldCountRejection(found: column)
    }
    output.append(UInt8(ascii: "\n"))
    return nil
  }

  /// Returns the rejection for a bad byte at `offset`, naming its column,
  /// or the field-count rejection when the row has the wrong number of
  /// fields, because then the column names would not match the values.
  private func rejection(
    in line: UnsafeBufferPointer<UInt8>,
    at offset: Int,
    reason: String
  ) -> Rejection {
    let found = countFields(line)
    guard found == types.count else { return fieldCountRejection(found: found) }
    let column = FieldSyntax.fieldIndex(at: offset, in: line)
    return Rejection(column: dataset.columns[column].name, reason: reason)
  }

  private func fieldCountRejection(found: Int) -> Rejection {
    Rejection(reason: "expected \(types.count) fields, found \(found)")
  }

  private func countFields(_ line: UnsafeBufferPointer<UInt8>) -> Int {
    line.reduce(1) { $0 + ($1 == UInt8(ascii: "\t") ? 1 : 0) }
  }

  /// Validates one field against its column type and appends its COPY form.
  ///
  /// - Returns: nil on success, else the reason the value is invalid.
  private func appendField(
    _ field: UnsafeBufferPointer<UInt8>,
    column: Int,
    into output: ByteBuffer
  ) -> String? {
    if FieldSyntax.isNull(field) {
      if required[column] { return "value is required but is \\N" }
      output.append(UInt8(ascii: "\\"), UInt8(ascii: "N"))
      return nil
    }
    if isKey[column] && field.isEmpty { return "value is required but is empty" }

    switch types[column] {
    case .text:
      CopyText.appendEscaped(field, into: output)
    case .year:
      guard let year = FieldSyntax.parseInteger(field), (1...9999).contains(year) else {
        return "invalid year '\(FieldSyntax.display(field))'; expected 1 to 9999"
      }
      output.append(field)
    case .count:
      guard FieldSyntax.parseInteger(field) != nil else {
        return "invalid integer '\(FieldSyntax.display(field))'; expected 0 to \(Int32.max)"
      }
      output.append(field)
    case .flag:
      guard field.count == 1, field[0] == UInt8(ascii: "0") || field[0] == UInt8(ascii: "1")
      else {
        return "invalid boolean '\(FieldSyntax.display(field))'; expected 0 or 1"
      }
      output.append(field[0])
    case .rating:
      guard FieldSyntax.isRating(field) else {
        return "invalid rating '\(FieldSyntax.display(field))'; expected 0.0 to 10.0"
      }
      output.append(field)
    case .textArray(let separator):
      if let element = FieldSyntax.firstEmptyElement(in: field, separator: separator) {
        return "invalid list '\(FieldSyntax.display(field))'; element \(element) is empty"
      }
      CopyText.appendArray(
        field,
        separator: separator,
        special: arraySpecialBytes.table,
        into: output
      )
    case .jsonArray:
      guard JSONSyntax.isArrayOfStrings(field) else {
        return "invalid JSON '\(FieldSyntax.display(field))'; expected an array of strings"
      }
      CopyText.appendEscaped(field, into: output)
    }
    return nil
  }
}
