import Foundation
import Testing

/// All seven datasets through make, from gzips served over HTTP on
/// 127.0.0.1 into a PostgreSQL database made for each test: the hand-made
/// files with their bad rows one at a time, and the real excerpts together.
@Suite(.enabled(if: Harness.isAvailable || Harness.isRequired))
struct DatasetJobTests {
  /// A directory of served gzips, a spool and a database.
  struct Setup {
    let directory: String
    let server: FileServer
    let database: TestDatabase
    var work: String { directory + "/work" }

    /// Serves each file as `DATASET.tsv.gz`.
    ///
    /// - Parameter files: The TSV file of each dataset, by dataset name.
    /// - Throws: `HarnessError` when gzip, the server or the database fails.
    init(serving files: [String: String]) throws {
      directory = try Harness.temporaryDirectory("datasets")
      let served = directory + "/served"
      try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
      for (dataset, file) in files {
        let gzip = try run([
          "sh", "-c", "gzip -n -c \"$0\" > \"$1\"", file, "\(served)/\(dataset).tsv.gz",
        ])
        guard gzip.status == 0 else { throw HarnessError("gzip failed: \(gzip.transcript)") }
      }
      server = try FileServer(directory: served)
      database = try TestDatabase()
    }

    /// Runs make in the project for `datasets`, with SOURCE naming the
    /// served gzip of each through `$(dataset)`.
    func make(datasets: String, arguments: [String] = []) throws -> ProcessOutput {
      try run(
        [
          "make", "--no-print-directory", "-C", Harness.projectRoot, "WORK=\(work)",
          "DATASETS=\(datasets)", "SOURCE=\(server.url("$(dataset).tsv.gz"))",
        ] + arguments,
        environment: database.environment
      )
    }

    /// Loads split's rejects file of `dataset` into a new table with COPY
    /// and returns its rows as `line|column|reason`, the column `\N` when
    /// the whole row was rejected.
    func loadRejects(of dataset: String) throws -> [String] {
      let file = "\(work)/rejects/\(dataset)/split.tsv"
      let table = "rejects_" + dataset.replacingOccurrences(of: ".", with: "_")
      let result = try run([
        "psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", database.name,
        "-c", "CREATE TABLE \(table) (line integer, column_name text, reason text, row text)",
        "-c", "\\copy \(table) FROM '\(file)' WITH (HEADER true)",
        "-c", "SELECT line, coalesce(column_name, '\\N'), reason FROM \(table) ORDER BY line",
      ])
      guard result.status == 0 else { throw HarnessError("COPY failed: \(result.transcript)") }
      return result.standardOutput.split(separator: "\n").map(String.init)
    }

    /// Returns the number of lines in the rejects file of `dataset`, header
    /// included.
    func rejectsFileLines(of dataset: String) throws -> Int {
      let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(work)/rejects/\(dataset)/split.tsv"))
      return bytes.filter { $0 == 0x0a }.count
    }
  }

  /// Checks that the table of `shape` contains exactly the good rows of
  /// `file`, each converted to its canonical form without the product's
  /// converter.
  static func checkRoundTrip(
    _ database: TestDatabase,
    shape: TableShape,
    file: String,
    rejectedLines: Set<Int>
  ) throws {
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
    var expected: [String] = []
    for (number, line) in dataLines(of: bytes) where !rejectedLines.contains(number) {
      let row = String(decoding: line, as: UTF8.self)
      guard let converted = shape.exportedLine(of: row) else {
        Issue.record("\(file): line \(number) has no canonical form: \(row)")
        continue
      }
      expected.append(converted)
    }
    let exported = try database.query(shape.exportQuery)
    #expect(exported.count == expected.count, "rows in \(shape.table)")
    #expect(exported.sorted() == expected.sorted(), "content of \(shape.table)")
  }

