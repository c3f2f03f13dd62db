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
//   INSERT INTO stageload_ledger (table, chunk, sha256, rows, rejected, ...)
//   COMMIT
//
// The ledger row and the chunk's rows commit together, so a chunk is loaded
// at most once whatever fails in between, and a rerun skips it. When the
// server rejects a row (SQLSTATE class 22 or 23), the chunk is rolled back
// and loaded again from memory with the bad rows set aside (see
// CopyLoader+Recovery.swift).
//
// Standard input ("-") is read once, through EndOfDataReader: it must end
// with the end-of-data line \. that split --stdout writes last, which is
// not sent. Without it, the COPY is aborted and nothing commits.

/// The outcome of loading one chunk.
package enum ChunkOutcome: Sendable, Equatable {
  /// The chunk was committed with `rows` rows; `rejected` rows were set aside.
  case loaded(rows: Int, rejected: [RejectedRow])
  /// The ledger already lists the chunk for this table.
  case alreadyLoaded(rows: Int)
}

/// Loads COPY text chunks into one table, one transaction per chunk.
package final class CopyLoader {
  static let blockSize = 1 << 20

  let connection: Connection
  let dataset: Dataset
  let tableName: String
  let quotedTable: String
  let copyStatement: String
  /// The maximum number of rejected rows a chunk may have and still load.
  ///
  /// Nil means no limit; 0 makes the first bad row fail the whole chunk.
  package var maximumRejects: Int?
  /// The rejects file that receives a chunk's rejected rows before the
  /// chunk commits (see `RejectsFile`); nil keeps them only in the outcome.
  package var rejectsPath: String?

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
    self.copyStatement = TableSchema.copyStatement(dataset, quotedTable: quotedTable)
  }

  /// Creates the ledger and, when `createTable` is set, the table, unless
  /// they exist.
  ///
  /// - Throws: `LoadError` when the server rejects the statements.
  package func prepare(createTable: Bool) throws {
    try createIfMissing(TableSchema.createLedger, subject: TableSchema.ledgerName)
    if createTable {
      try createIfMissing(
        TableSchema.createTable(dataset, quotedTable: quotedTable),
        subject: tableName
      )
    }
  }

  /// Drops and creates the table empty, and deletes its ledger rows, in one
  /// transaction; this starts a new generation of a staging table.
  ///
  /// - Throws: `LoadError` when the server rejects the statements.
  package func recreate() throws {
    try createIfMissing(TableSchema.createLedger, subject: TableSchema.ledgerName)
    try connection.execute("BEGIN", subject: tableName)
    do {
      try connection.execute("DROP TABLE IF EXISTS \(quotedTable)", subject: tableName)
      try connection.execute(
        TableSchema.createTable(dataset, quotedTable: quotedTable),
        subject: tableName
      )
      try connection.execute(
        "DELETE FROM stageload_ledger WHERE table_name = $1",
        parameters: [tableName],
        subject: tableName
      )
      try connection.execute("COMMIT", subject: tableName)
    } catch {
      if connection.isAlive { _ = try? connection.execute("ROLLBACK", subject: tableName) }
      throw error
    }
  }

  /// Loads one chunk in its own transaction, unless the ledger lists it.
  ///
  /// - Parameters:
  ///   - path: The chunk file, or "-" for standard input (read once, so its
  ///     digest is checked against the ledger only after the COPY, and a
  ///     rejected row fails it whole). Standard input must end with the
  ///     end-of-data line `\.`.
  ///   - manifestEntry: The chunk's line in split's manifest, when there is
  ///     one. Its SHA-256 must match the file, and its first line turns a
  ///     chunk line in a server error into a source line.
  /// - Returns: Whether the chunk was loaded now or found in the ledger.
  /// - Throws: `LoadError`; the transaction is rolled back.
  package func load(chunk path: String, manifestEntry: Manifest.Entry?) throws -> ChunkOutcome {
    let chunkName = path == "-" ? "stdin" : URL(fileURLWithPath: path).lastPathComponent
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
      let digest = SHA256()
      let input = try Self.open(path)
      let result = try runCopy(subject: chunkName) { send in
        try Self.stream(input, requiresEndOfData: path == "-", digest: digest, to: send)
      }
      let actualDigest = digest.finalizeHex()
      if let expectedDigest, expectedDigest != actualDigest {
        throw LoadError.chunkMismatch(path: path)
      }

      switch result {
      case .copied(let rows):
        return try commit(chunk: chunkName, sha256: actualDigest, rows: rows, rejected: [])
      case .rejected(let sqlState, _, let line, let error):
        try connection.execute("ROLLBACK", subject: chunkName)
        guard Self.isRowError(sqlState), path != "-", maximumRejects != 0 else {
          throw Self.describe(error, chunk: chunkName, line: line, manifestEntry: manifestEntry)
        }
        return try loadSettingAsideBadRows(
          path: path,
          chunkName: chunkName,
          sha256: actualDigest,
          manifestEntry: manifestEntry
        )
      }
    } catch {
      if connection.isAlive { _ = try? connection.execute("ROLLBACK", subject: chunkName) }
      throw error
    }
  }

  /// Records the chunk in the ledger, writes its rejected rows to the
  /// rejects file and commits the open transaction.
  ///
  /// The ledger row locks the chunk against other loads until the commit,
  /// so only the load that commits it writes the chunk's rejected rows.
  ///
  /// - Returns: `.loaded`, or `.alreadyLoaded` when another load committed
  ///   the same chunk meanwhile, in which case this transaction rolls back.
  func commit(chunk: String, sha256: String, rows: Int, rejected: [RejectedRow]) throws
    -> ChunkOutcome
  {
    let inserted = try connection.execute(
      """
      INSERT INTO stageload_ledger (table_name, chunk, sha256, dataset, rows, rejected)
      VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING 1
      """,
      parameters: [tableName, chunk, sha256, dataset.name, String(rows), String(rejected.count)],
      subject: chunk
    )
    guard inserted.rowCount == 1 else {
      try connection.execute("ROLLBACK", subject: chunk)
      return .alreadyLoaded(rows: rows)
    }
    if let rejectsPath {
      try RejectsFile.replace(chunk: chunk, with: rejected, in: rejectsPath)
    }
    try connection.execute("COMMIT", subject: chunk)
    return .loaded(rows: rows, rejected: rejected)
  }

  /// Adds the chunk line and, from the manifest, the source line of the
  /// rejected row to a server error's subject.
  static func describe(
    _ error: LoadError,
    chunk: String,
    line: Int?,
    manifestEntry: Manifest.Entry?
  ) -> LoadError {
    guard case .server(_, let sqlState, let message, let hint) = error else { return error }
    var subject = "chunk \(chunk)"
    if let line {
      subject += " line \(line)"
      if let source = manifestEntry?.sourceLine(ofChunkLine: line) {
        subject += " (source line \(source))"
      }
    }
    return .server(subject: subject, sqlState: sqlState, message: message, hint: hint)
  }

  // MARK: - Private

  private func createIfMissing(_ sql: String, subject: String) throws {
    do {
      try connection.execute(sql, subject: subject)
    } catch LoadError.server(_, let sqlState, _, _) where Self.lostCreateRace.contains(sqlState) {
      // Two loads ran CREATE TABLE IF NOT EXISTS at once and the other won.
    }
  }

  /// SQLSTATEs of a CREATE TABLE IF NOT EXISTS that lost to another session.
  ///
  /// When two sessions create the same table at once, the loser fails on
  /// the table (42P07), its row type (42710, "type already exists" in
  /// PostgreSQL 15) or the catalog's unique index (23505). Parallel
  /// `load --create` runs, such as make -j with several datasets, meet them.
  private static let lostCreateRace: Set<String> = ["23505", "42P07", "42710"]

  private func ledgerRows(chunk: String, sha256: String) throws -> Int? {
    let result = try connection.execute(
      "SELECT rows FROM stageload_ledger WHERE table_name = $1 AND chunk = $2 AND sha256 = $3",
      parameters: [tableName, chunk, sha256],
      subject: chunk
    )
    guard result.rowCount > 0 else { return nil }
    return result.value(0, 0).flatMap { Int($0) } ?? 0
  }

  private static func open(_ path: String) throws -> FileInput {
    do {
      return try FileInput(path: path)
    } catch let error as SystemError {
      throw LoadError.chunk(error)
    }
  }

  /// Reads `input` in 1 MiB blocks, adds each to `digest` and sends it.
  ///
  /// With `requiresEndOfData`, the input must end with the end-of-data
  /// line, which is neither sent nor digested; `EndOfDataReader` throws
  /// when it is missing.
  private static func stream(
    _ input: FileInput,
    requiresEndOfData: Bool = false,
    digest: SHA256,
    to send: (UnsafeRawBufferPointer) -> Bool
  ) throws {
    if requiresEndOfData {
      let reader = EndOfDataReader(blockSize: blockSize) { try input.read(into: $0) }
      while let block = try reader.next() {
        digest.update(block)
        guard send(block) else { return }
      }
      return
    }
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 16)
    defer { buffer.deallocate() }
    while true {
      let count = try input.read(into: buffer)
      if count == 0 { return }
      let block = UnsafeRawBufferPointer(rebasing: buffer[..<count])
      digest.update(block)
      // A failed send means the connection broke; runCopy reports it.
      guard send(block) else { return }
    }
  }

  /// Returns the SHA-256 of a file's bytes as hex digits.
  static func digest(ofFile path: String) throws -> String {
    let input = try open(path)
    let digest = SHA256()
    try stream(input, digest: digest) { _ in true }
    return digest.finalizeHex()
  }
}
