import Foundation
import Testing

/// load into a table that is missing or lacks the dataset's columns: a
/// server error (exit 70) that names the options to check, not the exit
/// status of an unreachable server or denied access (69).
@Suite(.serialized, .enabled(if: Harness.isAvailable || Harness.isRequired))
struct TableMismatchTests {
  static let chunkRow = "nm1\tName\t1900\t\\N\t{actor}\t{tt1}"

  /// Writes a one-row name.basics chunk outside any dataset directory.
  static func writeChunk() throws -> String {
    let path = try Harness.temporaryDirectory("mismatch") + "/000001.copy"
    try Data((chunkRow + "\n").utf8).write(to: URL(fileURLWithPath: path))
    return path
  }

  @Test("table of other columns exits 70")
  func tableOfOtherColumns() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    _ = try database.query("CREATE TABLE t_other (a int)")
    let chunk = try Self.writeChunk()

    let result = try database.runLoad(["--table", "t_other", "--create", chunk])
    #expect(result.status == 70, "\(result.transcript)")
    #expect(result.standardError.contains("(SQLSTATE 42703)"), "\(result.transcript)")
    #expect(
      result.standardError.contains("check --dataset and --table"),
      "\(result.transcript)"
    )
    #expect(try database.scalar("SELECT count(*) FROM t_other") == "0")
  }

  @Test("missing table without --create exits 70")
  func missingTable() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let chunk = try Self.writeChunk()

    let result = try database.runLoad(["--table", "t_missing", chunk])
    #expect(result.status == 70, "\(result.transcript)")
    #expect(result.standardError.contains("(SQLSTATE 42P01)"), "\(result.transcript)")
    #expect(result.standardError.contains("pass --create"), "\(result.transcript)")
  }

  @Test("publish with the wrong dataset exits 70")
  func publishWrongDataset() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let chunk = try Self.writeChunk()
    let load = try database.runLoad(["--table", "people", "--staging", "--create", chunk])
    #expect(load.status == 0, "\(load.transcript)")

    let result = try database.runLoad([
      "--dataset", "title.ratings", "--table", "people", "--publish",
    ])
    #expect(result.status == 70, "\(result.transcript)")
    #expect(
      result.standardError.contains("check --dataset and --table"),
      "\(result.transcript)"
    )
    #expect(try database.scalar("SELECT to_regclass('people') IS NULL") == "t")
    #expect(try database.scalar("SELECT count(*) FROM people__staging") == "1")
  }
}
