import Fetching
import Foundation
import TestSupport
import Testing

/// Runs the real `fetch` executable against the fault-injecting server.
///
/// Each test uses its own `id`, so the server counts its requests apart,
/// and its own output folder. Retry delays are 50 ms to keep the suite fast.
@Suite(.enabled(if: FetchCommand.isAvailable, "fetch executable not built"))
struct FetchCommandTests {
  let directory: String
  let id = UUID().uuidString

  init() throws {
    directory =
      FileManager.default.temporaryDirectory
      .appendingPathComponent("stageload-fetch-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
  }

  var server: FaultServer {
    get throws { try FaultServer.shared.get() }
  }

  /// Runs fetch with fast retries, writing to `output` in the test folder.
  func fetch(_ url: String, to output: String? = "out.bin", _ extra: [String] = []) throws
    -> FetchRun
  {
    var arguments = [url, "--retry-delay", "0.05", "--quiet"] + extra
    if let output { arguments += ["-o", path(output)] }
    return try FetchCommand.run(arguments)
  }

  func path(_ name: String) -> String {
    directory + "/" + name
  }

  func exists(_ name: String) -> Bool {
    FileManager.default.fileExists(atPath: path(name))
  }

  func digest(of name: String) -> String {
    sha256(FileManager.default.contents(atPath: path(name)) ?? Data())
  }

  /// Returns the sha256 that out.bin.meta records, which fetch computes as
  /// the bytes arrive, including those of a resumed part.
  func recordedDigest() -> String? {
    let text = (try? String(contentsOfFile: path("out.bin.meta"), encoding: .utf8)) ?? ""
    return text.split(separator: "\n").first { $0.hasPrefix("sha256\t") }
      .map { String($0.dropFirst("sha256\t".count)) }
  }

  // MARK: - Success

  @Test("plain download writes file and sidecar")
  func plainDownload() throws {
    let server = try server
    let run = try fetch(server.url("data.bin", "id=\(id)"))
    #expect(run.status == 0)
    #expect(digest(of: "out.bin") == sha256(server.contents(of: "data.bin")))
    #expect(!exists("out.bin.part"))
    #expect(!exists("out.bin.part.meta"))

    let text = try String(contentsOfFile: path("out.bin.meta"), encoding: .utf8)
    #expect(text.contains("length\t\(1 << 20)\n"))
    #expect(text.contains("sha256\t\(sha256(server.contents(of: "data.bin")))\n"))
    #expect(text.contains("etag\t\""))
    #expect(text.contains("last_modified\t"))
  }

  @Test("second run gets 304 and keeps file")
  func notModified() throws {
    let server = try server
    let url = server.url("data.bin", "id=\(id)")
    #expect(try fetch(url).status == 0)
    let before = try FileManager.default.attributesOfItem(atPath: path("out.bin"))
    Thread.sleep(forTimeInterval: 0.02)

    let run = try FetchCommand.run([url, "-o", path("out.bin")])
    #expect(run.status == 0)
    #expect(run.stderr.contains("up to date"))
    let after = try FileManager.default.attributesOfItem(atPath: path("out.bin"))
    #expect(before[.modificationDate] as? Date == after[.modificationDate] as? Date)
    #expect(before[.systemFileNumber] as? Int == after[.systemFileNumber] as? Int)
    #expect(!exists("out.bin.part"))

    let second = server.requests(id: id).last ?? []
    #expect(second.first == "304")
    #expect(second.dropFirst(3).first?.hasPrefix("\"") == true)
  }

  @Test("redirect chain records final URL")
  func redirects() throws {
    let server = try server
    let run = try fetch(server.url("data.bin", "id=\(id)&redirect=3"))
    #expect(run.status == 0)
    #expect(digest(of: "out.bin") == sha256(server.contents(of: "data.bin")))
    let text = try String(contentsOfFile: path("out.bin.meta"), encoding: .utf8)
    #expect(text.contains("final_url\t\(server.url("data.bin", "id=\(id)&redirect=0"))\n"))
  }

  @Test("matching --sha256 succeeds")
  func checksumMatches() throws {
    let server = try server
    let expected = sha256(server.contents(of: "small.bin"))
    let run = try fetch(server.url("small.bin", "id=\(id)"), ["--sha256", expected.uppercased()])
    #expect(run.status == 0)
    #expect(digest(of: "out.bin") == expected)
  }

  // MARK: - Resume and restart

  @Test("connection reset resumes with Range")
  func resumeAfterReset() throws {
    let server = try server
    let run = try fetch(server.url("data.bin", "id=\(id)&drop=300000"))
    #expect(run.status == 0)
    #expect(digest(of: "out.bin") == sha256(server.contents(of: "data.bin")))
    #expect(recordedDigest() == digest(of: "out.bin"))

    let requests = server.requests(id: id)
    #expect(requests.count == 2)
    #expect(requests.last?.first == "206")
    #expect(requests.last?[1].hasPrefix("bytes=") == true)
    #expect(requests.last?[2].hasPrefix("\"") == true)
  }

  @Test("Last-Modified alone serves as If-Range")
  func resumeWithDateValidator() throws {
    let server = try server
    let run = try fetch(server.url("data.bin", "id=\(id)&drop=300000&validators=date"))
    #expect(run.status == 0)
    #expect(digest(of: "out.bin") == sha256(server.contents(of: "data.bin")))
    #expect(server.requests(id: id).last?.first == "206")
    #expect(server.requests(id: id).last?[2].hasSuffix("GMT") == true)
  }

  @Test("server ignoring Range restarts from zero")
  func ignoredRange() throws {
    let server = try server
    let run = try fetch(server.url("data.bin", "id=\(id)&drop=300000&ignore_range=1"))
    #expect(run.status == 0)
    #expect(digest(of: "out.bin") == sha256(server.contents(of: "data.bin")))
    #expect(recordedDigest() == digest(of: "out.bin"))
    #expect(server.requests(id: id).last?.first == "200")
  }

  @Test("changed ETag restarts with new version")
  func changedValidator() throws {
    let server = try server
    let run = try fetch(server.url("data.bin", "id=\(id)&drop=300000&then=other.bin"))
    #expect(run.status == 0)
    #expect(digest(of: "out.bin") == sha256(server.contents(of: "other.bin")))
    #expect(recordedDigest() == digest(of: "out.bin"))
    #expect(server.requests(id: id).last?.first == "200")
  }

  @Test("no validators restarts without Range")
  func noValidators() throws {
    let server = try server
    let run = try fetch(server.url("data.bin", "id=\(id)&drop=300000&validators=none"))
    #expect(run.status == 0)
    #expect(digest(of: "out.bin") == sha256(server.contents(of: "data.bin")))
    #expect(server.requests(id: id).last?[1] == "-")
  }

  @Test("stale part from another version is replaced")
  func stalePart() throws {
    let server = try server
    let url = server.url("data.bin", "id=\(id)")
    try Data(repeating: 0x41, count: 5000).write(to: URL(fileURLWithPath: path("out.bin.part")))
    try "url\t\(url)\netag\t\"stale\"\nlength\t\(1 << 20)\n"
      .write(toFile: path("out.bin.part.meta"), atomically: true, encoding: .utf8)

    let run = try fetch(url)
    #expect(run.status == 0)
    #expect(digest(of: "out.bin") == sha256(server.contents(of: "data.bin")))
    #expect(recordedDigest() == digest(of: "out.bin"))
    #expect(
      server.requests(id: id).first == ["200", "bytes=5000-", "\"stale\"", "-", "-", "origin"]
    )
  }

