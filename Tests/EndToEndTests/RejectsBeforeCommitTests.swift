import Foundation
import Testing

/// load writes rejected rows before it commits: a load that cannot write
/// them commits nothing, and a rerun replaces what a failed run left.
@Suite(.serialized, .enabled(if: Harness.isAvailable || Harness.isRequired))
struct RejectsBeforeCommitTests {
  let good = (1...4).map { "nm\($0)\tName \($0)\t1900\t\\N\t{actor}\t{tt\($0)}" }
  let outOfRange = "nm90\tToo Old\t99999\t\\N\t\\N\t\\N"

  /// A new database and a directory with one chunk of name.basics rows.
  struct Setup {
    let database: TestDatabase
    let directory: String
    let chunk: String

    /// A rejects path that load can create.
    var rejects: String { directory + "/load.tsv" }

    /// A rejects path in a directory that does not exist, so that load
    /// cannot create the file.
    var unwritableRejects: String { directory + "/missing/load.tsv" }

    init(rows: [String]) throws {
      database = try TestDatabase()
      directory = try Harness.temporaryDirectory("rejects-order")
      chunk = try LoadRejectsTests.writeChunk(rows, in: directory)
    }
  }

  @Test("chunk not committed when rejects fail")
  func chunkNotCommitted() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup(rows: [good[0], outOfRange, good[1]])
    let database = setup.database

    let failed = try database.runLoad([
      "--create", "--rejects", setup.unwritableRejects, setup.chunk,
    ])
    #expect(failed.status == 73, "\(failed.transcript)")
    // Committed without its rejected row, the chunk would be skipped by
    // every rerun and the row lost.
    #expect(try database.scalar("SELECT count(*) FROM stageload_ledger") == "0")
    #expect(try database.scalar("SELECT count(*) FROM name_basics") == "0")

    let rerun = try database.runLoad(["--rejects", setup.rejects, setup.chunk])
    #expect(rerun.status == 0, "\(rerun.transcript)")
    #expect(try database.scalar("SELECT rows || '/' || rejected FROM stageload_ledger") == "2/1")
    let lines = try LoadRejectsTests.rejectLines(setup.rejects)
    #expect(lines.map { $0.hasSuffix("\t" + outOfRange) } == [true])
  }

  @Test("rerun replaces a chunk's stale rejects")
  func staleRejectsReplaced() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup(rows: [good[0], outOfRange, good[1]])
    // What a load killed after writing its rejects and before its commit
    // leaves behind, next to a line of another chunk that must stay.
    let other = "000002.copy\t1\t\\N\t22003\tvalue out of range\tnm91\tx\t99999\t\\N\t\\N\t\\N"
    try Data(
      ("chunk\tchunk_line\tsource_line\tsqlstate\tmessage\trow\n"
        + "000001.copy\t2\t\\N\t22003\tstale\t\(outOfRange)\n\(other)\n").utf8
    ).write(to: URL(fileURLWithPath: setup.rejects))

    let result = try setup.database.runLoad(["--create", "--rejects", setup.rejects, setup.chunk])
    #expect(result.status == 0, "\(result.transcript)")
    let lines = try LoadRejectsTests.rejectLines(setup.rejects)
    #expect(lines.count == 2)
    #expect(lines.first == other)
    #expect(
      lines.last?.hasPrefix("000001.copy\t2\t\\N\t22003\tvalue \"99999\" is out of range") == true
    )
    #expect(!lines.contains { $0.contains("stale") })
  }

  @Test("publish not committed when rejects fail")
  func publishNotCommitted() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup(rows: [good[0], good[1], good[0]])
    let database = setup.database
    for arguments in [["--staging", "--create"], ["--staging", setup.chunk]] {
      let step = try database.runLoad(arguments)
      #expect(step.status == 0, "\(step.transcript)")
    }

    let failed = try database.runLoad(["--publish", "--rejects", setup.unwritableRejects])
    #expect(failed.status == 73, "\(failed.transcript)")
    // Published without its duplicate, the next publish would find no
    // staging table and the row would be lost.
    #expect(try database.scalar("SELECT to_regclass('name_basics__staging') IS NOT NULL") == "t")
    #expect(try database.scalar("SELECT to_regclass('name_basics') IS NULL") == "t")

    let rerun = try database.runLoad(["--publish", "--rejects", setup.rejects])
    #expect(rerun.status == 0, "\(rerun.transcript)")
    #expect(try database.scalar("SELECT count(*) FROM name_basics") == "2")
    let lines = try LoadRejectsTests.rejectLines(setup.rejects)
    #expect(lines.map { $0.split(separator: "\t").last } == ["nm1"])
  }
}
