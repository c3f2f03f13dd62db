import Foundation
import Testing

/// `load --publish` run alone: what it does when the staging table is
/// empty or missing, and how it changes the ledger.
@Suite(.serialized, .enabled(if: Harness.isAvailable || Harness.isRequired))
struct PublishCommandTests {
  /// Writes a name.basics chunk of `count` rows, with keys from nm`first`
  /// on, outside any dataset directory and returns its path.
  static func writeChunk(rows count: Int, first: Int = 1) throws -> String {
    let path = try Harness.temporaryDirectory("publish-command") + "/000001.copy"
    let rows = (first..<first + count).map {
      "nm\($0)\tName \($0)\t1900\t\\N\t{actor}\t{tt\($0)}\n"
    }
    try Data(rows.joined().utf8).write(to: URL(fileURLWithPath: path))
    return path
  }

  /// Loads `rows` rows into `people__staging` and publishes them as `people`.
  static func publishPeople(rows: Int, in database: TestDatabase) throws {
    let chunk = try writeChunk(rows: rows)
    let load = try database.runLoad(["--table", "people", "--staging", "--create", chunk])
    #expect(load.status == 0, "\(load.transcript)")
    let publish = try database.runLoad(["--table", "people", "--publish"])
    #expect(publish.status == 0, "\(publish.transcript)")
  }

  @Test("empty staging table is not published")
  func emptyStagingTable() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    try Self.publishPeople(rows: 3, in: database)
    let create = try database.runLoad(["--table", "people", "--staging", "--create"])
    #expect(create.status == 0, "\(create.transcript)")

    let result = try database.runLoad(["--table", "people", "--publish"])
    #expect(result.status == 65, "\(result.transcript)")
    #expect(
      result.standardError
        == "load: people: not published, because people__staging has no rows (every source "
        + "row was rejected, or the source had none); people was left as it was\n"
    )
    #expect(try database.scalar("SELECT count(*) FROM people") == "3")
    #expect(try database.scalar("SELECT to_regclass('people__staging') IS NOT NULL") == "t")
  }

  @Test("empty staging table without a table")
  func emptyStagingTableOnly() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let create = try database.runLoad(["--table", "people", "--staging", "--create"])
    #expect(create.status == 0, "\(create.transcript)")

    let result = try database.runLoad(["--table", "people", "--publish"])
    #expect(result.status == 65, "\(result.transcript)")
    #expect(try database.scalar("SELECT to_regclass('people') IS NULL") == "t")
  }

  @Test("neither table exists exits 66")
  func noTable() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let result = try database.runLoad(["--table", "nonexistent_tbl", "--publish"])
    #expect(result.status == 66, "\(result.transcript)")
    #expect(
      result.standardError
        == "load: nonexistent_tbl: nothing to publish, because neither nonexistent_tbl nor "
        + "nonexistent_tbl__staging exists; load chunks with --staging first\n"
    )
  }

  @Test("second publish is a no-op")
  func publishedAlready() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    try Self.publishPeople(rows: 2, in: database)

    let again = try database.runLoad(["--table", "people", "--publish"])
    #expect(again.status == 0, "\(again.transcript)")
    #expect(again.standardError.contains("published already"), "\(again.transcript)")
    #expect(try database.scalar("SELECT count(*) FROM people") == "2")
  }

  @Test("publish moves the ledger rows")
  func publishMovesLedgerRows() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let direct = try database.runLoad(
      ["--table", "people", "--create", try Self.writeChunk(rows: 2)]
    )
    #expect(direct.status == 0, "\(direct.transcript)")
    let staged = try database.runLoad(
      ["--table", "people", "--staging", "--create", try Self.writeChunk(rows: 3, first: 11)]
    )
    #expect(staged.status == 0, "\(staged.transcript)")

    let publish = try database.runLoad(["--table", "people", "--publish"])
    #expect(publish.status == 0, "\(publish.transcript)")
    // The direct load's row described the old table, which publish dropped.
    #expect(
      try database.query("SELECT table_name || ' ' || rows FROM stageload_ledger")
        == ["people 3"]
    )
  }

  @Test("lost staging table is not published")
  func lostStagingTable() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    try Self.publishPeople(rows: 2, in: database)
    let staged = try database.runLoad(
      ["--table", "people", "--staging", "--create", try Self.writeChunk(rows: 3, first: 11)]
    )
    #expect(staged.status == 0, "\(staged.transcript)")
    _ = try database.query("DROP TABLE people__staging")

    let result = try database.runLoad(["--table", "people", "--publish"])
    #expect(result.status == 66, "\(result.transcript)")
    #expect(
      result.standardError
        == "load: people: people__staging is missing, but stageload_ledger lists 1 chunk "
        + "loaded into it, so people__staging was dropped or lost and that chunk was never "
        + "published; people was left as it was; run make to load it again\n"
    )
    #expect(try database.scalar("SELECT count(*) FROM people") == "2")
    #expect(
      try database.scalar(
        "SELECT count(*) FROM stageload_ledger WHERE table_name = 'people__staging'"
      ) == "1"
    )
  }

  @Test("direct load after publish is not skipped")
  func directLoadAfterPublish() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let chunk = try Self.writeChunk(rows: 2)
    let direct = try database.runLoad(["--table", "people", "--create", chunk])
    #expect(direct.status == 0, "\(direct.transcript)")
    let staged = try database.runLoad(
      ["--table", "people", "--staging", "--create", try Self.writeChunk(rows: 3, first: 11)]
    )
    #expect(staged.status == 0, "\(staged.transcript)")
    let publish = try database.runLoad(["--table", "people", "--publish"])
    #expect(publish.status == 0, "\(publish.transcript)")

    // The published table lacks the first chunk's rows, so it loads again.
    let again = try database.runLoad(["--table", "people", chunk])
    #expect(again.status == 0, "\(again.transcript)")
    #expect(again.standardError.contains("loaded 2 rows into people"), "\(again.transcript)")
    #expect(try database.scalar("SELECT count(*) FROM people") == "5")
  }
}
