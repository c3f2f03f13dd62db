import Foundation
import Testing

/// make's markers in WORK/loaded/NAME against the database: they hold only
/// for the database and table that they were written for.
@Suite(.serialized, .enabled(if: Harness.isAvailable || Harness.isRequired))
struct MarkerTargetTests {
  /// A spool loaded once from the name.basics sample into `database`.
  struct Setup {
    let directory: String
    let database: TestDatabase
    var work: String { directory + "/work" }
    var markers: String { work + "/loaded/name.basics" }

    init() throws {
      directory = try Harness.temporaryDirectory("markers")
      database = try TestDatabase()
      let first = try make(database: database)
      guard first.status == 0 else { throw HarnessError("first make failed: \(first.transcript)") }
    }

    /// Runs make on this spool with `database` and `arguments`.
    func make(
      database: TestDatabase,
      _ arguments: [String] = [],
      environment: [String: String] = [:]
    ) throws -> ProcessOutput {
      try run(
        [
          "make", "--no-print-directory", "-C", Harness.projectRoot, "WORK=\(work)",
          "SOURCE=\(Harness.fixtures)/name.basics.sample.tsv.gz",
        ] + arguments,
        environment: database.environment.merging(environment) { _, new in new }
      )
    }

    func markerExists(_ name: String) -> Bool {
      FileManager.default.fileExists(atPath: markers + "/" + name)
    }
  }

  @Test("another database loads again")
  func anotherDatabase() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup()
    let other = try TestDatabase()

