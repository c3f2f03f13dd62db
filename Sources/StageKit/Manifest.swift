import Foundation

/// The list of chunk files split wrote for one dataset, stored as
/// `manifest.tsv` beside them.
///
/// Each line after the header is
/// `chunk<TAB>first_line<TAB>rows<TAB>sha256<TAB>last_line`: the chunk's
/// file name, the source line numbers of its first row (the header is line
/// 1), its row count, the SHA-256 of its bytes, and the source line of its
/// last row. When `last_line - first_line + 1 == rows`, no source line
/// inside the chunk was rejected, so chunk line k is source line
/// `first_line + k - 1`.
package struct Manifest: Sendable, Equatable {
  package struct Entry: Sendable, Equatable {
    package var chunk: String
    package var firstLine: Int
    package var rows: Int
    package var sha256: String
    package var lastLine: Int

    package init(chunk: String, firstLine: Int, rows: Int, sha256: String, lastLine: Int) {
      self.chunk = chunk
      self.firstLine = firstLine
      self.rows = rows
      self.sha256 = sha256
      self.lastLine = lastLine
    }

    /// Returns the source line of chunk line `chunkLine` (1-based), or nil
    /// when split rejected lines inside the chunk, so that the chunk's lines
    /// no longer map to source lines by an offset.
    package func sourceLine(ofChunkLine chunkLine: Int) -> Int? {
      guard lastLine - firstLine + 1 == rows else { return nil }
      return firstLine + chunkLine - 1
    }

    /// The entry's manifest line, without the newline.
    package var line: String {
      "\(chunk)\t\(firstLine)\t\(rows)\t\(sha256)\t\(lastLine)"
    }

    /// Parses one manifest line (without its newline); nil when malformed.
    package init?<Line: StringProtocol>(line: Line) {
      let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
      guard fields.count == 5, !fields[0].isEmpty, let firstLine = Int(fields[1]),
        let rows = Int(fields[2]), fields[3].count == 64, let lastLine = Int(fields[4])
      else { return nil }
      self.init(
        chunk: String(fields[0]),
        firstLine: firstLine,
        rows: rows,
        sha256: String(fields[3]),
        lastLine: lastLine
      )
    }
  }

  package static let fileName = "manifest.tsv"
  package static let header = "chunk\tfirst_line\trows\tsha256\tlast_line"

  package var entries: [Entry]

  package init(entries: [Entry] = []) {
    self.entries = entries
  }

  /// The manifest's text: the header, then one line per chunk.
  package var text: String {
    ([Manifest.header] + entries.map(\.line)).joined(separator: "\n") + "\n"
  }

  /// Parses a manifest's text.
  ///
  /// - Throws: `ManifestError` naming the line that is malformed.
  package init(text: String, path: String) throws {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    if lines.last == "" { lines.removeLast() }
    guard lines.first.map(String.init) == Manifest.header else {
      throw ManifestError(path: path, line: 1, problem: "missing header '\(Manifest.header)'")
    }
    entries = []
    for (index, line) in lines.enumerated().dropFirst() {
      guard let entry = Entry(line: line) else {
        throw ManifestError(path: path, line: index + 1, problem: "malformed entry")
      }
      entries.append(entry)
    }
  }

  /// Reads and parses the manifest at `path`.
  package static func read(from path: String) throws -> Manifest {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw SystemError("cannot open", path: path)
    }
    return try Manifest(text: String(decoding: data, as: UTF8.self), path: path)
  }

  /// Reads a manifest from `input` line by line, as it is written, and
  /// calls `body` with each entry as soon as its line is complete.
  ///
  /// This lets a reader follow `split --list-chunks` through a pipe. A
  /// missing final newline is accepted.
  ///
  /// - Throws: `ManifestError` for a missing header or a malformed line,
  ///   `SystemError` for a read error, or what `body` throws.
  package static func forEachEntry(
    in input: FileInput,
    _ body: (Entry) throws -> Void
  ) throws {
    var pending: [UInt8] = []
    var lineNumber = 0
    func take(_ line: ArraySlice<UInt8>) throws {
      lineNumber += 1
      let text = String(decoding: line, as: UTF8.self)
      if lineNumber == 1 {
        guard text == header else {
          throw ManifestError(path: input.name, line: 1, problem: "missing header '\(header)'")
        }
        return
      }
      guard let entry = Entry(line: text) else {
        throw ManifestError(path: input.name, line: lineNumber, problem: "malformed entry")
      }
      try body(entry)
    }

    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 1)
    defer { buffer.deallocate() }
    while true {
      let count = try input.read(into: buffer)
      if count == 0 { break }
      pending.append(contentsOf: buffer[..<count])
      var start = pending.startIndex
      while let end = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
        try take(pending[start..<end])
        start = end + 1
      }
      pending.removeSubrange(..<start)
    }
    if !pending.isEmpty { try take(pending[...]) }
    if lineNumber == 0 {
      throw ManifestError(path: input.name, line: 1, problem: "missing header '\(header)'")
    }
  }

  /// Returns the entry for the chunk file named `chunk`, if listed.
  package func entry(forChunk chunk: String) -> Entry? {
    entries.first { $0.chunk == chunk }
  }
}

/// A manifest line that cannot be parsed.
package struct ManifestError: StageError, Equatable {
  package var path: String
  package var line: Int
  package var problem: String

  package var exitStatus: ExitStatus { .dataError }
  package var description: String {
    "\(path): line \(line): \(problem); run split again"
  }
}
