import CLibPQ
import Datasets
import Foundation
import StageKit

// Data path of load, per chunk:
//
//   chunk file --read(2), 1 MiB--> SHA-256 (first pass: is it in the ledger?)
//   BEGIN
//   COPY table (columns) FROM STDIN
//   chunk file --read(2), 1 MiB--> PQputCopyData --> server
//   PQputCopyEnd, PQgetResult: the row count
//   INSERT INTO stageload_ledger (table, chunk, sha256, ...)
//   COMMIT
//
// The ledger row and the chunk's rows commit together, so a chunk is loaded
// at most once whatever fails in between, and a rerun skips it.

/// What happened to one chunk.
package enum ChunkOutcome: Sendable, Equatable {
  case loaded(rows: Int)
  /// The ledger already lists the chunk for this table.
  case alreadyLoaded(rows: Int)
}

/// Loads COPY text chunks into one table, one transaction per chunk.
package final class CopyLoader {
  static let blockSize = 1 << 20

  private let connection: Connection
  private let dataset: Dataset
  private let tableName: String
  private let quotedTable: String

  /// - Parameters:
  ///   - connection: An open connection.
  ///   - dataset: The dataset whose columns the chunks have.
  ///   - tableName: The target table, an unquoted name that is quoted here.
  /// - Throws: `LoadError` when `PQescapeIdentifier` rejects the name.
  package init(connection: Connection, dataset: Dataset, tableName: String) throws {
    self.connection = connection
    self.dataset = dataset
    self.tableName = tableName
    self.quotedTable = try connection.quoteIdentifier(tableName)
  }

  /// Creates the ledger and, when `createTable` is set, the table, unless
  /// they exist.
  package func prepare(createTable: Bool) throws {
    try createIfMissing(TableSchema.createLedger, subject: TableSchema.ledgerName)
    if createTable {
      try createIfMissing(
        TableSchema.createTable(dataset, quotedTable: quotedTable),
        subject: tableName
      )
    }
  }

  /// Loads one chunk in its own transaction, unless the ledger lists it.
  ///
  /// - Parameters:
  ///   - path: The chunk file, or "-" for standard input (read once, so its
  ///     digest is checked against the ledger only after the COPY).
  ///   - manifestEntry: The chunk's line in split's manifest, when there is
  ///     one. Its SHA-256 must match the file, and its first line turns a
  ///     chunk line in a server error into a source line.
  /// - Returns: Whether the chunk was loaded now or found in the ledger.
  /// - Throws: `LoadError`; the transaction is rolled back.
  package func load(chunk path: String, manifestEntry: Manifest.Entry?) throws -> ChunkOutcome {
    let chunkName = path == "-" ? "stdin" : URL(fileURLWithPath: path).lastPathComponent
    let firstSourceLine = manifestEntry?.firstLine
    var expectedDigest: String?
    if path != "-" {
      let digest = try Self.digest(ofFile: path)
      if let manifestEntry, manifestEntry.sha256 != digest {
        throw LoadError.chunkMismatch(path: path)
      }
      if let rows = try ledgerRows(chunk: chunkName, sha256: digest) {
        return .alreadyLoaded(rows: rows)
      }
      expectedDigest = digest
    }

    try connection.execute("BEGIN", subject: chunkName)
    do {
      let (rows, digest) = try copy(
        path: path,
        chunkName: chunkName,
        firstSourceLine: firstSourceLine
      )
      if let expectedDigest, expectedDigest != digest {
        throw LoadError.chunkMismatch(path: path)
      }
      let inserted = try connection.execute(
        """
        INSERT INTO stageload_ledger (table_name, chunk, sha256, dataset, rows)
        VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1
        """,
        parameters: [tableName, chunkName, digest, dataset.name, String(rows)],
        subject: chunkName
      )
      guard inserted.rowCount == 1 else {
        // Another load committed the same chunk while this one ran.
        try connection.execute("ROLLBACK", subject: chunkName)
        return .alreadyLoaded(rows: rows)
      }
      try connection.execute("COMMIT", subject: chunkName)
      return .loaded(rows: rows)
    } catch {
      if connection.isAlive { _ = try? connection.execute("ROLLBACK", subject: chunkName) }
      throw error
    }
  }

  // MARK: - Private

  private func createIfMissing(_ sql: String, subject: String) throws {
    do {
      try connection.execute(sql, subject: subject)
    } catch LoadError.server(_, let sqlState, _, _) where sqlState == "23505" || sqlState == "42P07"
    {
      // Two loads ran CREATE TABLE IF NOT EXISTS at once and the other won.
    }
  }

  private func ledgerRows(chunk: String, sha256: String) throws -> Int? {
    let result = try connection.execute(
      "SELECT rows FROM stageload_ledger WHERE table_name = $1 AND chunk = $2 AND sha256 = $3",
      parameters: [tableName, chunk, sha256],
      subject: chunk
    )
    guard result.rowCount > 0 else { return nil }
    return result.value(0, 0).flatMap { Int($0) } ?? 0
  }

  /// Streams the file with `PQputCopyData` inside a COPY FROM STDIN and
  /// returns the server's row count and the SHA-256 of the bytes sent.
  private func copy(path: String, chunkName: String, firstSourceLine: Int?) throws -> (Int, String)
  {
    let input: FileInput
    do {
      input = try FileInput(path: path)
    } catch let error as SystemError {
      throw LoadError.chunk(error)
    }
    let handle = connection.handle
    let started = QueryResult(
      PQexec(handle, TableSchema.copyStatement(dataset, quotedTable: quotedTable))
    )
    try connection.check(started, subject: chunkName, expecting: [PGRES_COPY_IN])

    // A signal during the COPY asks the server to cancel it, so the
    // transaction ends at once instead of when the connection times out.
    let cancel = PQgetCancel(handle)
    let cancelAddress = Int(bitPattern: cancel)
    let token = Interruption.onInterrupt {
      var message = [CChar](repeating: 0, count: 256)
      if let cancel = OpaquePointer(bitPattern: cancelAddress) {
        _ = PQcancel(cancel, &message, Int32(message.count))
      }
    }
    defer {
      Interruption.remove(token)
      PQfreeCancel(cancel)
    }

    let block = UnsafeMutablePointer<CChar>.allocate(capacity: Self.blockSize)
    defer { block.deallocate() }
    let buffer = UnsafeMutableRawBufferPointer(start: block, count: Self.blockSize)
    let digest = SHA256()
    var readError: Error?
    while true {
      let count: Int
      do {
        count = try input.read(into: buffer)
      } catch {
        readError = error
        break
      }
      if count == 0 { break }
      digest.update(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
      let sent = PQputCopyData(
        handle,
        block,
        Int32(count)
      )
      if sent != 1 { break }
    }

    let endStatus = PQputCopyEnd(handle, readError == nil ? nil : "chunk file could not be read")
    var outcome: QueryResult?
    while let next = PQgetResult(handle) {
      let result = QueryResult(next)
      if outcome == nil || PQresultStatus(next) != PGRES_COMMAND_OK { outcome = result }
    }
    if let readError { throw readError }
    guard endStatus == 1, let outcome, PQresultStatus(outcome.handle) == PGRES_COMMAND_OK else {
      throw copyError(outcome, chunkName: chunkName, firstSourceLine: firstSourceLine)
    }
    return (outcome.affectedRows, digest.finalizeHex())
  }

  /// Builds the error for a failed COPY, adding the chunk line and source
  /// line of the row the server rejected when its context names one.
  private func copyError(_ result: QueryResult?, chunkName: String, firstSourceLine: Int?)
    -> LoadError
  {
    guard let result else {
      return .connectionLost(
        subject: chunkName,
        message: Connection.trimmed(PQerrorMessage(connection.handle))
      )
    }
    var subject = "chunk \(chunkName)"
    if let context = result.field(DiagnosticField.context),
      let chunkLine = Self.copyLine(inContext: context)
    {
      subject += " line \(chunkLine)"
      if let firstSourceLine { subject += " (source line \(firstSourceLine + chunkLine - 1))" }
    }
    return connection.error(for: result, subject: subject)
  }

  /// Extracts N from a COPY error context such as
  /// `COPY name_basics, line 3, column birth_year: "x"`.
  static func copyLine(inContext context: String) -> Int? {
    guard let range = context.range(of: ", line ") else { return nil }
    let digits = context[range.upperBound...].prefix { $0.isNumber }
    return Int(digits)
  }

  /// Returns the SHA-256 of a file's bytes as hex digits.
  static func digest(ofFile path: String) throws -> String {
    let input: FileInput
    do {
      input = try FileInput(path: path)
    } catch let error as SystemError {
      throw LoadError.chunk(error)
    }
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 16)
    defer { buffer.deallocate() }
    let digest = SHA256()
    while true {
      let count = try input.read(into: buffer)
      if count == 0 { break }
      digest.update(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
    }
    return digest.finalizeHex()
  }
}
