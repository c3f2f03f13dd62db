import Foundation
import Testing

/// load writes rejected rows before it commits: a load that cannot write
/// them commits nothing, and a rerun replaces what a failed run left.
@Suite(.serialized, .enabled(if: Harness.isAvailable || Harness.isRequired))
struct RejectsBeforeCommitTests {
  let good = (1...4).map { "nm\($0)\tName \($0)\t1900\t\\N\t{actor}\t{tt\($0)}" }
  let outOfRange = "nm90\tToo Old\t99999\t\\N\t\\N\t\\N"

  /// Returns a rejects path in a directory that does not exist, so that
  /// the file cannot be created.
  static func unwritablePath(in directory: String) -> String {
    directory + "/missing/load.tsv"
  }

  static func rejectLines(_ path: String) throws -> [String] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst()
      .map(String.init)
  }

  @Test("chunk not committed when rejects fail")
  func chunkNotCommitted() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let directory = try Harness.temporaryDirectory("rejects-order")
    let chunk = try LoadRejectsTests.writeChunk(
      [good[0], outOfRange, good[1]],
      in: directory
    )

    let failed = try run(
      [
        Harness.tool("load"), "--create", "--rejects", Self.unwritablePath(in: directory), chunk,
      ],
      environment: database.environment
    )
    #expect(failed.status == 73, "\(failed.transcript)")
    // Committed without its rejected row, the chunk would be skipped by
    // every rerun and the row lost.
    #expect(try database.scalar("SELECT count(*) FROM stageload_ledger") == "0")
    #expect(try database.scalar("SELECT count(*) FROM name_basics") == "0")

    let rejects = directory + "/load.tsv"
    let rerun = try run(
      [Harness.tool("load"), "--rejects", rejects, chunk],
      environment: database.environment
    )
    #expect(rerun.status == 0, "\(rerun.transcript)")
    #expect(try database.scalar("SELECT rows || '/' || rejected FROM stageload_ledger") == "2/1")
    #expect(try Self.rejectLines(rejects).map { $0.hasSuffix("\t" + outOfRange) } == [true])
  }

  @Test("rerun replaces a chunk's stale rejects")
  func staleRejectsReplaced() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let directory = try Harness.temporaryDirectory("rejects-order")
    let chunk = try LoadRejectsTests.writeChunk([good[0], outOfRange, good[1]], in: directory)
    // What a load killed after writing its rejects and before its commit
    // leaves behind, next to a line of another chunk that must stay.
    let rejects = directory + "/load.tsv"
    let other = "000002.copy\t1\t\\N\t22003\tvalue out of range\tnm91\tx\t99999\t\\N\t\\N\t\\N"
    try Data(
      ("chunk\tchunk_line\tsource_line\tsqlstate\tmessage\trow\n"
        + "000001.copy\t2\t\\N\t22003\tstale\t\(outOfRange)\n\(other)\n").utf8
    ).write(to: URL(fileURLWithPath: rejects))

    let result = try run(
      [Harness.tool("load"), "--create", "--rejects", rejects, chunk],
      environment: database.environment
    )
    #expect(result.status == 0, "\(result.transcript)")
    let lines = try Self.rejectLines(rejects)
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
    let database = try TestDatabase()
    let directory = try Harness.temporaryDirectory("rejects-order")
    let chunk = try LoadRejectsTests.writeChunk([good[0], good[1], good[0]], in: directory)
    for arguments in [["--staging", "--create"], ["--staging", chunk]] {
      let step = try run([Harness.tool("load")] + arguments, environment: database.environment)
      #expect(step.status == 0, "\(step.transcript)")
    }

    let failed = try run(
      [Harness.tool("load"), "--publish", "--rejects", Self.unwritablePath(in: directory)],
      environment: database.environment
    )
    #expect(failed.status == 73, "\(failed.transcript)")
    // Published without its duplicate, the next publish would find no
    // staging table and the row would be lost.
    #expect(try database.scalar("SELECT to_regclass('name_basics__staging') IS NOT NULL") == "t")
    #expect(try database.scalar("SELECT to_regclass('name_basics') IS NULL") == "t")

    let rejects = directory + "/load.tsv"
    let rerun = try run(
      [Harness.tool("load"), "--publish", "--rejects", rejects],
      environment: database.environment
    )
    #expect(rerun.status == 0, "\(rerun.transcript)")
    #expect(try database.scalar("SELECT count(*) FROM name_basics") == "2")
    #expect(try Self.rejectLines(rejects).map { $0.split(separator: "\t").last } == ["nm1"])
  }
}
