import Foundation
import Testing

/// Rows that pass split's checks but that the server rejects: load sets
/// them aside and loads every other row of the chunk.
@Suite(.serialized, .enabled(if: Harness.isAvailable || Harness.isRequired))
struct LoadRejectsTests {
  /// Writes a chunk of COPY text rows and returns its path.
  static func writeChunk(_ rows: [String], in directory: String) throws -> String {
    let chunks = directory + "/chunks"
    try FileManager.default.createDirectory(atPath: chunks, withIntermediateDirectories: true)
    let path = chunks + "/000001.copy"
    try Data(rows.map { $0 + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: path))
    return path
  }

  /// Returns the lines of a rejects file without its header.
  static func rejectLines(_ path: String) throws -> [String] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst()
      .map(String.init)
  }

  let good = (1...6).map { "nm\($0)\tName \($0)\t1900\t\\N\t{actor}\t{tt\($0)}" }
  let outOfRange = "nm90\tToo Old\t99999\t\\N\t\\N\t\\N"
  let nullKey = "\\N\tNo Key\t\\N\t\\N\t\\N\t\\N"
  let notANumber = "nm91\tBad Year\tabc\t\\N\t\\N\t\\N"

  @Test("bad rows are set aside, good rows load")
  func badRowsSetAside() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let directory = try Harness.temporaryDirectory("rejects")
    let rows = [
      good[0], outOfRange, good[1], good[2], nullKey, good[3], notANumber, good[4], good[5],
    ]
    let chunk = try Self.writeChunk(rows, in: directory)
    let rejects = directory + "/load.tsv"

    let result = try database.runLoad(["--create", "--rejects", rejects, chunk])
    #expect(result.status == 0, "\(result.transcript)")
    #expect(try database.scalar("SELECT count(*) FROM name_basics") == "6")
    #expect(try database.scalar("SELECT rows || '/' || rejected FROM stageload_ledger") == "6/3")

    let lines = try Self.rejectLines(rejects).map {
      $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
    }
    #expect(lines.count == 3)
    #expect(lines.map { $0[1] } == ["2", "5", "7"])
    #expect(lines.map { $0[3] } == ["22003", "23502", "22P02"])
    #expect(
      lines.map { $0[5...].joined(separator: "\t") } == [
        outOfRange, nullKey, notANumber,
      ]
    )

    // The chunk is in the ledger now, so a second run loads nothing and
    // writes no rejects again.
    let again = try database.runLoad(["--rejects", rejects, chunk])
    #expect(again.status == 0)
    #expect(again.standardError.contains("already loaded"), "\(again.transcript)")
    #expect(try Self.rejectLines(rejects).count == 3)
  }

  @Test("max rejects fails the whole chunk")
  func maxRejectsFailsChunk() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let directory = try Harness.temporaryDirectory("rejects")
    let chunk = try Self.writeChunk(
      [good[0], outOfRange, good[1], notANumber, good[2]],
      in: directory
    )

    let result = try database.runLoad(["--create", "--max-rejects", "1", chunk])
    #expect(result.status == 65, "\(result.transcript)")
    #expect(result.standardError.contains("line 4"), "\(result.transcript)")
    #expect(try database.scalar("SELECT count(*) FROM name_basics") == "0")
    #expect(try database.scalar("SELECT count(*) FROM stageload_ledger") == "0")

    let strict = try database.runLoad(["--max-rejects", "0", chunk])
    #expect(strict.status == 65, "\(strict.transcript)")
    #expect(
      strict.standardError.contains("line 2: value \"99999\" is out of range"),
      "\(strict.transcript)"
    )
  }

  @Test("chunk with every row rejected fails")
  func everyRowRejected() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let directory = try Harness.temporaryDirectory("rejects")
    // title.crew rows: three fields where name.basics has six.
    let chunk = try Self.writeChunk(["tt1\t{nm1}\t{nm2}", "tt2\t\\N\t{nm3}"], in: directory)
    let result = try database.runLoad(["--create", chunk])
    #expect(result.status == 65, "\(result.transcript)")
    #expect(result.standardError.contains("all 2 rows rejected"), "\(result.transcript)")
    #expect(try database.scalar("SELECT count(*) FROM stageload_ledger") == "0")
  }

  @Test("LATIN1 database stores UTF-8 text correctly")
  func latin1Database() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase(encoding: "LATIN1")
    let directory = try Harness.temporaryDirectory("encoding")
    let chunk = try Self.writeChunk(["nm1\tJosé Müller\t\\N\t\\N\t\\N\t\\N"], in: directory)
    // A client encoding from the environment must not change how the
    // UTF-8 chunk is read.
    var environment = database.environment
    environment["PGCLIENTENCODING"] = "LATIN1"
    let result = try run([Harness.tool("load"), "--create", chunk], environment: environment)
    #expect(result.status == 0, "\(result.transcript)")
    #expect(
      try database.scalar("SELECT length(primary_name) FROM name_basics") == "11"
    )
    #expect(
      try database.scalar("SELECT primary_name = U&'Jos\\00e9 M\\00fcller' FROM name_basics")
        == "t"
    )
  }

  @Test("overlong table name is a usage error")
  func overlongTableName() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let table = String(repeating: "t", count: 50)
    let result = try database.runLoad(["--create", "--table", table])
    #expect(result.status == 64, "\(result.transcript)")
    #expect(result.standardError.contains("at most 49 are allowed"), "\(result.transcript)")
  }

  @Test("table name with quote and semicolon")
  func hostileTableName() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let directory = try Harness.temporaryDirectory("rejects")
    let chunk = try Self.writeChunk(Array(good[0..<2]), in: directory)
    let table = "x\"; DROP TABLE stageload_ledger; --"

    let result = try database.runLoad(["--create", "--table", table, chunk])
    #expect(result.status == 0, "\(result.transcript)")
    #expect(
      try database.scalar("SELECT count(*) FROM \"x\"\"; DROP TABLE stageload_ledger; --\"") == "2"
    )
    #expect(try database.scalar("SELECT table_name FROM stageload_ledger") == table)
  }
}
