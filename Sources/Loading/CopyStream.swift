import CLibPQ
import StageKit

/// The end of one `COPY ... FROM STDIN`.
enum CopyResult {
  /// The server accepted every row.
  case copied(rows: Int)
  /// The server rejected the data. `line` is the 1-based line of this COPY
  /// that the server names in its error context, when it names one.
  case rejected(sqlState: String, message: String, line: Int?, error: LoadError)
}

extension CopyLoader {
  /// Runs `COPY table (columns) FROM STDIN` and sends what `produce` hands
  /// to its `send` callback with `PQputCopyData`.
  ///
  /// A SIGINT or SIGTERM during the COPY sends a cancel request with
  /// `PQcancel` (registered by `Connection` for every statement), so the
  /// server ends the transaction at once.
  ///
  /// - Parameters:
  ///   - subject: The chunk's name, for messages.
  ///   - produce: Calls `send` with consecutive pieces of COPY text. An
  ///     error it throws aborts the COPY with `PQputCopyEnd` and is rethrown.
  /// - Returns: The row count, or the server's rejection of the data.
  /// - Throws: `LoadError.connectionLost`, or what `produce` throws.
  func runCopy(
    subject: String,
    produce: (_ send: (UnsafeRawBufferPointer) -> Bool) throws -> Void
  ) throws -> CopyResult {
    let handle = connection.handle
    let started = QueryResult(PQexec(handle, copyStatement))
    try connection.check(started, subject: subject, expecting: [PGRES_COPY_IN])

    var produceError: Error?
    do {
      try produce { bytes in
        guard let base = bytes.baseAddress, bytes.count > 0 else { return true }
        return PQputCopyData(handle, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
          == 1
      }
    } catch {
      produceError = error
    }

    let endStatus = PQputCopyEnd(handle, produceError == nil ? nil : "input could not be read")
    var outcome: QueryResult?
    while let next = PQgetResult(handle) {
      let result = QueryResult(next)
      if outcome == nil || PQresultStatus(next) != PGRES_COMMAND_OK { outcome = result }
    }
    if let produceError { throw produceError }

    guard endStatus == 1, connection.isAlive, let outcome else {
      throw LoadError.connectionLost(
        subject: subject,
        message: Connection.trimmed(PQerrorMessage(handle))
      )
    }
    if PQresultStatus(outcome.handle) == PGRES_COMMAND_OK {
      return .copied(rows: outcome.affectedRows)
    }
    let line = outcome.field(DiagnosticField.context).flatMap {
      Self.copyLine(inContext: $0, table: tableName)
    }
    let error = connection.error(for: outcome, subject: subject)
    guard case .server(_, let sqlState, let message, _) = error else { throw error }
    return .rejected(sqlState: sqlState, message: message, line: line, error: error)
  }

  /// Extracts N from a COPY error context such as
  /// `COPY name_basics, line 3, column birth_year: "x"`.
  ///
  /// The search starts after `COPY TABLE`, so a table name that contains
  /// ", line " cannot be mistaken for the line number.
  static func copyLine(inContext context: String, table: String) -> Int? {
    let prefix = "COPY \(table), line "
    guard context.hasPrefix(prefix) else { return nil }
    let digits = context.dropFirst(prefix.count).prefix { $0.isNumber }
    return Int(digits)
  }

  /// Returns whether a SQLSTATE is a data error (class 22) or an integrity
  /// constraint violation (class 23): a problem of one row, not of the load.
  static func isRowError(_ sqlState: String) -> Bool {
    sqlState.hasPrefix("22") || sqlState.hasPrefix("23")
  }
}
