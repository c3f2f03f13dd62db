import Foundation
import Testing

/// Publishing through make: chunks load into a staging table, which
/// replaces the table in one transaction once every chunk is in.
@Suite(.serialized, .enabled(if: Harness.isAvailable || Harness.isRequired))
struct PublishTests {
  static let header =
    "nconst\tprimaryName\tbirthYear\tdeathYear\tprimaryProfession\tknownForTitles\n"

  /// A served name.basics file, a spool and a database.
  struct Setup {
    let directory: String
    let served: String
    let server: FileServer
    let database = try? TestDatabase()

    init() throws {
      directory = try Harness.temporaryDirectory("publish")
      served = directory + "/served"
      try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
      server = try FileServer(directory: served)
    }

    /// Serves `rows` (without header) as a gzipped name.basics file.
    func serve(_ rows: [String]) throws {
      let tsv = directory + "/name.basics.tsv"
      try Data((PublishTests.header + rows.map { $0 + "\n" }.joined()).utf8)
        .write(to: URL(fileURLWithPath: tsv))
      let gzip = try run([
        "sh", "-c", "gzip -n -c \"$0\" > \"$1\"", tsv, served + "/name.basics.tsv.gz",
      ])
      guard gzip.status == 0 else { throw HarnessError("gzip failed: \(gzip.transcript)") }
    }

    func make(_ arguments: [String]) throws -> ProcessOutput {
      try run(
        [
          "make", "--no-print-directory", "-C", Harness.projectRoot, "WORK=\(directory)/work",
          "SOURCE=\(server.url("name.basics.tsv.gz"))", "CHUNK_ROWS=2",
        ] + arguments,
        environment: database?.environment ?? [:]
      )
    }
  }

  static func row(_ number: Int, _ name: String) -> String {
    "nm\(number)\t\(name)\t\\N\t\\N\tactor\ttt\(number)"
  }

  @Test("one row counts in the singular")
  func oneRow() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup()
    try setup.serve([Self.row(1, "A")])
    let result = try setup.make(["LOAD_JOBS=0"])
    #expect(result.status == 0, "\(result.transcript)")
    let output = result.standardOutput + result.standardError
    #expect(output.contains("split: name.basics: 1 row read, 1 written, 0 rejected, 1 chunk in"))
    #expect(output.contains("000001.copy: loaded 1 row into name_basics__staging"))
    #expect(output.contains("load: name_basics: published 1 row with primary key (nconst)"))
    #expect(output.contains("table name_basics: 1 row\n"))
    #expect(output.contains(", 1 row loaded, "))
  }

  @Test("duplicate keys across chunks are rejected at publish")
  func duplicateKeys() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup()
    let database = try #require(setup.database)
    // nm2 appears in chunk 1 and chunk 2; nm3 twice in chunk 2.
    try setup.serve([
      Self.row(1, "A"), Self.row(2, "B"), Self.row(2, "B again"), Self.row(3, "C"),
      Self.row(3, "C again"),
    ])
    let result = try setup.make(["-j2"])
    #expect(result.status == 0, "\(result.transcript)")
    #expect(try database.scalar("SELECT count(*) FROM name_basics") == "3")
    #expect(try database.scalar("SELECT count(DISTINCT nconst) FROM name_basics") == "3")
    #expect(
      try database.scalar(
        "SELECT count(*) FROM pg_constraint WHERE conrelid = 'name_basics'::regclass AND contype = 'p'"
      )
        == "1"
    )

    let rejects = try String(
      contentsOfFile: setup.directory + "/work/rejects/name.basics/load.tsv",
      encoding: .utf8
    )
    .split(separator: "\n").dropFirst()
    #expect(rejects.count == 2)
    #expect(rejects.allSatisfy { $0.contains("\t23505\tduplicate key (nconst)=") })
    #expect(result.standardOutput.contains("2 rejected"), "\(result.transcript)")
    #expect(
      result.standardError.contains(
        "load: name_basics: published 3 rows with primary key (nconst); 2 rows with a duplicate key"
      ),
      "\(result.transcript)"
    )
  }

  @Test("refresh replaces the table with the new file")
  func refreshReplacesTable() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup()
    let database = try #require(setup.database)
    try setup.serve((1...5).map { Self.row($0, "Old \($0)") })
    let first = try setup.make([])
    #expect(first.status == 0, "\(first.transcript)")
    #expect(try database.scalar("SELECT count(*) FROM name_basics") == "5")

    // An unchanged source is a no-op: fetch gets 304 and nothing reloads.
    let unchanged = try setup.make(["refresh"])
    #expect(unchanged.status == 0, "\(unchanged.transcript)")
    #expect(unchanged.standardError.contains("up to date"), "\(unchanged.transcript)")
    #expect(
      unchanged.standardOutput.contains(
        "nothing to load: all 3 chunks of name.basics were already loaded"
      ),
      "\(unchanged.transcript)"
    )

    try setup.serve((3...6).map { Self.row($0, "New \($0)") })
    let refreshed = try setup.make(["refresh"])
    #expect(refreshed.status == 0, "\(refreshed.transcript)")
    #expect(try database.scalar("SELECT count(*) FROM name_basics") == "4")
    #expect(
      try database.scalar("SELECT string_agg(primary_name, ',' ORDER BY nconst) FROM name_basics")
        == "New 3,New 4,New 5,New 6"
    )
    #expect(try database.scalar("SELECT to_regclass('name_basics__staging') IS NULL") == "t")
    #expect(try database.scalar("SELECT to_regclass('name_basics__old') IS NULL") == "t")
  }

  @Test(
    "refresh without valid rows keeps table",
    arguments: [
      ("every row rejected", (1...5).map { "nm\($0)\tX\tbad\t\\N\t\\N\t\\N" }),
      ("header only", []),
    ] as [(String, [String])]
  )
  func refreshWithoutRows(label: String, rows: [String]) throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup()
    let database = try #require(setup.database)
    try setup.serve((1...5).map { Self.row($0, "Old \($0)") })
    let first = try setup.make([])
    #expect(first.status == 0, "\(first.transcript)")

    try setup.serve(rows)
    let refreshed = try setup.make(["refresh"])
    #expect(refreshed.status != 0, "\(label): \(refreshed.transcript)")
    #expect(
      refreshed.standardError.contains(
        "load: name_basics: not published, because name_basics__staging has no rows"
      ),
      "\(label): \(refreshed.transcript)"
    )
    #expect(
      refreshed.standardOutput.contains(
        "nothing to load: split wrote no rows of name.basics, so it has no chunks"
      ),
      "\(label): \(refreshed.transcript)"
    )
    #expect(
      refreshed.standardOutput.contains("table name_basics: 5 rows"),
      "\(label): \(refreshed.transcript)"
    )
    #expect(
      try database.scalar("SELECT string_agg(primary_name, ',' ORDER BY nconst) FROM name_basics")
        == "Old 1,Old 2,Old 3,Old 4,Old 5"
    )
  }
}