  @Test("hand-made file loads, bad rows rejected", arguments: DatasetFixture.all)
  func handMadeFile(fixture: DatasetFixture) throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup(serving: [fixture.dataset: fixture.path])
    let result = try setup.make(datasets: fixture.dataset)
    #expect(result.status == 0, "\(result.transcript)")
    let bad = fixture.rejects.count
    #expect(
      result.standardOutput.contains(
        "\(fixture.goodRows) loaded by this run, \(bad) rejected (split \(bad))"
      ),
      "\(result.transcript)"
    )

    #expect(try setup.rejectsFileLines(of: fixture.dataset) == bad + 1)
    let rejects = try setup.loadRejects(of: fixture.dataset)
    #expect(rejects.count == bad)
    for (row, expected) in zip(rejects, fixture.rejects) {
      let fields = row.split(separator: "|", maxSplits: 2).map(String.init)
      #expect(fields.first == String(expected.line), "line of \(row)")
      #expect(fields.dropFirst().first == expected.column ?? "\\N", "column of \(row)")
      #expect(fields.last?.hasPrefix(expected.reason) == true, "reason of \(row)")
    }

    let database = setup.database
    let count = "SELECT count(*) FROM \(fixture.shape.table)"
    let checks = [DatasetFixture.check(count, String(fixture.goodRows))] + fixture.checks
    let values = try database.values(of: checks.map(\.sql))
    for (check, value) in zip(checks, values) {
      #expect(value == check.expected, "\(check.sql)")
    }

    try Self.checkRoundTrip(
      database,
      shape: fixture.shape,
      file: fixture.path,
      rejectedLines: Set(fixture.rejects.map(\.line))
    )
  }

  @Test("DATASETS=all names the seven in order")
  func allDatasets() throws {
    let result = try run([
      "make", "--no-print-directory", "-C", Harness.projectRoot, "help", "DATASETS=all",
    ])
    #expect(result.status == 0, "\(result.transcript)")
    let names = TableShape.all.map(\.dataset).joined(separator: " ")
    #expect(result.standardOutput.contains("  DATASETS=\(names)\n"), "\(result.transcript)")
  }

  @Test("unknown dataset stops make")
  func unknownDataset() throws {
    let result = try run([
      "make", "--no-print-directory", "-C", Harness.projectRoot, "help",
      "DATASETS=name.basics title.basic",
    ])
    #expect(result.status == 2)
    #expect(
      result.standardError.contains("unknown dataset 'title.basic' in DATASETS"),
      "\(result.transcript)"
    )
  }

  @Test("real excerpts of all seven load in one run")
  func realExcerpts() throws {
    guard Harness.checkAvailable() else { return }
    let samples = Dictionary(
      uniqueKeysWithValues: TableShape.all.map {
        ($0.dataset, Harness.fixtures + "/\($0.dataset).sample.tsv")
      }
    )
    let setup = try Setup(serving: samples)
    let result = try setup.make(datasets: "all", arguments: ["-j4"])
    #expect(result.status == 0, "\(result.transcript)")

    let counts = try setup.database.values(
      of: TableShape.all.map { "SELECT count(*) FROM \($0.table)" }
    )
    for (shape, count) in zip(TableShape.all, counts) {
      guard let sample = samples[shape.dataset] else { continue }
      let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: sample)))
      let rows = dataLines(of: bytes).count
      #expect(count == String(rows), "rows in \(shape.table)")
      #expect(try setup.rejectsFileLines(of: shape.dataset) == 1, "rejects of \(shape.dataset)")
      #expect(
        result.standardOutput.contains("\(shape.dataset) rows: \(rows) in chunks"),
        "\(result.transcript)"
      )
      try Self.checkRoundTrip(setup.database, shape: shape, file: sample, rejectedLines: [])
    }
  }
}

extension TestDatabase {
  /// Runs `queries` in one psql session and returns the first value of
  /// each, with an empty string for NULL or no row.
  func values(of queries: [String]) throws -> [String] {
    let commands = queries.flatMap { ["-c", "SELECT (\($0))"] }
    let result = try run(
      ["psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", name] + commands
    )
    guard result.status == 0 else { throw HarnessError("query failed: \(result.transcript)") }
    let lines = result.standardOutput.split(separator: "\n", omittingEmptySubsequences: false)
    guard lines.count == queries.count + 1 else {
      throw HarnessError("expected \(queries.count) values: \(result.transcript)")
    }
    return lines.dropLast().map(String.init)
  }
}
