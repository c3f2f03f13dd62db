import Datasets
import Foundation
import StageKit
import Testing

@testable import Splitting

/// A reader of PostgreSQL's COPY text format, written from the format's
/// documentation (COPY, "Text Format") and independent of split's writer.
enum CopyTextReader {
  /// Splits one line (without its newline) into unescaped fields.
  ///
  /// A field that is exactly `\N` is nil.
  ///
  /// - Returns: nil when COPY would not read the line as written: a raw CR,
  ///   the end-of-data marker `\.`, or a backslash at the end of the line.
  static func fields(of line: ArraySlice<UInt8>) -> [[UInt8]?]? {
    guard !line.contains(0x0d), Array(line) != Array("\\.".utf8) else { return nil }
    var fields: [[UInt8]?] = []
    for raw in line.split(separator: 0x09, omittingEmptySubsequences: false) {
      if Array(raw) == Array("\\N".utf8) {
        fields.append(nil)
        continue
      }
      guard let value = unescape(Array(raw)) else { return nil }
      fields.append(value)
    }
    return fields
  }

  private static func unescape(_ raw: [UInt8]) -> [UInt8]? {
    var value: [UInt8] = []
    var index = 0
    while index < raw.count {
      let byte = raw[index]
      index += 1
      guard byte == UInt8(ascii: "\\") else {
        value.append(byte)
        continue
      }
      guard index < raw.count else { return nil }
      let letter = raw[index]
      index += 1
      switch letter {
      case UInt8(ascii: "b"): value.append(0x08)
      case UInt8(ascii: "f"): value.append(0x0c)
      case UInt8(ascii: "n"): value.append(0x0a)
      case UInt8(ascii: "r"): value.append(0x0d)
      case UInt8(ascii: "t"): value.append(0x09)
      case UInt8(ascii: "v"): value.append(0x0b)
      case UInt8(ascii: "0")...UInt8(ascii: "7"), UInt8(ascii: "x"):
        // split never writes octal or hex escapes into a chunk.
        return nil
      default: value.append(letter)
      }
    }
    return value
  }
}

/// A reader of one-dimensional PostgreSQL array literals of text, written
/// from the documentation of array input ("Array Value Input").
enum ArrayLiteralReader {
  /// Returns the elements of `literal`, or nil when it is not an array
  /// literal, has a NULL element, or has an element that PostgreSQL would
  /// read differently without quotes.
  static func elements(of literal: [UInt8]) -> [[UInt8]]? {
    guard literal.first == UInt8(ascii: "{"), literal.last == UInt8(ascii: "}") else {
      return nil
    }
    let body = Array(literal.dropFirst().dropLast())
    guard !body.isEmpty else { return [] }
    var elements: [[UInt8]] = []
    var index = 0
    while true {
      var element: [UInt8] = []
      if body[index] == UInt8(ascii: "\"") {
        index += 1
        while index < body.count && body[index] != UInt8(ascii: "\"") {
          if body[index] == UInt8(ascii: "\\") { index += 1 }
          guard index < body.count else { return nil }
          element.append(body[index])
          index += 1
        }
        guard index < body.count else { return nil }
        index += 1
      } else {
        while index < body.count && body[index] != UInt8(ascii: ",") {
          guard !mustBeQuoted(body[index]) else { return nil }
          element.append(body[index])
          index += 1
        }
        guard !element.isEmpty, String(decoding: element, as: UTF8.self).uppercased() != "NULL"
        else { return nil }
      }
      elements.append(element)
      if index == body.count { return elements }
      guard body[index] == UInt8(ascii: ",") else { return nil }
      index += 1
      guard index < body.count else { return nil }
    }
  }

  /// Whether an unquoted element must not contain `byte`: a quote,
  /// backslash, brace or whitespace.
  private static func mustBeQuoted(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "{"), UInt8(ascii: "}"), 0x09...0x0d,
      0x20:
      true
    default: false
    }
  }
}

