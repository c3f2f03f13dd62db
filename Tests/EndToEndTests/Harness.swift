import Foundation
import Testing

/// The end-to-end tests' view of the outside: the release tools and a running PostgreSQL.
///
/// `make test` provides both through the environment
/// (STAGELOAD_BIN and the PG* variables) and sets STAGELOAD_REQUIRE_E2E=1,
/// so there a missing piece fails the run instead of skipping it.
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

  /// Whether `make test` asked for the end-to-end tests.
  static let isRequired = environment["STAGELOAD_REQUIRE_E2E"] == "1"

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
  FileManager.default.createFile(atPath: outputFile + ".1", contents: nil)
  FileManager.default.createFile(atPath: outputFile + ".2", contents: nil)
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

  init() throws {
    let result = try run(["psql", "-X", "-d", "postgres", "-c", "CREATE DATABASE \(name)"])
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
}

/// A static-file HTTP server on 127.0.0.1 with an ephemeral port, run by
/// Python's http.server as a child process and stopped with the object.
final class FileServer {
  let process = Process()
  let port: Int

  init(directory: String) throws {
    let pipe = Pipe()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
      "python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", directory,
    ]
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()

    // The server's first line is "Serving HTTP on 127.0.0.1 port N (...) ...".
    var line = Data()
    while !line.contains(UInt8(ascii: "\n")) {
      let byte = pipe.fileHandleForReading.readData(ofLength: 1)
      if byte.isEmpty { break }
      line.append(byte)
    }
    let words = String(decoding: line, as: UTF8.self).split(separator: " ")
    guard let index = words.firstIndex(of: "port"), index + 1 < words.count,
      let port = Int(words[index + 1])
    else {
      process.terminate()
      throw HarnessError(
        "http.server did not report its port: \(String(decoding: line, as: UTF8.self))"
      )
    }
    self.port = port
  }

  deinit {
    process.terminate()
    process.waitUntilExit()
  }

  func url(_ name: String) -> String {
    "http://127.0.0.1:\(port)/\(name)"
  }
}

struct HarnessError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
