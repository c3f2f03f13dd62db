import Foundation
import Testing

/// Several `load --create` runs at once on a fresh database, as make -j
/// starts them for several datasets: each creates the ledger if missing,
/// and the ones that lose that race must go on, not fail.
@Suite(.enabled(if: Harness.isAvailable || Harness.isRequired))
struct ParallelCreateTests {
  @Test("parallel creates of the ledger")
  func parallelCreates() throws {
    guard Harness.checkAvailable() else { return }
    // The race is lost only now and then, so it gets ten fresh databases.
    for _ in 1...10 {
      let database = try TestDatabase()
      var environment = Harness.environment
      environment["PGDATABASE"] = database.name
      let processes = try (1...8).map { number in
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Harness.tool("load"))
        process.arguments = ["--table", "table_\(number)", "--staging", "--create"]
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
      }
      for process in processes { process.waitUntilExit() }
      #expect(processes.map(\.terminationStatus) == Array(repeating: 0, count: 8))
      #expect(try database.scalar("SELECT to_regclass('stageload_ledger') IS NOT NULL") == "t")
    }
  }
}
