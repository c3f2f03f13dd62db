import Datasets
import StageKit

// Data path of split:
//
//   input fd --read(2)--> LineReader block (1 MiB, grows only for a longer
//                       line, up to 64 MiB; a row of 64 MiB or more is rejected)
//     --memchr '\n'--> one line, in place, CR trimmed
//     --RowConverter (RowScanner, one pass)--> COPY text appended to an
//                       output ByteBuffer (4 MiB); a bad row is rolled back,
//                       checked rule by rule and goes to the rejects file
//     --submit when the buffer is nearly full or a chunk ends--> WriteBehind,
//                       whose thread writes the chunk file (ChunkWriter:
//                       .part, SHA-256, rename) or stdout while the next
//                       buffer fills; three buffers take turns
//     --ChunkSyncQueue--> fsync of each finished chunk on another thread
//
// Memory is the three output buffers and the input block, plus one line's
// worth of growth; no row allocates on the success path. The conversion
// itself runs on the calling thread only.

/// The destination of split's COPY text.
package enum SplitDestination: Sendable {
  /// Chunk files of `rowsPerChunk` rows, a manifest and `chunks.mk` in `directory`.
  case chunks(directory: String, rowsPerChunk: Int)
  /// One COPY stream on standard output, ended by the end-of-data line
  /// `\.` when the split succeeds.
  case standardOutput
}

/// Counts reported during and after a split.
package struct SplitSummary: Sendable, Equatable {
  package var bytesRead = 0
  /// Data rows seen, not counting the header.
  package var rowsRead = 0
  package var rowsWritten = 0
  package var rowsRejected = 0
  package var chunks = 0
}

