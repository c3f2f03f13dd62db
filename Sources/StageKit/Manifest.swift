import Foundation

/// The list of chunk files split wrote for one dataset, stored as
/// `manifest.tsv` beside them.
///
/// Each line after the header is `chunk<TAB>first_line<TAB>rows<TAB>sha256`:
/// the chunk's file name, the source line number of its first row (the
/// header is line 1), its row count and the SHA-256 of its bytes.
package struct Manifest: Sendable, Equatable {
  package struct Entry: Sendable, Equatable {
    package var chunk: String
    package var firstLine: Int
    package var rows: Int
    package var sha256: String

    package init(chunk: String, firstLine: Int, rows: Int, sha256: String) {
      self.chunk = chunk
      self.firstLine = firstLine
      self.rows = rows
      self.sha256 = sha256
    }
  }

  package static let fileName = "manifest.tsv"
  package static let header = "chunk\tfirst_line\trows\tsha256"

  package var entries: [Entry]

  package init(entries: [Entry] = []) {
    self.entries = entries
  }

  /// The manifest's text: the header, then one line per chunk.
  package var text: String {
    var lines = [Manifest.header]
    for entry in entries {
      lines.append("\(entry.chunk)\t\(entry.firstLine)\t\(entry.rows)\t\(entry.sha256)")
    }
    return lines.joined(separator: "\n") + "\n"
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
      let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
      guard fields.count == 4, let firstLine = Int(fields[1]), let rows = Int(fields[2]),
        fields[3].count == 64
      else {
        throw ManifestError(path: path, line: index + 1, problem: "malformed entry")
      }
      entries.append(
        Entry(
          chunk: String(fields[0]),
          firstLine: firstLine,
          rows: rows,
          sha256: String(fields[3])
        )
      )
    }
  }

  /// Reads and parses the manifest at `path`.
  package static func read(from path: String) throws -> Manifest {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw SystemError("cannot open", path: path)
    }
    return try Manifest(text: String(decoding: data, as: UTF8.self), path: path)
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