  @Test("stall timeout cancels and resumes")
  func stall() throws {
    let server = try server
    let run = try fetch(
      server.url("data.bin", "id=\(id)&short=20000&stall=5"),
      ["--stall-timeout", "0.5"]
    )
    #expect(run.status == 0)
    #expect(digest(of: "out.bin") == sha256(server.contents(of: "data.bin")))
    #expect(run.seconds < 4)
  }

  @Test("Ctrl-C keeps part and next run resumes")
  func interruptAndResume() throws {
    let server = try server
    let url = server.url("data.bin", "id=\(id)&trickle=0.05")
    let running = try FetchCommand.start([url, "-o", path("out.bin"), "--quiet"])
    let deadline = Date().addingTimeInterval(10)
    while Date() < deadline && (fileSize("out.bin.part") ?? 0) < 100_000 {
      Thread.sleep(forTimeInterval: 0.02)
    }
    running.process.interrupt()
    running.process.waitUntilExit()
    let interrupted = running.finish()
    #expect(interrupted.status == 130)
    #expect(!exists("out.bin"))
    #expect((fileSize("out.bin.part") ?? 0) >= 100_000)
    #expect(exists("out.bin.part.meta"))

    let run = try fetch(url)
    #expect(run.status == 0)
    #expect(digest(of: "out.bin") == sha256(server.contents(of: "data.bin")))
    #expect(recordedDigest() == digest(of: "out.bin"))
    #expect(server.requests(id: id).last?.first == "206")
  }

