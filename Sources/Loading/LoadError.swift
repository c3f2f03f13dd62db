import Foundation
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
  /// The staging table to publish has no rows, so `table` is left as it is.
  case emptyStagingTable(table: String, staging: String)
  /// Neither the table nor its staging table exists, so there is nothing
  /// to publish.
  case noStagingTable(table: String, staging: String)
  /// The staging table is missing, but the ledger lists `chunks` chunks
  /// loaded into it, so it was dropped or lost before it was published.
  case stagingTableLost(table: String, staging: String, chunks: Int)
  /// No --dataset was given, and the ledger cannot name the dataset of
  /// `table`, because it lists no chunk of it, chunks of several datasets
  /// (`ledgerNames`) or a dataset that load does not know.
  case unknownDataset(table: String, ledgerNames: [String])
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
    case .chunkMismatch, .tooManyRejects, .everyRowRejected, .emptyStagingTable: .dataError
    case .noStagingTable, .stagingTableLost: .noInput
    case .unknownDataset(_, let ledgerNames): ledgerNames.isEmpty ? .usage : .dataError
    case .endOfDataMissing, .dataAfterEndOfData: .dataError
    }
  }

  package var description: String {
    switch self {
    case .connectionFailed(let message, _):
      let hint = Self.connectionHint(environment: ProcessInfo.processInfo.environment)
      return "cannot connect to the database: \(message); \(hint)"
    case .connectionLost(let subject, let message):
      return "\(subject): lost the connection to the server: \(message); retry with make"
    case .server(let subject, let sqlState, let message, let hint):
      var line = "\(subject): \(message) (SQLSTATE \(sqlState))"
      if let hint { line += "; \(hint)" }
      if let advice = Self.advice(forSQLState: sqlState) { line += "; \(advice)" }
      return line
    case .chunk(let error):
      return error.description
    case .everyRowRejected(let chunk, let rows, let first):
      let rejected = rows == 1 ? "its only row rejected" : "all \(rows) rows rejected, the first"
      return "chunk \(chunk): \(rejected) for: \(first.message) "
        + "(SQLSTATE \(first.sqlState)); check --dataset and --table"
    case .tooManyRejects(let chunk, let limit, let last):
      var subject = "chunk \(chunk) line \(last.chunkLine ?? 0)"
      if let source = last.sourceLine { subject += " (source line \(source))" }
      let rows = Measure.count(limit, "rejected row")
      return "\(subject): \(last.message) (SQLSTATE \(last.sqlState)); more than \(rows) "
        + "in the chunk, so none of it was loaded; fix the data or raise --max-rejects"
    case .chunkMismatch(let path):
      return "\(path): chunk does not match the SHA-256 in its manifest; not loaded; "
        + "run split again"
    case .emptyStagingTable(let table, let staging):
      return "\(table): not published, because \(staging) has no rows (every source row "
        + "was rejected, or the source had none); \(table) was left as it was"
    case .noStagingTable(let table, let staging):
      return "\(table): nothing to publish, because neither \(table) nor \(staging) "
        + "exists; load chunks with --staging first"
    case .stagingTableLost(let table, let staging, let chunks):
      let (lost, them) = chunks == 1 ? ("that chunk was", "it") : ("those chunks were", "them")
      return "\(table): \(staging) is missing, but \(TableSchema.ledgerName) lists "
        + "\(Measure.count(chunks, "chunk")) loaded into it, so \(staging) was dropped or lost "
        + "and \(lost) never published; \(table) was left as it was; "
        + "run make to load \(them) again"
    case .unknownDataset(let table, let ledgerNames):
      if ledgerNames.isEmpty {
        return "\(table): the dataset is unknown, because \(TableSchema.ledgerName) lists "
          + "no chunk loaded into it; pass --dataset"
      }
      if ledgerNames.count == 1 {
        return "\(table): \(TableSchema.ledgerName) lists chunks of dataset "
          + "'\(ledgerNames[0])', which load does not know; pass --dataset"
      }
      return "\(table): \(TableSchema.ledgerName) lists chunks of several datasets "
        + "(\(ledgerNames.joined(separator: ", "))); pass --dataset"
    case .endOfDataMissing:
      return "standard input ended without the end-of-data line \\. that split --stdout "
        + "writes last, so the program writing it stopped early; nothing was loaded"
    case .dataAfterEndOfData:
      return "standard input goes on after the end-of-data line \\. that ends a COPY "
        + "stream; nothing was loaded; pipe one split --stdout stream into load -"
    }
  }

  /// Returns what to check after a failed connection, from the variables
  /// that chose the server.
  ///
  /// make sets `STAGELOAD_EMBEDDED_DB=1` for the tools when it uses its
  /// embedded server, so only then does the hint name `make db-start`.
  static func connectionHint(environment: [String: String]) -> String {
    if let url = environment["DATABASE_URL"], !url.isEmpty {
      return "check DATABASE_URL"
    }
    if environment["STAGELOAD_EMBEDDED_DB"] == "1" {
      return "is the embedded server running? make db-start starts it"
    }
    return "check DATABASE_URL or PGHOST"
  }

  /// Maps a SQLSTATE to an exit status.
  ///
  /// Data errors (classes 22 and 23) are bad input. Connection and shutdown
  /// errors and transaction conflicts are temporary. Failed authentication,
  /// a missing database and a missing privilege (42501) mean that the
  /// service cannot be used as configured. Every other error is a server
  /// error, including the rest of class 42, such as a missing column.
  static func exitStatus(forSQLState sqlState: String) -> ExitStatus {
    if sqlState == insufficientPrivilege { return .unavailable }
    switch sqlState.prefix(2) {
    case "22", "23": return .dataError
    case "08", "40", "53", "57": return .temporaryFailure
    case "28", "3D": return .unavailable
    default: return .software
    }
  }

  /// The SQLSTATE of insufficient_privilege, the one access error of class 42.
  static let insufficientPrivilege = "42501"

  /// Returns what the user should check when the target table is missing
  /// or lacks the dataset's columns, or nil for other SQLSTATEs.
  static func advice(forSQLState sqlState: String) -> String? {
    switch sqlState {
    // undefined_table
    case "42P01":
      return "check --table, or pass --create to create the table"
    // undefined_column, datatype_mismatch, cannot_coerce
    case "42703", "42804", "42846":
      return "the table does not have the dataset's columns; check --dataset and --table"
    default:
      return nil
    }
  }
}
