import Foundation
import Testing

/// The main job through the real Makefile and tools, from a gzip served
/// over HTTP on 127.0.0.1 into a PostgreSQL database made for each test.
@Suite(.serialized, .enabled(if: Harness.isAvailable || Harness.isRequired))
struct MainJobTests {
  static let sample = Harness.fixtures + "/name.basics.sample.tsv"

  /// A served gzip of the name.basics sample and a spool directory.
  struct Setup {
    let directory: String
    let server: FileServer
    let database: TestDatabase
    var work: String { directory + "/work" }
    var source: String { server.url("name.basics.tsv.gz") }

    init() throws {
      directory = try Harness.temporaryDirectory("e2e")
      let served = directory + "/served"
      try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
      let gzip = try run([
        "sh", "-c", "gzip -n -c \"$0\" > \"$1\"", MainJobTests.sample,
        served + "/name.basics.tsv.gz",
      ])
      guard gzip.status == 0 else { throw HarnessError("gzip failed: \(gzip.transcript)") }
      server = try FileServer(directory: served)
      database = try TestDatabase()
    }

    /// Runs make in the project with this setup's WORK, SOURCE and database.
    func make(_ arguments: [String] = []) throws -> ProcessOutput {
      try run(
        [
          "make", "--no-print-directory", "-C", Harness.projectRoot, "WORK=\(work)",
          "SOURCE=\(source)",
        ]
          + arguments,
        environment: database.environment
      )
    }
  }

  /// The sample's data rows, split into fields.
  static func sampleRows() throws -> [[String]] {
    let text = try String(contentsOfFile: sample, encoding: .utf8)
    return text.split(separator: "\n").dropFirst().map {
      $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
    }
  }

  /// Reads a name.basics table back in the source's TSV form: NULL as \N
  /// and arrays joined with commas.
  static func exportAsSource(_ database: TestDatabase, table: String) throws -> [String] {
    try database.query(
      """
      SELECT concat_ws(E'\\t', nconst, coalesce(primary_name, '\\N'),
        coalesce(birth_year::text, '\\N'), coalesce(death_year::text, '\\N'),
        coalesce(array_to_string(primary_professions, ','), '\\N'),
        coalesce(array_to_string(known_for_titles, ','), '\\N'))
      FROM \(table) ORDER BY nconst
      """
    )
  }

