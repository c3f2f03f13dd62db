import Foundation
import Testing

/// The Makefile's split stage, `inflate | split`: which tool's exit status
/// and message a failed pipe reports.
@Suite(.serialized, .enabled(if: Harness.isAvailable || Harness.isRequired))
struct SplitStageTests {
  static let header =
    "nconst\tprimaryName\tbirthYear\tdeathYear\tprimaryProfession\tknownForTitles\n"

  /// Runs make on a gzip of `text` with the tools in `binDirectory`.
  static func make(
    text: String,
    binDirectory: String,
    variables: [String] = []
  ) throws -> ProcessOutput {
    let directory = try Harness.temporaryDirectory("split-stage")
    let tsv = directory + "/name.basics.tsv"
    try Data(text.utf8).write(to: URL(fileURLWithPath: tsv))
    let gzip = try run(["gzip", "-n", tsv])
    guard gzip.status == 0 else { throw HarnessError("gzip failed: \(gzip.transcript)") }
    let database = try TestDatabase()
    return try run(
      [
        "make", "--no-print-directory", "-C", Harness.projectRoot, "WORK=\(directory)/work",
        "SOURCE=\(tsv).gz", "STAGELOAD_BIN=\(binDirectory)",
      ] + variables,
      environment: database.environment
    )
  }

  /// Makes a directory of tools in which `stubbed` is the shell script
  /// `script` and the other three are links to the real tools.
  ///
  /// - Returns: The directory's path, for `make(text:binDirectory:)`.
  static func stubBin(replacing stubbed: String, with script: String) throws -> String {
    let bin = try Harness.temporaryDirectory("stub-bin")
    for name in ["fetch", "inflate", "split", "load"] where name != stubbed {
      try FileManager.default.createSymbolicLink(
        atPath: bin + "/" + name,
        withDestinationPath: Harness.tool(name)
      )
    }
    try Data(script.utf8).write(to: URL(fileURLWithPath: bin + "/" + stubbed))
    try FileManager.default.setAttributes(
      [.posixPermissions: 0o755],
      ofItemAtPath: bin + "/" + stubbed
    )
    return bin
  }

  @Test("inflate killed: its status, not split's")
  func inflateKilled() throws {
    guard Harness.checkAvailable() else { return }
    // An inflate that dies by SIGKILL before writing: split then sees an
    // empty input and fails with 65, which used to hide the real cause.
    let bin = try Self.stubBin(replacing: "inflate", with: "#!/bin/sh\nkill -KILL $$\n")

    let result = try Self.make(text: Self.header, binDirectory: bin)
    #expect(result.status != 0, "\(result.transcript)")
    #expect(result.standardError.contains(": killed by signal 9; run make again"))
    #expect(result.standardError.contains("] Error 137"), "\(result.transcript)")
    #expect(!result.standardError.contains("] Error 65"), "\(result.transcript)")
  }

  @Test("early load killed: the load stage takes over")
  func earlyLoadKilled() throws {
    guard Harness.checkAvailable() else { return }
    // The load that reads split's chunk list dies by SIGKILL at its start.
    let stub = """
      #!/bin/sh
      case " $* " in *" --manifest "*) kill -KILL $$ ;; esac
      exec '\(Harness.tool("load"))' "$@"

      """
    let bin = try Self.stubBin(replacing: "load", with: stub)
    var text = Self.header
    for number in 1...250 {
      text += "nm\(number)\tPerson \(number)\t\\N\t\\N\tactor\ttt\(number)\n"
    }

    let result = try Self.make(text: text, binDirectory: bin, variables: ["CHUNK_ROWS=50"])
    #expect(result.status == 0, "\(result.transcript)")
    #expect(
      result.standardOutput.contains("5 of 5 chunks loaded by this run"),
      "\(result.transcript)"
    )
    #expect(result.standardOutput.contains("table name_basics: 250 rows"), "\(result.transcript)")
  }

  @Test("split fails early: its status, not inflate's")
  func splitFailsEarly() throws {
    guard Harness.checkAvailable() else { return }
    // A wrong header stops split at once, so inflate's writes to the pipe
    // fail with a broken pipe (74); split's 65 is the cause.
    var text = "nconst\tname\n"
    for number in 1...200_000 {
      text += "nm\(number)\tPerson \(number)\t\\N\t\\N\tactor\ttt\(number)\n"
    }
    let tools = URL(fileURLWithPath: Harness.tool("split")).deletingLastPathComponent().path
    let result = try Self.make(text: text, binDirectory: tools)
    #expect(result.status != 0, "\(result.transcript)")
    #expect(result.standardError.contains("header does not match"), "\(result.transcript)")
    #expect(result.standardError.contains("] Error 65"), "\(result.transcript)")
    #expect(!result.standardError.contains("] Error 74"), "\(result.transcript)")
  }
}