/// Splits a TSV file into lines of bytes, without the byte order mark, the
/// line ends (LF or CRLF) and an empty line after a final newline.
func sourceLines(of bytes: [UInt8]) -> [ArraySlice<UInt8>] {
  let text = bytes.starts(with: [0xef, 0xbb, 0xbf]) ? bytes.dropFirst(3) : bytes[...]
  var lines = text.split(separator: 0x0a, omittingEmptySubsequences: false)
  if lines.last?.isEmpty == true { lines.removeLast() }
  return lines.map { $0.last == 0x0d ? $0.dropLast() : $0 }
}

/// Every chunk split writes is COPY text that reads back as the source:
/// each value, NULL and array element as in the TSV, for the real
/// excerpts and the hand-made files of all seven datasets.
@Suite struct CopyChunkTests {
  static let fixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
    .path

  struct Source: CustomTestStringConvertible, Sendable {
    var dataset: Dataset
    var path: String
    var testDescription: String { path.split(separator: "/").suffix(2).joined(separator: "/") }
  }

  static let sources =
    Dataset.all.map { Source(dataset: $0, path: "\(fixtures)/\($0.name).sample.tsv") }
    + Dataset.all.map { Source(dataset: $0, path: "\(fixtures)/datasets/\($0.name).tsv") }

  @Test("chunks read back as the source", arguments: sources)
  func chunksReadBack(source: Source) throws {
    let workspace = try Workspace()
    let summary = try workspace.split(source.path, dataset: source.dataset, rows: 3)
    let rejected = Set(workspace.rejectedLines().compactMap { Int($0.prefix { $0 != "\t" }) })
    #expect(rejected.count == summary.rowsRejected)

    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: source.path)))
    let good = sourceLines(of: bytes).enumerated().dropFirst()
      .filter { !rejected.contains($0.offset + 1) }
    let manifest = try Manifest.read(from: workspace.path + "/chunks/manifest.tsv")
    #expect(manifest.entries.map(\.rows).reduce(0, +) == good.count)

    var rowIndex = 0
    for entry in manifest.entries {
      #expect(entry.firstLine == good[rowIndex].offset + 1, "first line of \(entry.chunk)")
      let chunk = Array(workspace.read("chunks/" + entry.chunk)?.utf8 ?? "".utf8)
      #expect(chunk.last == 0x0a, "\(entry.chunk) ends with a newline")
      let lines = chunk.split(separator: 0x0a, omittingEmptySubsequences: false).dropLast()
      #expect(lines.count == entry.rows, "rows of \(entry.chunk)")
      for line in lines where rowIndex < good.count {
        let (offset, sourceLine) = good[rowIndex]
        checkRow(line, source: sourceLine, dataset: source.dataset, line: offset + 1)
        rowIndex += 1
      }
    }
    #expect(rowIndex == good.count)
  }

  /// Checks that one COPY line contains the values of one source line.
  private func checkRow(
    _ copy: ArraySlice<UInt8>,
    source: ArraySlice<UInt8>,
    dataset: Dataset,
    line: Int
  ) {
    guard let values = CopyTextReader.fields(of: copy) else {
      Issue.record("line \(line): not valid COPY text: \(String(decoding: copy, as: UTF8.self))")
      return
    }
    let sourceFields = source.split(separator: 0x09, omittingEmptySubsequences: false)
    #expect(values.count == dataset.columns.count, "line \(line): field count")
    for (column, (value, field)) in zip(dataset.columns, zip(values, sourceFields)) {
      let place = "line \(line), \(column.name)"
      let isNull = Array(field) == Array("\\N".utf8)
      #expect((value == nil) == isNull, "\(place): NULL")
      guard let value, !isNull else { continue }

      let text = { (bytes: any Collection<UInt8>) in String(decoding: bytes, as: UTF8.self) }
      switch column.type {
      case .textArray(let separator):
        let expected =
          field.isEmpty ? [] : field.split(separator: separator, omittingEmptySubsequences: false)
        #expect(
          ArrayLiteralReader.elements(of: value)?.map(text) == expected.map(text),
          "\(place): array elements of \(text(value))"
        )
      case .jsonArray:
        #expect(text(value) == text(field), "\(place): JSON text")
        let parsed = try? JSONSerialization.jsonObject(with: Data(value)) as? [String]
        #expect(parsed != nil, "\(place): JSON array of strings")
      case .text, .year, .count, .flag, .rating:
        #expect(text(value) == text(field), "\(place): value")
      }
    }
  }
}
