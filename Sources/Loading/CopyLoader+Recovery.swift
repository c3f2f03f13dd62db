import Foundation
import StageKit

/// Loading a chunk whose COPY the server rejected because of bad rows.
///
/// The chunk is read into memory (one chunk, about 10 MB at 100,000 rows)
/// and loaded again in one transaction, a range of rows per COPY, each
/// inside a savepoint. When a COPY fails, the server's error context names
/// the failing line: the rows before it are loaded, the row itself is set
/// aside with the SQLSTATE and message, and the COPY goes on after it. An
/// error without a line (a deferred constraint, say) halves the range
/// instead, down to single rows. So k bad rows cost about k + 1 COPYs.
extension CopyLoader {
  func loadSettingAsideBadRows(
    path: String,
    chunkName: String,
    sha256: String,
    manifestEntry: Manifest.Entry?
  ) throws -> ChunkOutcome {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw LoadError.chunk(SystemError("cannot open", path: path))
    }
    let bytes = [UInt8](data)
    var lineStarts = [0]
    for (index, byte) in bytes.enumerated() where byte == 0x0a && index + 1 < bytes.count {
      lineStarts.append(index + 1)
    }
    lineStarts.append(bytes.count)

    var recovery = Recovery(
      bytes: bytes,
      lineStarts: lineStarts,
      chunk: chunkName,
      manifestEntry: manifestEntry
    )
    try connection.execute("BEGIN", subject: chunkName)
    try load(0..<(lineStarts.count - 1), recovery: &recovery)
    // Without a --max-rejects limit, a chunk with no good row at all is more
    // likely the wrong file or table than bad data, so it fails instead of
    // loading nothing. With a limit, the limit alone decides.
    if maximumRejects == nil, recovery.loadedRows == 0, let first = recovery.rejected.first {
      throw LoadError.everyRowRejected(
        chunk: chunkName,
        rows: recovery.rejected.count,
        first: first
      )
    }
    return try commit(
      chunk: chunkName,
      sha256: sha256,
      rows: recovery.loadedRows,
      rejected: recovery.rejected
    )
  }

  /// The chunk in memory and what has been loaded and set aside so far.
  struct Recovery {
    let bytes: [UInt8]
    /// The byte offset where each line starts, plus the end of the data.
    let lineStarts: [Int]
    let chunk: String
    let manifestEntry: Manifest.Entry?
    var loadedRows = 0
    var rejected: [RejectedRow] = []

    func rowText(_ line: Int) -> String {
      var end = lineStarts[line + 1]
      if end > lineStarts[line] && bytes[end - 1] == 0x0a { end -= 1 }
      return String(decoding: bytes[lineStarts[line]..<end], as: UTF8.self)
    }
  }

  /// Loads rows `range` (0-based chunk lines), setting bad ones aside.
  private func load(_ range: Range<Int>, recovery: inout Recovery) throws {
    var start = range.lowerBound
    while start < range.upperBound {
      let end = range.upperBound
      try connection.execute("SAVEPOINT stageload_rows", subject: recovery.chunk)
      let result = try runCopy(subject: recovery.chunk) { send in
        let first = recovery.lineStarts[start]
        let last = recovery.lineStarts[end]
        recovery.bytes.withUnsafeBytes { all in
          var offset = first
          while offset < last {
            let next = min(last, offset + Self.blockSize)
            guard send(UnsafeRawBufferPointer(rebasing: all[offset..<next])) else { return }
            offset = next
          }
        }
      }

      switch result {
      case .copied(let rows):
        try connection.execute("RELEASE SAVEPOINT stageload_rows", subject: recovery.chunk)
        recovery.loadedRows += rows
        return
      case .rejected(let sqlState, let message, let line, let error):
        try connection.execute(
          "ROLLBACK TO SAVEPOINT stageload_rows; RELEASE SAVEPOINT stageload_rows",
          subject: recovery.chunk
        )
        guard Self.isRowError(sqlState) else {
          throw Self.describe(error, chunk: recovery.chunk, line: nil, manifestEntry: nil)
        }

        let bad: Int
        if end - start == 1 {
          bad = start
        } else if let line, line >= 1, start + line - 1 < end {
          bad = start + line - 1
        } else {
          let middle = (start + end) / 2
          try load(start..<middle, recovery: &recovery)
          try load(middle..<end, recovery: &recovery)
          return
        }
        if bad > start { try load(start..<bad, recovery: &recovery) }
        try setAside(line: bad, sqlState: sqlState, message: message, recovery: &recovery)
        start = bad + 1
      }
    }
  }

  private func setAside(
    line: Int,
    sqlState: String,
    message: String,
    recovery: inout Recovery
  ) throws {
    let chunkLine = line + 1
    recovery.rejected.append(
      RejectedRow(
        chunk: recovery.chunk,
        chunkLine: chunkLine,
        sourceLine: recovery.manifestEntry?.sourceLine(ofChunkLine: chunkLine),
        sqlState: sqlState,
        message: message,
        row: recovery.rowText(line)
      )
    )
    if let maximumRejects, recovery.rejected.count > maximumRejects {
      throw LoadError.tooManyRejects(
        chunk: recovery.chunk,
        limit: maximumRejects,
        last: recovery.rejected[recovery.rejected.count - 1]
      )
    }
  }
}