    let result = try setup.make(database: other)
    #expect(result.status == 0, "\(result.transcript)")
    #expect(
      result.standardOutput.contains(
        "make: deleted the markers in \(setup.markers), because they were written for database "
      ),
      "\(result.transcript)"
    )
    #expect(try other.scalar("SELECT count(*) FROM name_basics") == "999")
    #expect(try other.scalar("SELECT count(*) FROM stageload_ledger") == "1")
    #expect(try setup.database.scalar("SELECT count(*) FROM name_basics") == "999")

    // The markers now hold for the other database, so a rerun loads nothing.
    let again = try setup.make(database: other)
    #expect(again.status == 0, "\(again.transcript)")
    #expect(!again.standardOutput.contains("deleted the markers"), "\(again.transcript)")
    #expect(
      again.standardOutput.contains("the one chunk of name.basics was already loaded"),
      "\(again.transcript)"
    )
  }

  @Test("another service loads again")
  func anotherService() throws {
    guard Harness.checkAvailable() else { return }
    guard let socketDirectory = Harness.environment["PGHOST"], socketDirectory.hasPrefix("/")
    else {
      // The service file below reaches the server through its socket directory.
      return
    }
    let setup = try Setup()
    let older = setup.database
    let other = try TestDatabase()
    // The older database keeps a table with fewer rows, as from an earlier load.
    _ = try older.query("DELETE FROM name_basics WHERE nconst > 'nm0000500'")
    let olderCount = try older.scalar("SELECT count(*) FROM name_basics")
    let port = Harness.environment["PGPORT"] ?? "5432"
    let serviceFile = setup.directory + "/pg_service.conf"
    let services = [("older", older.name), ("other", other.name)].map { service, database in
      "[\(service)]\nhost=\(socketDirectory)\nport=\(port)\ndbname=\(database)\n"
    }
    try services.joined().write(toFile: serviceFile, atomically: true, encoding: .utf8)
    let service = { (name: String) in ["PGSERVICEFILE": serviceFile, "PGSERVICE": name] }

    let url = try setup.make(database: other, ["db-url"], environment: service("other"))
    #expect(url.standardOutput.contains("service=other"), "\(url.transcript)")
    let toOther = try setup.make(database: other, environment: service("other"))
    #expect(toOther.status == 0, "\(toOther.transcript)")
    #expect(try other.scalar("SELECT count(*) FROM name_basics") == "999")

    // Only PGSERVICE changes, so only what the server reports tells the targets apart.
    let toOlder = try setup.make(database: other, environment: service("older"))
    #expect(toOlder.status == 0, "\(toOlder.transcript)")
    #expect(
      toOlder.standardOutput.contains(
        "because they were written for database \(other.name), but this run uses \(older.name)"
      ),
      "\(toOlder.transcript)"
    )
    #expect(olderCount != "999")
    #expect(try older.scalar("SELECT count(*) FROM name_basics") == "999")
  }

  @Test("another table name loads again")
  func anotherTable() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup()

    let result = try setup.make(database: setup.database, ["name.basics.table=people"])
    #expect(result.status == 0, "\(result.transcript)")
    #expect(
      result.standardOutput.contains(
        "because they were written for table name_basics, but this run uses people"
      ),
      "\(result.transcript)"
    )
    #expect(try setup.database.scalar("SELECT count(*) FROM people") == "999")
    #expect(result.standardOutput.contains("table people: 999 rows"), "\(result.transcript)")
  }

  @Test("dropped table loads again")
  func droppedTable() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup()
    _ = try setup.database.query("DROP TABLE name_basics")

    // make -n only prints what it would do.
    let dryRun = try setup.make(database: setup.database, ["-n"])
    #expect(dryRun.status == 0, "\(dryRun.transcript)")
    #expect(
      dryRun.standardOutput.contains("make -n: would delete the markers in \(setup.markers)"),
      "\(dryRun.transcript)"
    )
    #expect(setup.markerExists("published.ok"))
    #expect(setup.markerExists("000001.ok"))

    let result = try setup.make(database: setup.database)
    #expect(result.status == 0, "\(result.transcript)")
    #expect(
      result.standardOutput.contains(
        "published.ok says table name_basics was published, but the database has no such table"
      ),
      "\(result.transcript)"
    )
    #expect(try setup.database.scalar("SELECT count(*) FROM name_basics") == "999")
    #expect(try setup.database.scalar("SELECT count(*) FROM stageload_ledger") == "1")
  }

  @Test("dropped staging table loads again")
  func droppedStagingTable() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup()
    // As after a split whose staging table was dropped before the publish.
    _ = try setup.database.query("DROP TABLE name_basics")
    try FileManager.default.removeItem(atPath: setup.markers + "/published.ok")

    let result = try setup.make(database: setup.database)
    #expect(result.status == 0, "\(result.transcript)")
    #expect(
      result.standardOutput.contains(
        "table.ok says name_basics__staging was created, but the database has neither it nor name_basics"
      ),
      "\(result.transcript)"
    )
    #expect(try setup.database.scalar("SELECT count(*) FROM name_basics") == "999")
  }

  @Test("lost staging table loads again")
  func lostStagingTable() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup()
    let source = try Self.writeSource(rows: 5, in: setup.directory)
    // make's split step loads the new source into name_basics__staging,
    // which is then dropped where make would publish it.
    let split = try setup.make(
      database: setup.database,
      ["SOURCE=\(source)", setup.work + "/chunks/name.basics/manifest.tsv"]
    )
    #expect(split.status == 0, "\(split.transcript)")
    #expect(setup.markerExists("table.ok"))
    #expect(!setup.markerExists("published.ok"))
    _ = try setup.database.query("DROP TABLE name_basics__staging")

    let result = try setup.make(database: setup.database, ["SOURCE=\(source)"])
    #expect(result.status == 0, "\(result.transcript)")
    #expect(
      result.standardOutput.contains(
        "because stageload_ledger lists chunks loaded into name_basics__staging, "
          + "but that table is gone, so they were never published; loading name.basics again"
      ),
      "\(result.transcript)"
    )
    #expect(try setup.database.scalar("SELECT count(*) FROM name_basics") == "5")
    #expect(
      try setup.database.query("SELECT table_name || ' ' || rows FROM stageload_ledger")
        == ["name_basics 5"]
    )
  }

  /// Writes a gzipped name.basics file of `rows` rows into `directory` and
  /// returns its path.
  static func writeSource(rows: Int, in directory: String) throws -> String {
    let header = "nconst\tprimaryName\tbirthYear\tdeathYear\tprimaryProfession\tknownForTitles\n"
    let lines = (1...rows).map { "nm\($0)\tName \($0)\t\\N\t\\N\tactor\ttt\($0)\n" }
    let tsv = directory + "/source.tsv"
    try Data((header + lines.joined()).utf8).write(to: URL(fileURLWithPath: tsv))
    let gzip = try run(["sh", "-c", "gzip -n -c \"$0\" > \"$0.gz\"", tsv])
    guard gzip.status == 0 else { throw HarnessError("gzip failed: \(gzip.transcript)") }
    return tsv + ".gz"
  }

  @Test("unreachable database keeps the markers")
  func unreachableDatabase() throws {
    guard Harness.checkAvailable() else { return }
    guard let socketDirectory = Harness.environment["PGHOST"], socketDirectory.hasPrefix("/")
    else {
      // The check needs a socket directory that the test can take away.
      return
    }
    // make reaches the server through a link to its socket directory,
    // which the test deletes to make the same target unreachable.
    let link = try Harness.temporaryDirectory("socket-link") + "/socket"
    try FileManager.default.createSymbolicLink(
      atPath: link,
      withDestinationPath: socketDirectory
    )
    let setup = try Setup()
    let database = setup.database
    let viaLink = ["PGHOST": link]
    let linked = try setup.make(database: database, environment: viaLink)
    #expect(linked.status == 0, "\(linked.transcript)")
    _ = try database.query("DROP TABLE name_basics")

    try FileManager.default.removeItem(atPath: link)
    let unreachable = try setup.make(database: database, environment: viaLink)
    #expect(unreachable.status == 2, "\(unreachable.transcript)")
    // make names the status of the step that failed: 69, unreachable.
    #expect(unreachable.standardError.contains("] Error 69"), "\(unreachable.transcript)")
    #expect(
      !unreachable.standardOutput.contains("deleted the markers"),
      "\(unreachable.transcript)"
    )
    #expect(setup.markerExists("published.ok"))
    #expect(setup.markerExists("000001.ok"))

    try FileManager.default.createSymbolicLink(
      atPath: link,
      withDestinationPath: socketDirectory
    )
    let reachable = try setup.make(database: database, environment: viaLink)
    #expect(reachable.status == 0, "\(reachable.transcript)")
    #expect(reachable.standardOutput.contains("deleted the markers"), "\(reachable.transcript)")
    #expect(try database.scalar("SELECT count(*) FROM name_basics") == "999")
  }

  @Test("unreachable database changes nothing")
  func unreachableURL() throws {
    guard Harness.checkAvailable() else { return }
    guard let socketDirectory = Harness.environment["PGHOST"], socketDirectory.hasPrefix("/")
    else {
      // The URLs below name the server by its socket directory.
      return
    }
    let setup = try Setup()
    let database = setup.database
    let port = Int(Harness.environment["PGPORT"] ?? "5432") ?? 5432
    let url = { (port: Int) in
      ["DATABASE_URL": "postgresql:///\(database.name)?host=\(socketDirectory)&port=\(port)"]
    }
    let right = try setup.make(database: database, environment: url(port))
    #expect(right.status == 0, "\(right.transcript)")
    let record = try String(contentsOfFile: setup.markers + "/target", encoding: .utf8)

    // A typo in the port: nothing listens there.
    let typo = try setup.make(database: database, environment: url(port + 1))
    #expect(typo.status == 2, "\(typo.transcript)")
    // make names the status of the step that failed: 69, unreachable.
    #expect(typo.standardError.contains("] Error 69"), "\(typo.transcript)")
    #expect(
      typo.standardError.contains(
        "make: cannot connect to the database postgresql:///\(database.name)?host=\(socketDirectory)&port=\(port + 1), so the markers stay as they are: "
      ),
      "\(typo.transcript)"
    )
    #expect(!typo.standardOutput.contains("deleted the markers"), "\(typo.transcript)")
    #expect(setup.markerExists("published.ok"))
    #expect(setup.markerExists("000001.ok"))
    let recordAfterTypo = try String(contentsOfFile: setup.markers + "/target", encoding: .utf8)
    #expect(recordAfterTypo == record)

    let fixed = try setup.make(database: database, environment: url(port))
    #expect(fixed.status == 0, "\(fixed.transcript)")
    #expect(
      fixed.standardOutput.contains(
        "the one chunk of name.basics was already loaded and published"
      ),
      "\(fixed.transcript)"
    )
  }

  @Test("status names another table")
  func statusAnotherTable() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup()

    let status = try setup.make(database: setup.database, ["status", "name.basics.table=people"])
    #expect(status.status == 0, "\(status.transcript)")
    #expect(
      status.standardOutput
        == "name.basics: the markers in \(setup.markers) do not apply to this run, because they "
        + "were written for table name_basics, but this run uses people; the next make loads "
        + "name.basics again\n",
      "\(status.transcript)"
    )
    // status only reports.
    #expect(setup.markerExists("published.ok"))
    #expect(setup.markerExists("target"))
  }

  @Test("status names another database")
  func statusAnotherDatabase() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup()
    let other = try TestDatabase()

    let status = try setup.make(database: other, ["status"])
    #expect(status.status == 0, "\(status.transcript)")
    #expect(
      status.standardOutput.contains(
        "because they were written for database \(setup.database.name), but this run uses \(other.name)"
      ),
      "\(status.transcript)"
    )
    #expect(!status.standardOutput.contains("published"), "\(status.transcript)")
    #expect(setup.markerExists("published.ok"))

    let same = try setup.make(database: setup.database, ["status"])
    #expect(
      same.standardOutput.hasPrefix("name.basics: 1 chunk: 1 loaded, 0 pending, published;"),
      "\(same.transcript)"
    )
  }

  @Test("status after a new download")
  func statusNewDownload() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup()
    // Another spelling of the source is another SOURCE, so make fetches it
    // again. Making only the download stops where an interrupted run would.
    let source = "SOURCE=file://\(Harness.fixtures)/name.basics.sample.tsv.gz"
    let download = setup.work + "/download/name.basics.tsv.gz"
    let fetched = try setup.make(database: setup.database, [source, download])
    #expect(fetched.status == 0, "\(fetched.transcript)")
    #expect(fetched.standardOutput.contains("SOURCE changed"), "\(fetched.transcript)")

    let expected =
      "name.basics: downloaded again after the last split, not split yet; "
      + "the next make splits and loads it\n"
    let status = try setup.make(database: setup.database, [source, "status"])
    #expect(status.standardOutput == expected, "\(status.transcript)")
    let summary = try setup.make(database: setup.database, [source, "summary"])
    #expect(summary.standardOutput == "summary:\n  " + expected, "\(summary.transcript)")

    let loaded = try setup.make(database: setup.database, [source])
    #expect(loaded.status == 0, "\(loaded.transcript)")
    #expect(
      loaded.standardOutput.contains("1 of 1 chunk loaded by this run"),
      "\(loaded.transcript)"
    )
  }
}
