import Foundation
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

  /// Opens a pipe and returns its read end as a `FileInput` and a function
  /// that writes to its other end.
  static func pipeInput() throws -> (
    input: FileInput, write: @Sendable (String) -> Void, close: @Sendable () -> Void
  ) {
    var descriptors: [Int32] = [0, 0]
    guard pipe(&descriptors) == 0 else { throw SystemError("pipe failed", path: "pipe") }
    let reader = descriptors[0]
    let writer = descriptors[1]
    let input = try FileInput(path: "/dev/fd/\(reader)")
    close(reader)
    return (
      input,
      { text in _ = text.withCString { Glibc.write(writer, $0, strlen($0)) } },
      { Glibc.close(writer) }
    )
  }

  @Test("entries stream from a pipe")
  func entriesStreamFromPipe() throws {
    let manifest = Manifest(entries: [
      .init(chunk: "dir/000001.copy", firstLine: 2, rows: 3, sha256: digest, lastLine: 4),
      .init(chunk: "dir/000002.copy", firstLine: 5, rows: 1, sha256: digest, lastLine: 5),
    ])
    let (input, write, close) = try Self.pipeInput()
    let lines = manifest.text.split(separator: "\n").map { $0 + "\n" }
    let firstSeen = DispatchSemaphore(value: 0)
    let writer = Thread {
      // The header and the first entry in pieces of 7 bytes; the rest
      // only after the reader has handed over the first entry.
      var head = Array((lines[0] + lines[1]).utf8)
      while !head.isEmpty {
        write(String(decoding: head.prefix(7), as: UTF8.self))
        head.removeFirst(min(7, head.count))
      }
      firstSeen.wait()
      write(String(lines[2].dropLast()))
      close()
    }
    writer.start()

    var received: [Manifest.Entry] = []
    try Manifest.forEachEntry(in: input) { entry in
      received.append(entry)
      if received.count == 1 { firstSeen.signal() }
    }
    #expect(received == manifest.entries)
  }

  @Test("a streamed manifest needs its header")
  func streamNeedsHeader() throws {
    for text in ["", "000001.copy\t2\t1\t\(digest)\t2\n"] {
      let (input, write, close) = try Self.pipeInput()
      write(text)
      close()
      #expect(
        throws: ManifestError(
          path: input.name,
          line: 1,
          problem: "missing header '\(Manifest.header)'"
        )
      ) {
        try Manifest.forEachEntry(in: input) { _ in }
      }
    }
  }

  @Test("malformed streamed line fails after good ones")
  func streamMalformedLine() throws {
    let (input, write, close) = try Self.pipeInput()
    write(Manifest.header + "\n000001.copy\t2\t1\t\(digest)\t2\n000002.copy\t3\n")
    close()
    var received = 0
    #expect(throws: ManifestError(path: input.name, line: 3, problem: "malformed entry")) {
      try Manifest.forEachEntry(in: input) { _ in received += 1 }
    }
    #expect(received == 1)
  }
}