  @Test("Ctrl-C during a stalled read keeps part")
  func interruptWhileStalled() throws {
    let server = try server
    let url = server.url("data.bin", "id=\(id)&short=100000&stall=20")
    let running = try FetchCommand.start([
      url, "-o", path("out.bin"), "--quiet", "--stall-timeout", "30",
    ])
    let deadline = Date().addingTimeInterval(10)
    while Date() < deadline && (fileSize("out.bin.part") ?? 0) < 100_000 {
      Thread.sleep(forTimeInterval: 0.02)
    }
    // fetch now waits in poll(2) for bytes that the server holds back.
    Thread.sleep(forTimeInterval: 0.2)
    let started = Date()
    running.process.interrupt()
    running.process.waitUntilExit()
    let interrupted = running.finish()
    #expect(interrupted.status == 130)
    #expect(Date().timeIntervalSince(started) < 5)
    #expect(fileSize("out.bin.part") == 100_000)
    #expect(exists("out.bin.part.meta"))
    #expect(!exists("out.bin"))
  }

  func fileSize(_ name: String) -> Int? {
    (try? FileManager.default.attributesOfItem(atPath: path(name)))?[.size] as? Int
  }

  // MARK: - Retries

  @Test("500 then 200 succeeds after retry")
  func serverErrorRetried() throws {
    let server = try server
    let run = try FetchCommand.run([
      server.url("data.bin", "id=\(id)&status=500"), "-o", path("out.bin"), "--retry-delay",
      "0.05",
    ])
    #expect(run.status == 0)
    #expect(digest(of: "out.bin") == sha256(server.contents(of: "data.bin")))
    #expect(run.stderr.contains("HTTP 500 Internal Server Error; retry 1 of 5 in"))
  }

  @Test("429 waits for Retry-After")
  func retryAfter() throws {
    let server = try server
    let run = try fetch(server.url("small.bin", "id=\(id)&status=429&retry_after=1"))
    #expect(run.status == 0)
    #expect(run.seconds >= 1)
    #expect(digest(of: "out.bin") == sha256(server.contents(of: "small.bin")))
  }

  @Test("persistent 503 exits 75 after retries")
  func retriesExhausted() throws {
    let server = try server
    let run = try FetchCommand.run([
      server.url("data.bin", "id=\(id)&status=503&times=99"), "-o", path("out.bin"),
      "--retries", "2", "--retry-delay", "0.05",
    ])
    #expect(run.status == 75)
    #expect(server.requests(id: id).count == 3)
    #expect(run.stderr.components(separatedBy: "; retry ").count == 3)
    #expect(!exists("out.bin"))
    #expect(!exists("out.bin.part"))
  }

  @Test("persistent short body exits 75")
  func shortBody() throws {
    let server = try server
    let run = try fetch(
      server.url("data.bin", "id=\(id)&short=1000&times=99&validators=none"),
      ["--retries", "1"]
    )
    #expect(run.status == 75)
    #expect(!exists("out.bin"))
  }

  @Test(
    "client errors are not retried",
    arguments: [(404, Int32(66)), (403, Int32(76)), (400, Int32(76))]
  )
  func clientError(status: Int, exitStatus: Int32) throws {
    let server = try server
    let run = try fetch(server.url("data.bin", "id=\(id)&status=\(status)&times=99"))
    #expect(run.status == exitStatus)
    #expect(server.requests(id: id).count == 1)
    #expect(!exists("out.bin"))
    #expect(!exists("out.bin.part"))
  }

  @Test("missing file exits 66")
  func notFound() throws {
    let server = try server
    let run = try FetchCommand.run([server.url("missing.bin"), "-o", path("out.bin")])
    #expect(run.status == 66)
    #expect(run.stderr.contains("HTTP 404 Not Found"))
    #expect(!exists("out.bin"))
  }

  @Test("untrusted certificate fails without retries")
  func untrustedCertificate() throws {
    // A self-signed certificate for 127.0.0.1, which no system trusts.
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Fixtures/tls").path
    let server = try FaultServerProcess(
      directory: try server.directory,
      tls: (fixtures + "/cert.pem", fixtures + "/key.pem")
    )
    let url = "https://127.0.0.1:\(server.port)/data.bin"
    let run = try FetchCommand.run([url, "--retry-delay", "0.05", "-o", path("out.bin")])
    #expect(run.status == 69, "\(run.stderr)")
    #expect(run.stderr.contains("SSL certificate problem"), "\(run.stderr)")
    #expect(!run.stderr.contains("retry"), "\(run.stderr)")
    #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
    #expect(!exists("out.bin"))
    #expect(!exists("out.bin.part"))
  }

  @Test("too many redirects exits 76")
  func tooManyRedirects() throws {
    let server = try server
    let run = try fetch(server.url("data.bin", "id=\(id)&redirect=11"))
    #expect(run.status == 76)
    #expect(!exists("out.bin"))
  }

  // MARK: - Verification

