import Foundation
import Testing

/// The tools under a file size limit (`ulimit -f`), a stand-in for a full
/// disk: a write past the limit must be an error with status 74 and a
/// message, not a silent death by SIGXFSZ.
@Suite(.enabled(if: Harness.isAvailable || Harness.isRequired))
struct FileSizeLimitTests {
  @Test("write past the file size limit", arguments: ["fetch", "inflate"])
  func writePastLimit(_ tool: String) throws {
    guard Harness.checkAvailable() else { return }
    let directory = try Harness.temporaryDirectory("file-size-limit")
    // The gzip and its content, about 400 kB each, are far over a limit of
    // 100 blocks of 512 bytes.
    let gzip = try run([
      "sh", "-c", "head -c 400000 /dev/urandom | gzip -1 > \"$0\"", directory + "/input.gz",
    ])
    #expect(gzip.status == 0, "\(gzip.transcript)")

    let output = directory + "/output"
    let result = try run([
      // The test runner may ignore SIGXFSZ, and children inherit that, so
      // env restores the default action, which kills the process.
      "sh", "-c", "ulimit -f 100 && exec env --default-signal=XFSZ \"$0\" \"$1\" -o \"$2\"",
      Harness.tool(tool),
      directory + "/input.gz", output,
    ])
    #expect(result.status == 74, "\(result.transcript)")
    #expect(
      result.standardError == "\(tool): \(output).part: write failed: File too large\n",
      "\(result.transcript)"
    )
    #expect(!FileManager.default.fileExists(atPath: output))
  }
}
