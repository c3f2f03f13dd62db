import Datasets
import Foundation
import StageKit
import Testing

@testable import Splitting

extension Workspace {
  /// Returns the text of every chunk that the manifest lists, in order.
  func chunkText() throws -> String {
    let manifest = try Manifest.read(from: path + "/chunks/manifest.tsv")
    return manifest.entries.map { read("chunks/" + $0.chunk) ?? "" }.joined()
  }

  /// Returns the lines of the rejects file without its header, each one
  /// cut after the reason.
  func rejectedLines() -> [String] {
    let lines = read("rejects.tsv")?.split(separator: "\n").dropFirst() ?? []
    return lines.map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
      .map { $0.prefix(3).joined(separator: "\t") }
  }
}

/// The rules split applies to a whole name.basics file: line ends, the
/// byte order mark, blank lines, NULL and empty fields.
@Suite struct SplitRuleTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var name: String
    var input: [UInt8]
    /// All chunks, concatenated.
    var copy: String
    /// The rejected rows as `line`, `column` and `reason`.
    var rejected: [String] = []
    var testDescription: String { name }
  }

  static let headerLine = Dataset.nameBasics.header
  static let first = "nm1\tA\t1900\t\\N\tactor\ttt1"
  static let second = "nm2\tB\t\\N\t\\N\t\\N\t\\N"
  static let firstCopy = "nm1\tA\t1900\t\\N\t{actor}\t{tt1}\n"
  static let secondCopy = "nm2\tB\t\\N\t\\N\t\\N\t\\N\n"

  static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

  static let cases = [
    Case(
      name: "byte order mark before the header is removed",
      input: [0xef, 0xbb, 0xbf] + bytes("\(headerLine)\n\(first)\n"),
      copy: firstCopy
    ),
    Case(
      name: "CRLF line ends are removed",
      input: bytes("\(headerLine)\r\n\(first)\r\n\(second)\r\n"),
      copy: firstCopy + secondCopy
    ),
    Case(
      name: "missing final newline keeps the last row",
      input: bytes("\(headerLine)\n\(first)\n\(second)"),
      copy: firstCopy + secondCopy
    ),
    Case(
      name: "CRLF without final newline",
      input: bytes("\(headerLine)\r\n\(first)\r\n\(second)"),
      copy: firstCopy + secondCopy
    ),
    Case(
      name: "blank line is rejected",
      input: bytes("\(headerLine)\n\(first)\n\n\(second)\n"),
      copy: firstCopy + secondCopy,
      rejected: ["3\t\\N\tblank line"]
    ),
    Case(
      name: "blank CRLF line is rejected",
      input: bytes("\(headerLine)\r\n\r\n\(first)\r\n"),
      copy: firstCopy,
      rejected: ["2\t\\N\tblank line"]
    ),
    Case(
      name: "blank line at the end is rejected",
      input: bytes("\(headerLine)\n\(first)\n\n"),
      copy: firstCopy,
      rejected: ["3\t\\N\tblank line"]
    ),
    Case(
      name: "\\N alone is NULL in every column",
      input: bytes("\(headerLine)\nnm1\t\\N\t\\N\t\\N\t\\N\t\\N\n"),
      copy: "nm1\t\\N\t\\N\t\\N\t\\N\t\\N\n"
    ),
    Case(
      name: "\\N inside a value is text",
      input: bytes("\(headerLine)\nnm1\t\\N\\N x\\N\t\\N\t\\N\ta\\N,\\Nb\t\\N\n"),
      copy: "nm1\t\\\\N\\\\N x\\\\N\t\\N\t\\N\t{\"a\\\\\\\\N\",\"\\\\\\\\Nb\"}\t\\N\n"
    ),
    Case(
      name: "empty fields are an empty string and empty arrays",
      input: bytes("\(headerLine)\nnm1\t\t\\N\t\\N\t\t\n"),
      copy: "nm1\t\t\\N\t\\N\t{}\t{}\n"
    ),
    Case(
      name: "lone quote does not join lines",
      input: bytes("\(headerLine)\nnm1\t\"Open\t\\N\t\\N\t\\N\t\\N\n\(second)\n"),
      copy: "nm1\t\"Open\t\\N\t\\N\t\\N\t\\N\n" + secondCopy
    ),
    Case(
      name: "CR inside a value is escaped",
      input: bytes("\(headerLine)\nnm1\ta\rb\t\\N\t\\N\t\\N\t\\N\n"),
      copy: "nm1\ta\\rb\t\\N\t\\N\t\\N\t\\N\n"
    ),
    Case(
      name: "shifted row is rejected for its field count",
      input: bytes("\(headerLine)\nnm1\tA\tB\t1900\t\\N\t\\N\t\\N\n\(second)\n"),
      copy: secondCopy,
      rejected: ["2\t\\N\texpected 6 fields, found 7"]
    ),
  ]

  @Test("split rule", arguments: cases)
  func splitRule(testCase: Case) throws {
    let workspace = try Workspace()
    let input = try workspace.write(testCase.input, to: "in.tsv")
    let summary = try workspace.split(input, rows: 1)
    #expect(try workspace.chunkText() == testCase.copy)
    #expect(workspace.rejectedLines() == testCase.rejected)
    #expect(summary.rowsRejected == testCase.rejected.count)
    #expect(summary.rowsWritten == summary.chunks)
  }

  @Test(
    "header mismatch",
    arguments: [
      Dataset.titleBasics.header,
      Dataset.nameBasics.header + "\t",
      Dataset.nameBasics.header.lowercased(),
      Dataset.nameBasics.columns.map(\.name).joined(separator: "\t"),
      "",
    ]
  )
  func headerMismatch(found: String) throws {
    let workspace = try Workspace()
    let input = try workspace.write(found + "\n" + SplitRuleTests.first + "\n", to: "in.tsv")
    let expected = SplitError.headerMismatch(
      path: input,
      expected: Dataset.nameBasics.header,
      found: found
    )
    #expect(throws: expected) { try workspace.split(input) }
    #expect(workspace.read("chunks/manifest.tsv") == nil)
  }

  @Test("header mismatch message and exit status")
  func headerMismatchMessage() {
    let error = SplitError.headerMismatch(
      path: "in.tsv",
      expected: "tconst\tprimaryTitle",
      found: "tconst\ttitle"
    )
    #expect(error.exitStatus == .dataError)
    #expect(error.exitStatus.rawValue == 65)
    #expect(
      error.description
        == "in.tsv: line 1: header does not match; "
        + "expected 'tconst | primaryTitle', found 'tconst | title'; "
        + "check --dataset and the input file"
    )
  }
}
