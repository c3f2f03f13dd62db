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

/// Appends rejected rows to a TSV report shared by parallel loads.
///
/// Columns: `chunk`, `chunk_line`, `source_line`, `sqlstate`, `message`,
/// `row`. Each call takes an exclusive `flock(2)` on the file and writes the
/// header first when the file is empty, so lines from parallel loads never
/// interleave.
package enum RejectsFile {
  static let header = "chunk\tchunk_line\tsource_line\tsqlstate\tmessage\trow\n"

  /// Appends `rows` to the file at `path`, creating it when missing.
  ///
  /// - Throws: `SystemError` when the file cannot be opened or written.
  package static func append(_ rows: [RejectedRow], to path: String) throws {
    guard !rows.isEmpty else { return }
    let output = try FileOutput(appendingTo: path)
    guard flock(output.descriptor, LOCK_EX) == 0 else {
      throw SystemError("cannot lock", path: path)
    }
    var status = stat()
    var text = fstat(output.descriptor, &status) == 0 && status.st_size == 0 ? header : ""
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
    try output.write(text)
    try output.sync()
    try output.close()
  }
}