  @Test("make loads the sample over HTTP")
  func makeLoadsSample() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup()
    let result = try setup.make()
    #expect(result.status == 0, "\(result.transcript)")
    #expect(
      result.standardOutput.contains("name.basics: 1 of 1 chunk loaded by this run"),
      "\(result.transcript)"
    )

    let database = setup.database
    #expect(try database.scalar("SELECT count(*) FROM name_basics") == "999")
    #expect(
      try database.scalar(
        """
        SELECT concat_ws('|', primary_name, birth_year, death_year, primary_professions,
          known_for_titles) FROM name_basics WHERE nconst = 'nm0000001'
        """
      )
        == "Fred Astaire|1899|1987|{soundtrack,actor,miscellaneous}|"
        + "{tt0053137,tt0031983,tt0050419,tt0072308}"
    )

    let rows = try Self.sampleRows()
    let columns = [
      (2, "birth_year"), (3, "death_year"), (4, "primary_professions"), (5, "known_for_titles"),
    ]
    for (index, column) in columns {
      let expectedNulls = rows.filter { $0[index] == "\\N" }.count
      let nulls = try database.scalar("SELECT count(*) FROM name_basics WHERE \(column) IS NULL")
      #expect(nulls == String(expectedNulls), "NULLs in \(column)")
    }
    #expect(
      try database.scalar("SELECT count(*) FROM name_basics WHERE '\\N' = ANY(primary_professions)")
        == "0"
    )

    // Every value reads back as in the source once NULL is written \N
    // and arrays are joined with commas again.
    let source = try String(contentsOfFile: Self.sample, encoding: .utf8)
      .split(separator: "\n").dropFirst().map(String.init).sorted()
    #expect(try Self.exportAsSource(database, table: "name_basics") == source)

    let again = try setup.make()
    #expect(again.status == 0, "\(again.transcript)")
    #expect(
      again.standardOutput.contains(
        "nothing to load: the one chunk of name.basics was already loaded"
      ),
      "\(again.transcript)"
    )
    // With an external database, as here, there is no db-ready step, so
    // the make that loads the chunks had no command at all to run.
    #expect(!again.standardOutput.contains("Nothing to be done"), "\(again.transcript)")
  }

  @Test("pipe of the four tools gives the same table")
  func pipeGivesSameTable() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup()
    #expect(try setup.make().status == 0)

    let pipeline = [
      Harness.tool("fetch") + " \"$0\"", Harness.tool("inflate"),
      Harness.tool("split") + " --dataset name.basics --stdout",
      Harness.tool("load") + " --dataset name.basics --table name_basics_2 --create -",
    ].joined(separator: " | ")
    let result = try run(
      ["bash", "-o", "pipefail", "-c", pipeline, setup.source],
      environment: setup.database.environment
    )
    #expect(result.status == 0, "\(result.transcript)")

    let database = setup.database
    #expect(try database.scalar("SELECT count(*) FROM name_basics_2") == "999")
    let difference = """
      SELECT count(*) FROM ((TABLE name_basics EXCEPT ALL TABLE name_basics_2)
        UNION ALL (TABLE name_basics_2 EXCEPT ALL TABLE name_basics)) AS d
      """
    #expect(try database.scalar(difference) == "0")
  }

  @Test("chunks load during the split")
  func chunksLoadDuringSplit() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup()
    let result = try setup.make(["CHUNK_ROWS=100", "-j2"])
    #expect(result.status == 0, "\(result.transcript)")
    // make echoes each command; none loads a single chunk file.
    let chunkLoads = result.standardOutput.split(separator: "\n").filter { $0.hasSuffix(".copy") }
    #expect(chunkLoads.isEmpty, "\(result.transcript)")
    #expect(result.standardOutput.contains("--list-chunks"), "\(result.transcript)")
    let markers = try FileManager.default.contentsOfDirectory(
      atPath: setup.work + "/loaded/name.basics"
    ).filter { $0.hasSuffix(".ok") }
    #expect(markers.count == 12, "\(markers.sorted())")
    #expect(try setup.database.scalar("SELECT count(*) FROM stageload_ledger") == "10")
    #expect(
      try Self.exportAsSource(setup.database, table: "name_basics")
        == Self.sampleRows().map {
          $0.joined(separator: "\t")
        }.sorted()
    )
    #expect(
      result.standardOutput.contains("10 of 10 chunks loaded by this run"),
      "\(result.transcript)"
    )
  }

  @Test("rerun after a failed chunk loads only it")
  func rerunLoadsOnlyFailedChunk() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup()
    let first = try setup.make(["CHUNK_ROWS=100"])
    #expect(first.status == 0, "\(first.transcript)")
    #expect(try setup.database.scalar("SELECT count(*) FROM name_basics") == "999")

    let again = try setup.make(["CHUNK_ROWS=100"])
    #expect(again.status == 0, "\(again.transcript)")
    #expect(
      again.standardOutput.contains("nothing to load: all 10 chunks of name.basics were already"),
      "\(again.transcript)"
    )
    #expect(!again.standardError.contains("loaded"), "\(again.transcript)")

    // Load the same chunks into a fresh database with chunk 4 unreadable
    // (a directory in its place): its load fails and make -k goes on with
    // the other chunks. The split step, which loads chunks as it writes
    // them, is over, so this is the load stage's own chunk rules at work,
    // as after an early load that failed: a fresh staging table and no
    // chunk markers.
    let retry = try TestDatabase()
    let staging = try retry.runLoad(["--dataset", "name.basics", "--staging", "--create"])
    #expect(staging.status == 0, "\(staging.transcript)")
    let markers = setup.work + "/loaded/name.basics"
    for name in try FileManager.default.contentsOfDirectory(atPath: markers)
    where name != "table.ok" {
      try FileManager.default.removeItem(atPath: markers + "/" + name)
    }
    // table.ok now marks the staging table in the retry database.
    let record = try run(
      ["stages/markers.sh", "record", setup.work, "name.basics", "name_basics"],
      environment: retry.environment,
      directory: Harness.projectRoot
    )
    #expect(record.status == 0, "\(record.transcript)")
    let chunk = setup.work + "/chunks/name.basics/000004.copy"
    let original = try Data(contentsOf: URL(fileURLWithPath: chunk))
    try FileManager.default.removeItem(atPath: chunk)
    try FileManager.default.createDirectory(atPath: chunk, withIntermediateDirectories: false)
    let makeRetry = { (arguments: [String]) in
      try run(
        [
          "make", "--no-print-directory", "-C", Harness.projectRoot, "WORK=\(setup.work)",
          "SOURCE=\(setup.source)", "CHUNK_ROWS=100",
        ] + arguments,
        environment: retry.environment
      )
    }
    let failed = try makeRetry(["-k", "-j2"])
    #expect(failed.status != 0, "\(failed.transcript)")
    #expect(failed.standardError.contains("000004.copy"), "\(failed.transcript)")
    // The good chunks are in the staging table; nothing is published
    // while a chunk is missing.
    #expect(
      try retry.scalar("SELECT count(*) FROM name_basics__staging") == "899",
      "\(failed.transcript)"
    )
    #expect(try retry.scalar("SELECT to_regclass('name_basics') IS NULL") == "t")
    #expect(!FileManager.default.fileExists(atPath: setup.work + "/loaded/name.basics/000004.ok"))
    #expect(FileManager.default.fileExists(atPath: setup.work + "/loaded/name.basics/000005.ok"))

    try FileManager.default.removeItem(atPath: chunk)
    try original.write(to: URL(fileURLWithPath: chunk))
    let fixed = try makeRetry([])
    #expect(fixed.status == 0, "\(fixed.transcript)")
    #expect(fixed.standardError.contains("000004.copy: loaded 100 rows"), "\(fixed.transcript)")
    #expect(!fixed.standardError.contains("000005.copy"), "\(fixed.transcript)")
    #expect(try retry.scalar("SELECT count(*) FROM name_basics") == "999")
    #expect(try retry.scalar("SELECT to_regclass('name_basics__staging') IS NULL") == "t")
    #expect(try retry.scalar("SELECT count(*) FROM stageload_ledger") == "10")
  }

  @Test("damaged download is fetched again")
  func damagedDownloadFetchedAgain() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup()
    let served = setup.directory + "/served/name.basics.tsv.gz"
    let good = try Data(contentsOf: URL(fileURLWithPath: served))
    // A server whose file ends early but has no Content-Length to betray it
    // is simulated by serving the truncated bytes as the whole file.
    try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: served))

    let failed = try setup.make()
    #expect(failed.status != 0, "\(failed.transcript)")
    #expect(failed.standardError.contains("truncated gzip stream"), "\(failed.transcript)")
    #expect(failed.standardError.contains("removed the damaged download"), "\(failed.transcript)")
    #expect(!FileManager.default.fileExists(atPath: setup.work + "/download/name.basics.tsv.gz"))

    try good.write(to: URL(fileURLWithPath: served))
    let fixed = try setup.make()
    #expect(fixed.status == 0, "\(fixed.transcript)")
    #expect(try setup.database.scalar("SELECT count(*) FROM name_basics") == "999")
  }

  @Test("download that is not gzip")
  func downloadNotGzip() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup()
    let loaded = try setup.make()
    #expect(loaded.status == 0, "\(loaded.transcript)")
    let download = setup.work + "/download/name.basics.tsv.gz"

    // A SOURCE that names the plain TSV fails the same way on every run.
    for run in 1...2 {
      let result = try setup.make(["SOURCE=\(MainJobTests.sample)"])
      let context = Comment(rawValue: "run \(run): \(result.transcript)")
      #expect(result.status != 0, context)
      #expect(
        result.standardError.contains(
          "inflate: \(download): not in gzip format: no gzip magic number (1f 8b) at byte 0\n"
        ),
        context
      )
      #expect(
        result.standardError.contains(
          "make: \(download): not a gzip file, so SOURCE names the wrong file; check SOURCE"
        ),
        context
      )
      #expect(!result.standardError.contains("split:"), context)
      #expect(!result.standardError.contains("removed the damaged download"), context)
      #expect(
        result.standardOutput.contains(
          "  name.basics: downloaded, not split yet; table name_basics: 999 rows, "
            + "published from an earlier download\n"
        ),
        context
      )
      #expect(FileManager.default.fileExists(atPath: download), context)
    }
    #expect(try setup.database.scalar("SELECT count(*) FROM name_basics") == "999")

    let status = try setup.make(["status"])
    #expect(
      status.standardOutput
        == "name.basics: downloaded, not split yet; table name_basics keeps any rows "
        + "published from an earlier download\n",
      "\(status.transcript)"
    )
  }
}
