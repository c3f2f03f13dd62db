import Foundation
import StageKit
import TestSupport

/// The fault-injecting HTTP server of `Tests/Support/fault_server.py`, run
/// once per test process over a folder of generated files.
///
/// The server exits when its standard input closes, which happens when this
/// process ends, so no test has to stop it.
final class FaultServer: Sendable {
  /// The server shared by all tests, or the reason it did not start.
  static let shared: Result<FaultServer, any Error> = Result { try FaultServer() }

  /// A server that did not start.
  struct ServerError: Error, CustomStringConvertible {
    var description: String
  }

  /// The served files, by name: 1 MiB, 700 KiB and 40 KiB of pseudo-random bytes.
  static let fileSizes = ["data.bin": 1 << 20, "other.bin": 700 << 10, "small.bin": 40 << 10]
  /// The number of numbered copies of data.bin in large.bin (about 24 MiB),
  /// which is large enough to make a transfer to a slow reader pause.
  static let largeCopies = 24

  let directory: String
  private let server: FaultServerProcess
  var port: Int { server.port }

  private init() throws {
    directory =
      FileManager.default.temporaryDirectory
      .appendingPathComponent("stageload-fetch-server-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    var seed: UInt64 = 0x5eed
    for (name, size) in Self.fileSizes.sorted(by: { $0.key < $1.key }) {
      try Self.randomBytes(count: size, seed: &seed).write(
        to: URL(fileURLWithPath: directory + "/" + name)
      )
    }

    let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/data.bin"))
    var large = Data()
    for copy in 0..<Self.largeCopies {
      large.append(data)
      large.append(UInt8(copy))
    }
    try large.write(to: URL(fileURLWithPath: directory + "/large.bin"))

    server = try FaultServerProcess(directory: directory, logPath: directory + "/requests.log")
  }

  /// Returns the URL of a served file with fault query parameters.
  func url(_ name: String, _ query: String = "") -> String {
    "http://127.0.0.1:\(port)/\(name)" + (query.isEmpty ? "" : "?" + query)
  }

  /// Returns the contents of a served file.
  func contents(of name: String) -> Data {
    FileManager.default.contents(atPath: directory + "/" + name) ?? Data()
  }

  /// Returns the logged requests for `id`: status, Range, If-Range,
  /// If-None-Match and If-Modified-Since, "-" for a missing header, and the
  /// request-target form, "origin" or "absolute" (sent to a proxy).
  func requests(id: String) -> [[String]] {
    let text = (try? String(contentsOfFile: directory + "/requests.log", encoding: .utf8)) ?? ""
    return text.split(separator: "\n").map { $0.components(separatedBy: "\t") }
      .filter { $0.first == id }.map { Array($0.dropFirst()) }
  }

  private static func randomBytes(count: Int, seed: inout UInt64) -> Data {
    var bytes = [UInt8](repeating: 0, count: count)
    for index in bytes.indices {
      seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      bytes[index] = UInt8(truncatingIfNeeded: seed >> 33)
    }
    return Data(bytes)
  }

  static func findExecutable(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { "\($0)/\(name)" }
      .first { FileManager.default.isExecutableFile(atPath: $0) }
  }
}

/// The result of one run of the `fetch` executable.
struct FetchRun {
  var status: Int32
  var stdout: Data
  var stderr: String
  var seconds: Double
}

/// Runs the built `fetch` executable.
enum FetchCommand {
  /// The folder of the built executables: `STAGELOAD_BIN` when set, else
  /// the folder of this test binary, else `.build/debug` in the package.
  static let binDirectory: String = {
    if let directory = ProcessInfo.processInfo.environment["STAGELOAD_BIN"] {
      return directory
    }
    let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    let candidates = [
      testBinary.deletingLastPathComponent().path,
      URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/debug").path,
    ]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0 + "/fetch") }
      ?? candidates[0]
  }()

  static var isAvailable: Bool {
    FileManager.default.isExecutableFile(atPath: binDirectory + "/fetch")
  }

  /// Runs `fetch` with `arguments` and waits for it.
  ///
  /// - Parameters:
  ///   - arguments: The command-line arguments.
  ///   - environment: Variables to set in addition to this process's
  ///     environment.
  /// - Returns: The exit status, output and duration.
  /// - Throws: An error when the process cannot start.
  static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> FetchRun {
    let process = try start(arguments, environment: environment)
    let started = Date()
    process.process.waitUntilExit()
    return process.finish(seconds: Date().timeIntervalSince(started))
  }

  /// Returns this process's environment without proxy variables, which
  /// would send fetch through URLSession, and with `extra` added.
  static func environment(adding extra: [String: String]) -> [String: String] {
    var environment = ProcessInfo.processInfo.environment
    for name in ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"] {
      environment[name] = nil
    }
    return environment.merging(extra) { $1 }
  }

  /// Starts `fetch` with `arguments` without waiting.
  static func start(
    _ arguments: [String],
    environment: [String: String] = [:]
  ) throws -> RunningFetch {
    let scratch = FileManager.default.temporaryDirectory
      .appendingPathComponent("stageload-fetch-run-\(UUID().uuidString)").path
    for suffix in [".out", ".err"] {
      guard FileManager.default.createFile(atPath: scratch + suffix, contents: nil) else {
        throw FaultServer.ServerError(description: "cannot create \(scratch + suffix)")
      }
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binDirectory + "/fetch")
    process.arguments = arguments
    process.environment = Self.environment(adding: environment)
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + ".out"))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + ".err"))
    try process.run()
    return RunningFetch(process: process, scratch: scratch)
  }
}

/// A `fetch` process started by `FetchCommand.start`.
struct RunningFetch {
  let process: Process
  let scratch: String

  /// Collects the output of the ended process and removes its files.
  func finish(seconds: Double = 0) -> FetchRun {
    let stdout = FileManager.default.contents(atPath: scratch + ".out") ?? Data()
    let stderr = FileManager.default.contents(atPath: scratch + ".err") ?? Data()
    unlink(scratch + ".out")
    unlink(scratch + ".err")
    return FetchRun(
      status: process.terminationStatus,
      stdout: stdout,
      stderr: String(decoding: stderr, as: UTF8.self),
      seconds: seconds
    )
  }
}

/// Returns the SHA-256 of `data` as hex digits.
func sha256(_ data: Data) -> String {
  let hasher = SHA256()
  data.withUnsafeBytes { hasher.update($0) }
  return hasher.finalizeHex()
}
