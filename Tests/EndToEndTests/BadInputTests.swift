import Foundation
import Testing

/// The bad-input corpus in Tests/Fixtures/bad-inputs: one malformed file
/// per kind, each loaded with make, and the table and rejects compared
/// with the case's `.expected` file.
///
/// An input is `NAME.tsv`, gzipped before the load, or `NAME.gz`, served
/// as it is. `NAME.expected` starts with `dataset NAME`, `status N` (the
/// failing tool's exit status that make reports, 0 when make succeeds)
/// and any number of `message TEXT` lines that standard error must
/// contain, once `DOWNLOAD` in TEXT is replaced with the path of make's
/// download of the input. Up to three sections follow, each a keyword
/// line and then exact lines:
///
/// - `table`: the table as COPY text, in key order. Without this section
///   the table must not exist.
/// - `split.tsv` and `load.tsv`: the rejects files without their header.
///   A missing section means no rows.
@Suite(.enabled(if: Harness.isAvailable || Harness.isRequired))
struct BadInputTests {
  /// One file of the corpus and what it guards against.
  struct Case: CustomTestStringConvertible, Sendable {
    let name: String
    let guards: String
    var testDescription: String { name }
  }

  static let cases: [Case] = [
    Case(name: "wrong-header", guards: "loading a file of another shape"),
    Case(name: "bom", guards: "rejecting a header behind a UTF-8 byte order mark"),
    Case(name: "crlf", guards: "a CR kept at the end of the last value"),
    Case(name: "lone-quotes", guards: "treating \" as CSV quoting"),
    Case(name: "backslashes", guards: "backslashes read as COPY escapes"),
    Case(name: "null-inside-text", guards: "\\N inside a value read as NULL"),
    Case(name: "invalid-utf8", guards: "invalid UTF-8 reaching the server"),
    Case(name: "nul-byte", guards: "a NUL byte reaching the server"),
    Case(name: "too-few-fields", guards: "short rows padded or shifted"),
    Case(name: "too-many-fields", guards: "extra fields dropped silently"),
    Case(name: "year-out-of-range", guards: "years outside 1 to 9999 loaded"),
    Case(name: "rating-not-numeric", guards: "ratings that are not 0.0 to 10.0"),
    Case(name: "invalid-json", guards: "characters that are not a JSON array of strings"),
    Case(name: "duplicate-keys", guards: "a primary key that cannot be built"),
    Case(name: "empty", guards: "an empty file loaded as an empty table"),
    Case(name: "header-only", guards: "a file without rows failing the load"),
    Case(name: "truncated", guards: "a cut-off gzip loaded as a short table"),
    Case(name: "concatenated", guards: "rows of a second gzip member lost"),
    Case(name: "not-gzip", guards: "plain text taken for gzip"),
  ]

  static let directory = Harness.fixtures + "/bad-inputs"

  /// The parsed `.expected` file of a case.
  struct Expectation {
    var dataset = ""
    var status: Int32 = 0
    var messages: [String] = []
    var table: [String]?
    var splitRejects: [String] = []
    var loadRejects: [String] = []

    init(path: String) throws {
      let text = try String(contentsOfFile: path, encoding: .utf8)
      var section: String?
      for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
        let line = String(line)
        if ["table", "split.tsv", "load.tsv"].contains(line) {
          section = line
          if line == "table" { table = [] }
          continue
        }
        switch section {
        case "table": table?.append(line)
        case "split.tsv": splitRejects.append(line)
        case "load.tsv": loadRejects.append(line)
        default:
          let (key, value) = (line.prefix { $0 != " " }, line.drop { $0 != " " }.dropFirst())
          switch key {
          case "dataset": dataset = String(value)
          case "status": status = Int32(value) ?? -1
          case "message": messages.append(String(value))
          default: throw HarnessError("\(path): unknown line '\(line)'")
          }
        }
      }
    }
  }

  /// Returns a rejects file's lines without the header; none when missing.
  static func rejects(_ path: String) -> [String] {
    guard let data = FileManager.default.contents(atPath: path) else { return [] }
    return String(decoding: data, as: UTF8.self).split(separator: "\n").dropFirst()
      .map(String.init)
  }

  @Test("bad input loads as expected", arguments: cases)
  func badInput(_ testCase: Case) throws {
    guard Harness.checkAvailable() else { return }
    let expected = try Expectation(path: "\(Self.directory)/\(testCase.name).expected")
    let work = try Harness.temporaryDirectory("bad-input-\(testCase.name)")
    let source = "\(work)/\(expected.dataset).tsv.gz"
    let input = "\(Self.directory)/\(testCase.name)"
    if FileManager.default.fileExists(atPath: input + ".gz") {
      try FileManager.default.copyItem(atPath: input + ".gz", toPath: source)
    } else {
      let gzip = try run(["sh", "-c", "gzip -n -c \"$0\" > \"$1\"", input + ".tsv", source])
      #expect(gzip.status == 0, "\(gzip.transcript)")
    }
    let database = try TestDatabase()

    let result = try run(
      [
        "make", "--no-print-directory", "-C", Harness.projectRoot, "WORK=\(work)/work",
        "DATASETS=\(expected.dataset)", "SOURCE=\(source)",
      ],
      environment: database.environment
    )
    let context = Comment(rawValue: "\(testCase.guards)\n\(result.transcript)")
    if expected.status == 0 {
      #expect(result.status == 0, context)
    } else {
      #expect(result.status != 0, context)
      #expect(result.standardError.contains("] Error \(expected.status)"), context)
    }
    let download = "\(work)/work/download/\(expected.dataset).tsv.gz"
    for message in expected.messages {
      let message = message.replacingOccurrences(of: "DOWNLOAD", with: download)
      #expect(result.standardError.contains(message), context)
    }

    let table = expected.dataset.replacingOccurrences(of: ".", with: "_")
    if let rows = expected.table {
      let copy = try run([
        "psql", "-X", "-q", "-d", database.name, "-c",
        "COPY (SELECT * FROM \(table) ORDER BY 1, 2) TO STDOUT",
      ])
      #expect(copy.status == 0, "\(copy.transcript)")
      #expect(copy.standardOutput.split(separator: "\n").map(String.init) == rows, context)
    } else {
      #expect(try database.scalar("SELECT to_regclass('\(table)') IS NULL") == "t", context)
    }
    let rejects = "\(work)/work/rejects/\(expected.dataset)"
    #expect(Self.rejects(rejects + "/split.tsv") == expected.splitRejects, context)
    // Publish reports duplicate keys in no particular order.
    #expect(Self.rejects(rejects + "/load.tsv").sorted() == expected.loadRejects.sorted(), context)
  }
}
