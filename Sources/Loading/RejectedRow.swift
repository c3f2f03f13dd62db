import Foundation
import Glibc
import StageKit

/// A row that the server rejected, with where it came from and why.
package struct RejectedRow: Sendable, Equatable {
  package var chunk: String
  /// The row's 1-based line in the chunk file, nil for a row rejected when
  /// the table was published.
  package var chunkLine: Int?
  /// The row's line in the source TSV, when the chunk has a manifest entry.
  package var sourceLine: Int?
  package var sqlState: String
  package var message: String
  /// The row as COPY text, without its newline.
  package var row: String
}

/// A TSV report of rejected rows, shared by parallel loads.
///
/// Columns: `chunk`, `chunk_line`, `source_line`, `sqlstate`, `message`,
/// `row`. A load writes a chunk's lines before it commits the chunk, in
/// place of any lines of that chunk already there. So a load that dies
/// between the two leaves lines that the chunk's next load replaces, and a
/// committed chunk always has its lines in the file. Each change takes an
/// exclusive `flock(2)` on the file, so lines from parallel loads never
/// interleave.
package enum RejectsFile {
  static let header = "chunk\tchunk_line\tsource_line\tsqlstate\tmessage\trow\n"

  /// Replaces the lines of `chunk` in the file at `path` with `rows`.
  ///
  /// When the file has no line of `chunk`, the rows are appended, and the
  /// file is created with its header if needed. Otherwise the file is
  /// written anew with `AtomicFile`, so a crash leaves the old or the new
  /// version.
  ///
  /// - Throws: `SystemError` when the file cannot be read, written or
  ///   renamed.
  package static func replace(chunk: String, with rows: [RejectedRow], in path: String) throws {
    if rows.isEmpty && access(path, F_OK) != 0 { return }
    let output = try lock(path)
    let prefix = Array((chunk + "\t").utf8)
    var lines: [ArraySlice<UInt8>] = []
    if let data = FileManager.default.contents(atPath: path) {
      lines = [UInt8](data).split(separator: 0x0a, omittingEmptySubsequences: false)
      if lines.last?.isEmpty == true { lines.removeLast() }
    }
    let remaining = lines.enumerated().filter { index, line in
      index == 0 || !line.starts(with: prefix)
    }.map(\.element)

    if remaining.count == lines.count {
      guard !rows.isEmpty else { return }
      try output.write((lines.isEmpty ? header : "") + text(of: rows))
      try output.sync()
      try output.close()
      return
    }
    var bytes = Array(header.utf8)
    for line in remaining.dropFirst() {
      bytes += line
      bytes.append(0x0a)
    }
    bytes += Array(text(of: rows).utf8)
    let file = try AtomicFile(path: path)
    try bytes.withUnsafeBytes { try file.output.write($0) }
    try file.commit()
    try output.close()
  }

  /// Opens `path` for appending and takes an exclusive `flock(2)` on it.
  ///
  /// A writer that replaced the file while this call waited for the lock
  /// renamed a new file over the path, so the lock is then taken again on
  /// that file.
  private static func lock(_ path: String) throws -> FileOutput {
    while true {
      let output = try FileOutput(appendingTo: path)
      guard flock(output.descriptor, LOCK_EX) == 0 else {
        throw SystemError("cannot lock", path: path)
      }
      var opened = stat()
      var current = stat()
      guard fstat(output.descriptor, &opened) == 0 else {
        throw SystemError("fstat failed", path: path)
      }
      if stat(path, &current) == 0 && current.st_ino == opened.st_ino
        && current.st_dev == opened.st_dev
      {
        return output
      }
    }
  }

  /// Formats rows as lines of the file.
  private static func text(of rows: [RejectedRow]) -> String {
    var text = ""
    for row in rows {
      // The message is one COPY text field: no tabs or line breaks, and
      // backslashes doubled.
      let message = row.message.map { $0 == "\t" || $0.isNewline ? " " : $0 }
        .map { $0 == "\\" ? "\\\\" : String($0) }.joined()
      let chunkLine = row.chunkLine.map(String.init) ?? "\\N"
      let sourceLine = row.sourceLine.map(String.init) ?? "\\N"
      text += "\(row.chunk)\t\(chunkLine)\t\(sourceLine)\t"
      text += "\(row.sqlState)\t\(message)\t\(row.row)\n"
    }
    return text
  }
}