  @Test("wrong --sha256 exits 65 and keeps old file")
  func checksumMismatch() throws {
    let server = try server
    let old = Data("old good file\n".utf8)
    try old.write(to: URL(fileURLWithPath: path("out.bin")))
    let run = try fetch(
      server.url("data.bin", "id=\(id)"),
      ["--sha256", String(repeating: "0", count: 64)]
    )
    #expect(run.status == 65)
    #expect(FileManager.default.contents(atPath: path("out.bin")) == old)
    #expect(!exists("out.bin.part"))
    #expect(!exists("out.bin.meta"))
  }

  // MARK: - Standard output

  @Test("stdout receives exact bytes")
  func standardOutput() throws {
    let server = try server
    let run = try fetch(server.url("data.bin", "id=\(id)&status=500"), to: nil)
    #expect(run.status == 0)
    #expect(sha256(run.stdout) == sha256(server.contents(of: "data.bin")))
  }

  @Test("stdout is not retried after first byte")
  func standardOutputNoResume() throws {
    let server = try server
    let run = try fetch(server.url("data.bin", "id=\(id)&short=300000"), to: nil)
    #expect(run.status == 75)
    #expect(server.requests(id: id).count == 1)
  }

  /// Runs `fetch URL` into a pipe whose reader waits a second before it
  /// reads, so that the pipe fills and the transfer gets ahead of it.
  func fetchToSlowReader(_ url: String, environment: [String: String] = [:]) throws -> Int32 {
    let bash = try #require(FaultServer.findExecutable("bash"))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: bash)
    process.arguments = [
      "-c", "set -o pipefail; \"$0\" \"$1\" 2>\"$2\" | (sleep 1; cat >\"$3\")",
      FetchCommand.binDirectory + "/fetch", url, path("stderr.txt"), path("out.bin"),
    ]
    process.environment = FetchCommand.environment(adding: environment)
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
  }

  @Test("slow reader slows the socket transfer")
  func slowReaderSlowsSocket() throws {
    let server = try server
    #expect(try fetchToSlowReader(server.url("large.bin", "id=\(id)")) == 0)
    // Bytes compared directly: hashing 24 MiB takes seconds in a debug build.
    #expect(
      FileManager.default.contents(atPath: path("out.bin")) == server.contents(of: "large.bin")
    )
    let messages = try String(contentsOfFile: path("stderr.txt"), encoding: .utf8)
    #expect(!messages.contains(", paused "))
    #expect(server.requests(id: id).count == 1)
  }

  @Test("slow reader pauses URLSession through a proxy")
  func slowReaderPausesProxied() throws {
    let server = try server
    // The fault server acts as the proxy, so the made-up host is never
    // resolved.
    let url = "http://proxied.invalid/large.bin?id=\(id)"
    let status = try fetchToSlowReader(
      url,
      environment: ["http_proxy": "http://127.0.0.1:\(server.port)"]
    )
    #expect(status == 0)
    #expect(
      FileManager.default.contents(atPath: path("out.bin")) == server.contents(of: "large.bin")
    )
    let messages = try String(contentsOfFile: path("stderr.txt"), encoding: .utf8)
    #expect(messages.contains(", paused "))
    #expect(server.requests(id: id).last?.first == "206")
    #expect(server.requests(id: id).last?.last == "absolute")
  }

  @Test("write error on a device names the device", arguments: ["http", "file"])
  func deviceWriteError(scheme: String) throws {
    let server = try server
    let url =
      scheme == "http"
      ? server.url("data.bin", "id=\(id)") : "file://" + server.directory + "/data.bin"
    let run = try FetchCommand.run([url, "--quiet", "--retries", "0", "-o", "/dev/full"])
    #expect(run.status == 74)
    #expect(run.stderr == "fetch: /dev/full: write failed: No space left on device\n")
  }

  // MARK: - Help

  @Test("help documents every option")
  func help() throws {
    let run = try FetchCommand.run(["--help"])
    let text = String(decoding: run.stdout, as: UTF8.self)
    #expect(run.status == 0)
    for option in [
      "--output", "-o", "--retries", "--retry-delay", "--stall-timeout", "--sha256",
      "--progress", "--quiet", "--help", "--version",
    ] {
      #expect(text.contains(option), "help lacks \(option)")
    }
  }

  @Test("help states the Retry-After cap")
  func helpStatesRetryAfterCap() throws {
    let run = try FetchCommand.run(["--help"])
    let text = String(decoding: run.stdout, as: UTF8.self).split(whereSeparator: \.isWhitespace)
      .joined(separator: " ")
    let minutes = Int(RetryPolicy().maximumRetryAfter / 60)
    #expect(text.contains("Retry-After (at most \(minutes) minutes;"))
  }
}
