import Testing

@testable import StageKit

@Suite struct ManifestTests {
  let digest = String(repeating: "ab", count: 32)

  @Test("text round trip")
  func textRoundTrip() throws {
    let manifest = Manifest(entries: [
      .init(chunk: "000001.copy", firstLine: 2, rows: 100, sha256: digest),
      .init(chunk: "000002.copy", firstLine: 103, rows: 5, sha256: digest),
    ])
    let parsed = try Manifest(text: manifest.text, path: "manifest.tsv")
    #expect(parsed == manifest)
    #expect(parsed.entry(forChunk: "000002.copy")?.firstLine == 103)
  }

  @Test("missing header is rejected")
  func missingHeader() {
    #expect(throws: ManifestError.self) {
      try Manifest(text: "000001.copy\t2\t1\t\(digest)\n", path: "m")
    }
  }

  @Test("malformed entry names its line")
  func malformedEntry() {
    let text = Manifest.header + "\n000001.copy\ttwo\t1\t\(digest)\n"
    #expect(throws: ManifestError(path: "m", line: 2, problem: "malformed entry")) {
      try Manifest(text: text, path: "m")
    }
  }
}
