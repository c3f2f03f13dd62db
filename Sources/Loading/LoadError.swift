import StageKit

/// An error that stops load.
package enum LoadError: StageError {
  /// No connection could be made: server down, wrong host, authentication.
  case connectionFailed(message: String, temporary: Bool)
  /// The connection broke during the work; running load again is safe.
  case connectionLost(subject: String, message: String)
  /// The server rejected a statement or a row.
  case server(subject: String, sqlState: String, message: String, hint: String?)
  /// A chunk file could not be read.
  case chunk(SystemError)
  /// More rows of a chunk were rejected than `--max-rejects` allows.
  case tooManyRejects(chunk: String, limit: Int, last: RejectedRow)
  /// The server rejected every row of a chunk.
  case everyRowRejected(chunk: String, rows: Int, first: RejectedRow)
  /// A chunk's bytes differ from the SHA-256 in its manifest: it was
  /// damaged or changed after split wrote it.
  case chunkMismatch(path: String)
  /// Standard input ended without the end-of-data line `\.`, so the
  /// program writing it stopped before the end of its stream.
  case endOfDataMissing
  /// Standard input goes on after the end-of-data line `\.`.
  case dataAfterEndOfData

  package var exitStatus: ExitStatus {
    switch self {
    case .connectionFailed(_, let temporary): temporary ? .temporaryFailure : .unavailable
    case .connectionLost: .temporaryFailure
    case .server(_, let sqlState, _, _): Self.exitStatus(forSQLState: sqlState)
    case .chunk(let error): error.exitStatus
    case .chunkMismatch, .tooManyRejects, .everyRowRejected: .dataError
    case .endOfDataMissing, .dataAfterEndOfData: .dataError
    }
  }

  package var description: String {
    switch self {
    case .connectionFailed(let message, _):
      return "cannot connect to the database: \(message); check DATABASE_URL or PGHOST "
        + "(make db-start starts the embedded server)"
    case .connectionLost(let subject, let message):
      return "\(subject): lost the connection to the server: \(message); retry with make"
    case .server(let subject, let sqlState, let message, let hint):
      return "\(subject): \(message) (SQLSTATE \(sqlState))" + (hint.map { "; \($0)" } ?? "")
    case .chunk(let error):
      return error.description
    case .everyRowRejected(let chunk, let rows, let first):
      return "chunk \(chunk): all \(rows) rows rejected, the first for: \(first.message) "
        + "(SQLSTATE \(first.sqlState)); check --dataset and --table"
    case .tooManyRejects(let chunk, let limit, let last):
      var subject = "chunk \(chunk) line \(last.chunkLine ?? 0)"
      if let source = last.sourceLine { subject += " (source line \(source))" }
      let rows = limit == 1 ? "row" : "rows"
      return "\(subject): \(last.message) (SQLSTATE \(last.sqlState)); more than \(limit) "
        + "rejected \(rows) in the chunk, so none of it was loaded; fix the data or raise --max-rejects"
    case .chunkMismatch(let path):
      return "\(path): chunk does not match the SHA-256 in its manifest; not loaded; "
        + "run split again"
    case .endOfDataMissing:
      return "standard input ended without the end-of-data line \\. that split --stdout "
        + "writes last, so the program writing it stopped early; nothing was loaded"
    case .dataAfterEndOfData:
      return "standard input goes on after the end-of-data line \\. that ends a COPY "
        + "stream; nothing was loaded; pipe one split --stdout stream into load -"
    }
  }

  /// Maps a SQLSTATE to an exit status: data errors (classes 22 and 23)
  /// are bad input, connection and shutdown errors and transaction
  /// conflicts are temporary, access and missing objects mean the service
  /// cannot be used as configured.
  static func exitStatus(forSQLState sqlState: String) -> ExitStatus {
    switch sqlState.prefix(2) {
    case "22", "23": return .dataError
    case "08", "40", "53", "57": return .temporaryFailure
    case "28", "3D", "42": return .unavailable
    default: return .software
    }
  }
}
