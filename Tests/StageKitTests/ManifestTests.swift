import Testing

@testable import StageKit

@Suite struct ManifestTests {
  let digest = String(repeating: "ab", count: 32)

  @Test("text round trip")
  func textRoundTrip() throws {
    let manifest = Manifest(entries: [
      .init(chunk: "000001.copy", firstLine: 2, rows: 100, sha256: digest, lastLine: 101),
      .init(chunk: "000002.copy", firstLine: 103, rows: 5, sha256: digest, lastLine: 109),
    ])
    let parsed = try Manifest(text: manifest.text, path: "manifest.tsv")
    #expect(parsed == manifest)
    #expect(parsed.entry(forChunk: "000002.copy")?.firstLine == 103)
    #expect(parsed.entry(forChunk: "000002.copy")?.lastLine == 109)
  }

  @Test("missing header is rejected")
  func missingHeader() {
    #expect(throws: ManifestError.self) {
      try Manifest(text: "000001.copy\t2\t1\t\(digest)\n", path: "m")
    }
  }

  @Test("malformed entry names its line")
  func malformedEntry() {
    let text = Manifest.header + "\n000001.copy\ttwo\t1\t\(digest)\t2\n"
    #expect(throws: ManifestError(path: "m", line: 2, problem: "malformed entry")) {
      try Manifest(text: text, path: "m")
    }
  }

  @Test("source line mapping needs a gapless chunk")
  func sourceLineMapping() {
    let gapless = Manifest.Entry(
      chunk: "000001.copy",
      firstLine: 2,
      rows: 100,
      sha256: digest,
      lastLine: 101
    )
    let withGap = Manifest.Entry(
      chunk: "000001.copy",
      firstLine: 2,
      rows: 100,
      sha256: digest,
      lastLine: 102
    )
    #expect(gapless.sourceLine(ofChunkLine: 5) == 6)
    #expect(withGap.sourceLine(ofChunkLine: 5) == nil)
  }
}
