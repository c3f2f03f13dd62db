import Foundation
import Testing

/// load stopped in the middle of a COPY: the chunk's transaction rolls
/// back, and a rerun loads it exactly once.
@Suite(.serialized, .enabled(if: Harness.isAvailable || Harness.isRequired))
struct LoadFaultTests {
  static let rows = 400_000

  /// Writes a chunk big enough that its COPY runs for a while.
  static func writeLargeChunk(in directory: String) throws -> String {
    var text = ""
    text.reserveCapacity(rows * 60)
    for number in 1...rows {
      text +=
        "nm\(number)\tPerson Number \(number)\t\\N\t\\N\t{actor,writer}\t{tt\(number),tt\(number + 1)}\n"
    }
    let path = directory + "/000001.copy"
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
  }

  /// Starts load on `chunk` and returns once its COPY runs on the server.
  ///
  /// - Parameters:
  ///   - chunk: The chunk to load.
  ///   - database: The database to load into.
  ///   - standardError: Where load's standard error goes; nil discards it.
  /// - Returns: The running load.
  /// - Throws: `HarnessError` when the COPY does not start within 20 s.
  static func startCopy(
    chunk: String,
    database: TestDatabase,
    standardError: FileHandle? = nil
  ) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Harness.tool("load"))
    process.arguments = ["--create", chunk]
    var environment = Harness.environment
    environment["PGDATABASE"] = database.name
    process.environment = environment
    process.standardOutput = FileHandle.nullDevice
    process.standardError = standardError ?? FileHandle.nullDevice
    try process.run()

    let deadline = Date().addingTimeInterval(20)
    while Date() < deadline {
      let copying = try database.scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
          + "AND query LIKE 'COPY %' AND state = 'active'"
      )
      if copying == "1" { return process }
      usleep(20_000)
    }
    process.terminate()
    throw HarnessError("the COPY did not start within 20 s")
  }

  /// Runs load on `chunk` again and checks that each of its rows arrived
  /// exactly once.
  static func rerunAndCheckExactlyOnce(_ chunk: String, into database: TestDatabase) throws {
    let rerun = try database.runLoad([chunk])
    #expect(rerun.status == 0, "\(rerun.transcript)")
    try checkExactlyOnce(database)
  }

  static func checkExactlyOnce(_ database: TestDatabase) throws {
    #expect(try database.scalar("SELECT count(*) FROM name_basics") == String(rows))
    #expect(try database.scalar("SELECT count(DISTINCT nconst) FROM name_basics") == String(rows))
    #expect(
      try database.scalar("SELECT count(*) || '/' || sum(rows) FROM stageload_ledger")
        == "1/\(rows)"
    )
  }

  @Test("kill -9 during COPY, then rerun")
  func killDuringCopy() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let chunk = try Self.writeLargeChunk(in: try Harness.temporaryDirectory("fault"))
    let process = try Self.startCopy(chunk: chunk, database: database)
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    #expect(process.terminationReason == .uncaughtSignal)

    // The server notices the closed connection and rolls back.
    var count = "?"
    for _ in 0..<100 {
      count = try database.scalar("SELECT count(*) FROM name_basics") ?? "?"
      if count == "0" { break }
      usleep(50_000)
    }
    #expect(count == "0")
    #expect(try database.scalar("SELECT count(*) FROM stageload_ledger") == "0")

    try Self.rerunAndCheckExactlyOnce(chunk, into: database)
  }

  @Test("terminated backend exits 75, then rerun")
  func terminatedBackend() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let chunk = try Self.writeLargeChunk(in: try Harness.temporaryDirectory("fault"))
    let process = try Self.startCopy(chunk: chunk, database: database)
    _ = try database.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        + "WHERE datname = current_database() AND query LIKE 'COPY %'"
    )
    process.waitUntilExit()
    #expect(process.terminationStatus == 75)

    try Self.rerunAndCheckExactlyOnce(chunk, into: database)
  }

  @Test("SIGINT during COPY exits 130 and rolls back")
  func interruptDuringCopy() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let chunk = try Self.writeLargeChunk(in: try Harness.temporaryDirectory("fault"))
    let process = try Self.startCopy(chunk: chunk, database: database)
    process.interrupt()
    process.waitUntilExit()
    #expect(process.terminationStatus == 130)
    #expect(try database.scalar("SELECT count(*) FROM name_basics") == "0")

    try Self.rerunAndCheckExactlyOnce(chunk, into: database)
  }

  /// Polls `countQuery` until it returns 1, for at most 20 s.
  ///
  /// - Returns: Whether it returned 1 in time.
  static func waitFor(_ countQuery: String, in database: TestDatabase) throws -> Bool {
    let deadline = Date().addingTimeInterval(20)
    while Date() < deadline {
      if try database.scalar(countQuery) == "1" { return true }
      usleep(20_000)
    }
    return false
  }

  /// Interrupts load while its COPY waits for a table lock.
  ///
  /// The cancelled COPY fails at once with "canceling statement due to
  /// user request" (57014) on load's main thread. That failure must not be
  /// reported, or change the exit status, in place of the interruption.
  @Test("SIGINT during a waiting COPY reports only the interruption")
  func interruptWhileWaiting() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let directory = try Harness.temporaryDirectory("fault")
    let chunk = try Self.writeLargeChunk(in: directory)
    #expect(try database.runLoad(["--create"]).status == 0)

    // Another session locks the table until its backend is terminated.
    let locker = Process()
    locker.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    locker.arguments = [
      "psql", "-X", "-q", "-c", "BEGIN", "-c", "LOCK TABLE name_basics",
      "-c", "SELECT pg_sleep(60)",
    ]
    var environment = Harness.environment
    environment["PGDATABASE"] = database.name
    locker.environment = environment
    locker.standardOutput = FileHandle.nullDevice
    locker.standardError = FileHandle.nullDevice
    try locker.run()
    // The test runner blocks SIGTERM, and its children inherit that, so
    // the locking session is ended from the server side.
    defer {
      _ = try? database.scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
          + "WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep%'"
      )
      locker.waitUntilExit()
    }

    // load starts only once the lock is held, or its COPY could win the race.
    let locked = try Self.waitFor(
      "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        + "AND query LIKE 'SELECT pg_sleep%' AND state = 'active'",
      in: database
    )
    #expect(locked, "the locking session did not start within 20 s")

    let errorPath = directory + "/stderr.txt"
    FileManager.default.createFile(atPath: errorPath, contents: nil)
    let errorFile = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
    defer { try? errorFile.close() }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Harness.tool("load"))
    process.arguments = [chunk]
    process.environment = environment
    process.standardOutput = FileHandle.nullDevice
    process.standardError = errorFile
    try process.run()

    let waiting = try Self.waitFor(
      "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        + "AND query LIKE 'COPY %' AND wait_event_type = 'Lock'",
      in: database
    )
    #expect(waiting, "load's COPY did not wait for the lock within 20 s")
    process.interrupt()
    process.waitUntilExit()
    #expect(process.terminationStatus == 130)
    #expect(
      try String(contentsOfFile: errorPath, encoding: .utf8) == "load: interrupted by SIGINT\n"
    )
  }
}
