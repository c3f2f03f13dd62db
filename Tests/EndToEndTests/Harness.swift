import Foundation
import TestSupport
import Testing

/// The end-to-end tests' view of the outside: the release tools and a running PostgreSQL.
///
/// `make test` provides both through the environment: STAGELOAD_BIN and
/// the PG* variables (or DATABASE_URL). With STAGELOAD_BIN set, a missing
/// database fails the run instead of skipping the tests; a bare
/// `swift test` skips them.
enum Harness {
  static let environment = ProcessInfo.processInfo.environment

  /// The project's root directory, two levels above this file's folder.
  static let projectRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

  static let fixtures = projectRoot + "/Tests/Fixtures"

  /// The directory with the built fetch, inflate, split and load.
  static let binDirectory = environment["STAGELOAD_BIN"]

  static let hasDatabase =
    environment["DATABASE_URL"] != nil || environment["PGHOST"] != nil

  /// Whether the end-to-end tests can run here.
  static let isAvailable = binDirectory != nil && hasDatabase

  /// Whether `make test` runs the tests, so that they must not be skipped.
  static let isRequired = binDirectory != nil

  /// Records a failure when the tests are required but cannot run.
  static func checkAvailable() -> Bool {
    if isAvailable { return true }
    Issue.record(
      "end-to-end tests need STAGELOAD_BIN and PGHOST or DATABASE_URL; run them with make test"
    )
    return false
  }

  static func tool(_ name: String) -> String {
    (binDirectory ?? projectRoot + "/.build/release") + "/" + name
  }

  /// Creates an empty temporary directory.
  static func temporaryDirectory(_ label: String) throws -> String {
    let path = FileManager.default.temporaryDirectory
      .appendingPathComponent("stageload-\(label)-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }
}

/// The result of a finished process.
struct ProcessOutput {
  var status: Int32
  var standardOutput: String
  var standardError: String

  /// Both streams, for messages when an expectation fails.
  var transcript: String {
    "exit \(status)\n--- stdout\n\(standardOutput)--- stderr\n\(standardError)"
  }
}

/// Runs `arguments[0]` (looked up on PATH by /usr/bin/env) and waits for it.
@discardableResult
func run(
  _ arguments: [String],
  environment extra: [String: String] = [:],
  directory: String? = nil
) throws -> ProcessOutput {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = arguments
  var environment = Harness.environment
  for (key, value) in extra { environment[key] = value }
  process.environment = environment
  if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }

  let outputFile = try Harness.temporaryDirectory("out") + "/out"
  _ = FileManager.default.createFile(atPath: outputFile + ".1", contents: nil)
  _ = FileManager.default.createFile(atPath: outputFile + ".2", contents: nil)
  let stdout = try FileHandle(forWritingTo: URL(fileURLWithPath: outputFile + ".1"))
  let stderr = try FileHandle(forWritingTo: URL(fileURLWithPath: outputFile + ".2"))
  process.standardOutput = stdout
  process.standardError = stderr
  process.standardInput = FileHandle.nullDevice
  try process.run()
  process.waitUntilExit()
  try stdout.close()
  try stderr.close()

  let read = { (path: String) in
    String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
  }
  return ProcessOutput(
    status: process.terminationStatus,
    standardOutput: read(outputFile + ".1"),
    standardError: read(outputFile + ".2")
  )
}

/// A PostgreSQL database created for one test and dropped after it.
final class TestDatabase {
  let name = "stageload_test_\(UUID().uuidString.prefix(8).lowercased())"

  /// - Parameter encoding: The server encoding, such as LATIN1; nil for
  ///   the cluster's default (UTF8 in the embedded cluster).
  /// - Throws: `HarnessError` when psql cannot create the database.
  init(encoding: String? = nil) throws {
    var sql = "CREATE DATABASE \(name)"
    if let encoding {
      sql += " ENCODING '\(encoding)' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
    }
    let result = try run(["psql", "-X", "-d", "postgres", "-c", sql])
    guard result.status == 0 else {
      throw HarnessError("cannot create database \(name): \(result.standardError)")
    }
  }

  deinit {
    _ = try? run(["psql", "-X", "-d", "postgres", "-c", "DROP DATABASE IF EXISTS \(name)"])
  }

  /// The environment that points libpq, psql and make at this database.
  var environment: [String: String] { ["PGDATABASE": name] }

  /// Runs `sql` and returns its rows, fields separated by `|`.
  func query(_ sql: String) throws -> [String] {
    let result = try run(["psql", "-X", "-A", "-t", "-q", "-d", name, "-c", sql])
    guard result.status == 0 else { throw HarnessError("query failed: \(result.standardError)") }
    return result.standardOutput.split(separator: "\n").map(String.init)
  }

  /// Runs `sql` and returns the first field of the first row.
  func scalar(_ sql: String) throws -> String? {
    try query(sql).first
  }

  /// Runs the load tool with `arguments` on this database.
  func runLoad(_ arguments: [String]) throws -> ProcessOutput {
    try run([Harness.tool("load")] + arguments, environment: environment)
  }
}

/// A static-file HTTP server on 127.0.0.1 with an ephemeral port.
final class FileServer {
  private let server: FaultServerProcess
  var port: Int { server.port }

  init(directory: String) throws {
    server = try FaultServerProcess(directory: directory)
  }

  func url(_ name: String) -> String {
    "http://127.0.0.1:\(port)/\(name)"
  }
}

struct HarnessError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
