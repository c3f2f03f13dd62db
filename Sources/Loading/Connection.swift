import CLibPQ
import Foundation
import StageKit

/// A libpq connection, closed with `PQfinish` when released.
package final class Connection {
  let handle: OpaquePointer

  /// Connects with `PQconnectdb`.
  ///
  /// - Parameter conninfo: A connection string or URI. The empty string
  ///   uses libpq's defaults: PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD,
  ///   PGSSLMODE, `~/.pgpass` and so on.
  /// - Throws: `LoadError.connectionFailed`; its message never contains the
  ///   password, because libpq's messages do not.
  package init(conninfo: String) throws {
    guard let handle = PQconnectdb(conninfo) else {
      throw LoadError.connectionFailed(message: "out of memory", temporary: true)
    }
    self.handle = handle
    guard PQstatus(handle) == CONNECTION_OK else {
      // deinit calls PQfinish, because every stored property is set.
      let message = Connection.trimmed(PQerrorMessage(handle))
      let temporary =
        message.contains("starting up") || message.contains("shutting down")
        || message.contains("in recovery")
      throw LoadError.connectionFailed(message: message, temporary: temporary)
    }
    PQsetNoticeProcessor(handle, { _, _ in }, nil)
    // Chunks are UTF-8 whatever the database's encoding or PGCLIENTENCODING
    // is set to. The server converts them, or rejects what it cannot store.
    guard PQsetClientEncoding(handle, "UTF8") == 0 else {
      throw LoadError.connectionFailed(
        message: "cannot set client_encoding to UTF8: "
          + Connection.trimmed(PQerrorMessage(handle)),
        temporary: false
      )
    }
    // One cancel object for the connection's life: a signal may use it at
    // any moment, so it is never freed while the process runs.
    let cancel = PQgetCancel(handle)
    let cancelAddress = Int(bitPattern: cancel)
    Interruption.onInterrupt {
      var message = [CChar](repeating: 0, count: 256)
      if let cancel = OpaquePointer(bitPattern: cancelAddress) {
        _ = PQcancel(cancel, &message, Int32(message.count))
      }
    }
  }

  /// Connects with `DATABASE_URL` when set, else with libpq's defaults.
  package static func fromEnvironment() throws -> Connection {
    try Connection(conninfo: ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "")
  }

  deinit {
    PQfinish(handle)
  }

  /// Runs `sql` with `PQexec` and checks that it succeeded.
  ///
  /// - Parameters:
  ///   - sql: One or more SQL statements.
  ///   - subject: What the statement is about, for the error message.
  /// - Returns: The result; rows, if any, are read with `value(_:_:)`.
  /// - Throws: `LoadError` when the server rejects the statement or the
  ///   connection is lost.
  @discardableResult
  package func execute(_ sql: String, subject: String) throws -> QueryResult {
    let result = QueryResult(PQexec(handle, sql))
    try check(result, subject: subject, expecting: [PGRES_COMMAND_OK, PGRES_TUPLES_OK])
    return result
  }

  /// Runs `sql` with parameters passed as text through `PQexecParams`, so
  /// values never need quoting.
  @discardableResult
  package func execute(_ sql: String, parameters: [String], subject: String) throws -> QueryResult {
    var cStrings = parameters.map { strdup($0) }
    defer { cStrings.forEach { free($0) } }
    let result = cStrings.withUnsafeMutableBufferPointer { pointers in
      pointers.withMemoryRebound(to: UnsafePointer<CChar>?.self) { values in
        QueryResult(
          PQexecParams(
            handle,
            sql,
            Int32(parameters.count),
            nil,
            values.baseAddress,
            nil,
            nil,
            0
          )
        )
      }
    }
    try check(result, subject: subject, expecting: [PGRES_COMMAND_OK, PGRES_TUPLES_OK])
    return result
  }

  /// Returns whether the table `name` (unquoted) exists.
  package func tableExists(_ name: String) throws -> Bool {
    let result = try execute(
      "SELECT to_regclass($1) IS NOT NULL",
      parameters: [try quoteIdentifier(name)],
      subject: name
    )
    return result.value(0, 0) == "t"
  }

  /// Quotes `name` as an SQL identifier with `PQescapeIdentifier`, so that
  /// a table name containing quotes, spaces or `;` stays one name.
  package func quoteIdentifier(_ name: String) throws -> String {
    guard let escaped = PQescapeIdentifier(handle, name, name.utf8.count) else {
      throw LoadError.server(
        subject: name,
        sqlState: "22000",
        message: Connection.trimmed(PQerrorMessage(handle)),
        hint: nil
      )
    }
    defer { PQfreemem(escaped) }
    return String(cString: escaped)
  }

  /// Whether the connection is still usable, from `PQstatus`.
  package var isAlive: Bool {
    PQstatus(handle) == CONNECTION_OK
  }

  /// Throws the right `LoadError` unless `result` has one of the statuses.
  func check(_ result: QueryResult, subject: String, expecting statuses: [ExecStatusType]) throws {
    let status = PQresultStatus(result.handle)
    guard !statuses.contains(status) else { return }
    throw error(for: result, subject: subject)
  }

  /// Builds the error for a failed result: connection loss when the
  /// connection is gone, else the server's SQLSTATE and message.
  func error(for result: QueryResult, subject: String) -> LoadError {
    guard isAlive, result.handle != nil else {
      return .connectionLost(subject: subject, message: Connection.trimmed(PQerrorMessage(handle)))
    }
    let sqlState = result.field(DiagnosticField.sqlState) ?? "XX000"
    let message =
      result.field(DiagnosticField.message) ?? Connection.trimmed(PQerrorMessage(handle))
    let hint = result.field(DiagnosticField.hint)
    return .server(subject: subject, sqlState: sqlState, message: message, hint: hint)
  }

  static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
    guard let message else { return "unknown error" }
    // libpq's messages span lines and indent their hints with a tab.
    return String(cString: message).split(whereSeparator: \.isWhitespace).joined(separator: " ")
  }
}

/// A `PGresult`, cleared with `PQclear` when released.
package final class QueryResult {
  let handle: OpaquePointer?

  init(_ handle: OpaquePointer?) {
    self.handle = handle
  }

  deinit {
    PQclear(handle)
  }

  /// The number of rows, from `PQntuples`.
  package var rowCount: Int { Int(PQntuples(handle)) }

  /// Returns the text of row `row`, column `column`, or nil for NULL (`PQgetvalue`).
  package func value(_ row: Int, _ column: Int) -> String? {
    guard PQgetisnull(handle, Int32(row), Int32(column)) == 0 else { return nil }
    return String(cString: PQgetvalue(handle, Int32(row), Int32(column)))
  }

  /// The row count of a command such as COPY, from `PQcmdTuples`.
  package var affectedRows: Int { Int(String(cString: PQcmdTuples(handle))) ?? 0 }

  /// Returns one diagnostic field of an error result (`PQresultErrorField`).
  func field(_ code: Int32) -> String? {
    guard let handle, let value = PQresultErrorField(handle, code) else { return nil }
    return String(cString: value).trimmingCharacters(in: .whitespacesAndNewlines)
  }
}

/// Codes of `PQresultErrorField`; libpq defines them as character-literal
/// macros (`PG_DIAG_SQLSTATE` is 'C'), which Swift does not import.
enum DiagnosticField {
  static let sqlState = Int32(UInt8(ascii: "C"))
  static let message = Int32(UInt8(ascii: "M"))
  static let hint = Int32(UInt8(ascii: "H"))
  static let context = Int32(UInt8(ascii: "W"))
}