/// Converts one dataset's TSV into PostgreSQL COPY text.
package final class TSVSplitter {
  static let outputBufferSize = 4 << 20
  /// Output buffers besides the one being filled: up to two being written.
  static let writeBufferCount = 2

  /// The bytes of an overlong row that its rejection keeps.
  static let overlongRowPrefix = 1024

  private let converter: RowConverter
  private let destination: SplitDestination
  private let rejectsPath: String?
  /// The line length in bytes from which a row is rejected unread; tests
  /// set a small one.
  var maximumLineLength = LineReader.defaultMaximumLineLength
  /// A handler for each chunk's manifest entry, called as soon as the chunk
  /// file is complete.
  ///
  /// It runs only for `.chunks`, before the split ends. The manifest still
  /// appears only at the end, when every chunk is on disk.
  package var onChunk: ((Manifest.Entry) throws -> Void)?

  /// - Parameters:
  ///   - dataset: The dataset whose header and column types the input has.
  ///   - destination: Chunk files in a directory, or standard output.
  ///   - rejectsPath: Where invalid rows go; when nil, the first invalid row
  ///     stops the split with an error.
  package init(dataset: Dataset, destination: SplitDestination, rejectsPath: String?) {
    self.converter = RowConverter(dataset: dataset)
    self.destination = destination
    self.rejectsPath = rejectsPath
  }

  /// Reads `input` to its end and writes the COPY text.
  ///
  /// - Parameters:
  ///   - input: The TSV, header first.
  ///   - progress: Called about once per thousand rows with the counts so far.
  /// - Returns: The final counts.
  /// - Throws: `SplitError` for a bad header or, without a rejects file, a
  ///   bad row; `SystemError` for I/O failures.
  package func run(
    input: FileInput,
    progress: (SplitSummary) -> Void = { _ in }
  ) throws -> SplitSummary {
    let dataset = converter.dataset
    let reader = LineReader(input: input, maximumLineLength: maximumLineLength)
    let rejects = try rejectsPath.map { try RejectWriter(path: $0) }
    var chunks: ChunkWriter?
    var rowsPerChunk = Int.max
    let sink: any ByteSink
    switch destination {
    case .chunks(let directory, let rows):
      let writer = try ChunkWriter(directory: directory, datasetName: dataset.name)
      writer.onChunk = onChunk
      chunks = writer
      sink = writer
      rowsPerChunk = rows
    case .standardOutput:
      sink = FileOutput.standardOutput()
    }
    let writer = WriteBehind(
      sink: sink,
      bufferCount: Self.writeBufferCount,
      capacity: Self.outputBufferSize
    )
    let output = ByteBuffer(capacity: Self.outputBufferSize)

    // Hands the bytes over in an empty pool buffer, so that `output` stays
    // one object that the per-line code holds without reference counting.
    func flush() throws {
      let full = try writer.takeEmptyBuffer()
      full.swapContents(with: output)
      writer.submit(full)
    }

    func endChunk(firstLine: Int, lastLine: Int, rows: Int) throws {
      guard let chunks else { return }
      try writer.enqueue {
        try chunks.endChunk(firstLine: firstLine, lastLine: lastLine, rows: rows)
      }
    }

    var summary = SplitSummary()
    var rowsInChunk = 0
    var chunkFirstLine = 0
    var chunkLastLine = 0
    var sawHeader = false
    let columnCount = dataset.columns.count

    // A row too long to hold is rejected with its start only, so that the
    // rejects file stays small. Without a rejects file, or in place of the
    // header (line 1), it stops the split. Such rows are counted apart and
    // added to the summary after the loop: a nested function that captures
    // the loop's variables (summary, sawHeader) makes the compiler box them,
    // which made every row about 30% slower to convert.
    var overlongRows = 0
    func rejectOverlong(_ start: UnsafeBufferPointer<UInt8>, lineNumber: Int) throws {
      guard lineNumber > 1, let rejects else {
        throw SplitError.lineTooLong(
          path: input.name,
          line: lineNumber,
          limit: reader.maximumLineLength
        )
      }
      overlongRows += 1
      let keptBytes = min(start.count, Self.overlongRowPrefix)
      let rejection = Rejection(
        reason: "line is \(reader.maximumLineLength >> 20) MiB or longer; "
          + "the row here is its first \(keptBytes) bytes"
      )
      try rejects.write(
        line: lineNumber,
        rejection: rejection,
        row: UnsafeBufferPointer(rebasing: start[..<keptBytes])
      )
    }

    do {
      try reader.forEachLine(overlong: rejectOverlong) { line, lineNumber in
        guard sawHeader else {
          try Self.checkHeader(line, dataset: dataset, path: input.name)
          sawHeader = true
          return
        }
        summary.rowsRead += 1
        let needed = RowConverter.maximumOutputSize(forLineOf: line.count, columns: columnCount)
        if output.freeSpace < needed { try flush() }

        let rejection = converter.convert(
          line,
          readablePastEnd: LineReader.readablePastLine,
          into: output
        )
        if let rejection {
          guard let rejects else {
            throw SplitError.invalidRow(path: input.name, line: lineNumber, rejection: rejection)
          }
          try rejects.write(line: lineNumber, rejection: rejection, row: line)
          summary.rowsRejected += 1
          return
        }

        summary.rowsWritten += 1
        if rowsInChunk == 0 { chunkFirstLine = lineNumber }
        chunkLastLine = lineNumber
        rowsInChunk += 1
        if rowsInChunk == rowsPerChunk {
          try flush()
          try endChunk(firstLine: chunkFirstLine, lastLine: chunkLastLine, rows: rowsInChunk)
          rowsInChunk = 0
        }
        if summary.rowsRead % 1024 == 0 {
          summary.bytesRead = reader.bytesRead
          progress(summary)
        }
      }

      guard sawHeader else {
        throw SplitError.emptyInput(path: input.name, dataset: dataset.name)
      }
      summary.rowsRead += overlongRows
      summary.rowsRejected += overlongRows
      try flush()
      try endChunk(firstLine: chunkFirstLine, lastLine: chunkLastLine, rows: rowsInChunk)
    } catch {
      // Let the writer thread finish first, so that releasing the chunk
      // writer then removes the open chunk's part file.
      try? writer.drain()
      throw error
    }
    try writer.drain()
    if let chunks {
      try chunks.finish()
      summary.chunks = chunks.manifest.entries.count
    }
    try rejects?.commit()
    if case .standardOutput = destination {
      // Written last, after every row and the rejects file, so that a
      // reader such as load - can tell this stream from one cut short.
      try EndOfDataLine.bytes.withUnsafeBytes { try sink.write($0) }
    }
    summary.bytesRead = reader.bytesRead
    return summary
  }

  /// Checks the header line, after removing a UTF-8 byte order mark.
  static func checkHeader(_ line: UnsafeBufferPointer<UInt8>, dataset: Dataset, path: String)
    throws
  {
    var header = line
    if header.starts(with: [0xef, 0xbb, 0xbf]) {
      header = UnsafeBufferPointer(rebasing: header[3...])
    }
    let found = String(decoding: header, as: UTF8.self)
    guard found == dataset.header else {
      throw SplitError.headerMismatch(path: path, expected: dataset.header, found: found)
    }
  }
}
