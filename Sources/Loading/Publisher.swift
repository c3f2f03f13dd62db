import Datasets
import StageKit

/// Publishes a loaded staging table as the dataset's table.
///
/// In one transaction it builds the primary key on the staging table, then
/// renames the old table away, renames the staging table into its place
/// and drops the old one. The same transaction deletes the ledger rows of
/// the old table and moves those of the staging table to the table, so the
/// ledger lists the chunks of the table that is there. Readers of the table
/// see the old or the new version, never a mix, and wait only for the
/// renames, not for the key.
/// When rows share a key, all but one are deleted first and reported as
/// rejected, so that the key can be built. They go to the rejects file
/// before the commit, as the rows of chunk `publish` (see `RejectsFile`).
package struct Publisher {
  /// The outcome of a publish.
  package enum Outcome: Sendable, Equatable {
    /// The staging table is now the table, with `rows` rows and a primary
    /// key on the columns `key`.
    case published(rows: Int, key: [String], duplicates: [RejectedRow])
    /// The table exists but its staging table does not, and the ledger
    /// lists no chunk for the staging table, because an earlier run
    /// published it already.
    case nothingToPublish
  }

  /// The chunk name of the rows that publish rejects, in the rejects file.
  static let rejectsChunk = "publish"

  let connection: Connection
  let dataset: Dataset?
  let tableName: String
  let rejectsPath: String?

  /// Returns the name of the staging table that chunks load into before
  /// it is published as `table`: `TABLE__staging`.
  package static func stagingName(of table: String) -> String {
    TableSchema.stagingName(of: table)
  }

  /// The maximum length, in bytes, of a table name whose derived names (`TABLE__staging_pkey`,
  /// the longest) still fit PostgreSQL's 63-byte identifiers.
  package static let maximumTableNameLength = 63 - "__staging_pkey".utf8.count

  /// - Parameters:
  ///   - connection: An open connection.
  ///   - dataset: The dataset whose key the table gets, or nil for the
  ///     dataset that the ledger records for the staging table's chunks.
  ///   - tableName: The table to publish, unquoted.
  ///   - rejectsPath: The rejects file for rows with a duplicate key, or nil
  ///     to return them only in the outcome.
  package init(
    connection: Connection,
    dataset: Dataset?,
    tableName: String,
    rejectsPath: String?
  ) {
    self.connection = connection
    self.dataset = dataset
    self.tableName = tableName
    self.rejectsPath = rejectsPath
  }

  /// Builds the key on `TABLE__staging` and swaps it in as `TABLE`.
  ///
  /// An empty staging table is never published, so a source whose every
  /// row was rejected cannot empty a loaded table.
  ///
  /// - Returns: The published row count and the rows deleted as duplicate
  ///   keys, or `.nothingToPublish` when only the table exists and the
  ///   ledger lists no chunk for the staging table.
  /// - Throws: `LoadError.stagingTableLost` when the staging table is
  ///   missing but the ledger lists chunks for it, `LoadError.noStagingTable`
  ///   when neither table exists, `LoadError.emptyStagingTable` when the
  ///   staging table has no rows, and
  ///   `LoadError.unknownDataset` when no dataset was given and the ledger
  ///   cannot name one, and other `LoadError`s from the server. The old
  ///   table stays as it was.
  package func publish() throws -> Outcome {
    let staging = TableSchema.stagingName(of: tableName)
    guard try connection.tableExists(staging) else {
      // Publish moves the staging table's ledger rows, so rows left under
      // its name describe chunks whose staging table was dropped unpublished.
      let lostChunks = try Ledger.chunkCount(of: staging, connection: connection)
      guard lostChunks == 0 else {
        throw LoadError.stagingTableLost(table: tableName, staging: staging, chunks: lostChunks)
      }
      guard try connection.tableExists(tableName) else {
        throw LoadError.noStagingTable(table: tableName, staging: staging)
      }
      return .nothingToPublish
    }
    guard try hasRows(staging) else {
      throw LoadError.emptyStagingTable(table: tableName, staging: staging)
    }
    guard let dataset = try dataset ?? Ledger.dataset(of: staging, connection: connection) else {
      throw LoadError.unknownDataset(table: staging, ledgerNames: [])
    }

    let quotedStaging = try connection.quoteIdentifier(staging)
    let quotedTable = try connection.quoteIdentifier(tableName)
    let quotedOld = try connection.quoteIdentifier(tableName + "__old")
    let key = dataset.key.joined(separator: ", ")

    try connection.execute("BEGIN", subject: tableName)
    do {
      // Most loads have no duplicate keys, so the key is tried first and the
      // slower search for duplicates runs only when building it fails.
      let addKey =
        "ALTER TABLE \(quotedStaging) ADD CONSTRAINT "
        + "\(try connection.quoteIdentifier(staging + "_pkey")) PRIMARY KEY (\(key))"
      var duplicates: [RejectedRow] = []
      try connection.execute("SAVEPOINT stageload_key", subject: staging)
      do {
        try connection.execute(addKey, subject: staging)
      } catch LoadError.server(_, let sqlState, _, _) where sqlState == "23505" {
        try connection.execute("ROLLBACK TO SAVEPOINT stageload_key", subject: staging)
        duplicates = try deleteDuplicateKeys(
          in: quotedStaging,
          staging: staging,
          key: dataset.key
        )
        try connection.execute(addKey, subject: staging)
      }
      try connection.execute(
        """
        ALTER TABLE IF EXISTS \(quotedTable) RENAME TO \(quotedOld);
        ALTER INDEX IF EXISTS \(try connection.quoteIdentifier(tableName + "_pkey"))
          RENAME TO \(try connection.quoteIdentifier(tableName + "__old_pkey"));
        ALTER TABLE \(quotedStaging) RENAME TO \(quotedTable);
        ALTER INDEX \(try connection.quoteIdentifier(staging + "_pkey"))
          RENAME TO \(try connection.quoteIdentifier(tableName + "_pkey"));
        DROP TABLE IF EXISTS \(quotedOld);
        """,
        subject: tableName
      )
      // The ledger has each chunk's row count, so no scan of the table is
      // needed; the duplicates were deleted from those rows.
      let count = try connection.execute(
        "SELECT coalesce(sum(rows), 0) FROM stageload_ledger WHERE table_name = $1",
        parameters: [staging],
        subject: tableName
      )
      // The old table's rows, from an earlier publish or from direct loads,
      // would make a later direct load skip those chunks in the new table.
      try connection.execute(
        "DELETE FROM stageload_ledger WHERE table_name = $1",
        parameters: [tableName],
        subject: tableName
      )
      try connection.execute(
        "UPDATE stageload_ledger SET table_name = $1 WHERE table_name = $2",
        parameters: [tableName, staging],
        subject: tableName
      )
      if let rejectsPath {
        try RejectsFile.replace(chunk: Self.rejectsChunk, with: duplicates, in: rejectsPath)
      }
      try connection.execute("COMMIT", subject: tableName)
      let loaded = count.value(0, 0).flatMap { Int($0) } ?? 0
      return .published(rows: loaded - duplicates.count, key: dataset.key, duplicates: duplicates)
    } catch {
      if connection.isAlive { _ = try? connection.execute("ROLLBACK", subject: tableName) }
      throw error
    }
  }

  /// Returns whether the table `name` (unquoted) has at least one row.
  private func hasRows(_ name: String) throws -> Bool {
    let result = try connection.execute(
      "SELECT EXISTS (SELECT FROM \(try connection.quoteIdentifier(name)))",
      subject: name
    )
    return result.value(0, 0) == "t"
  }

  /// Deletes every row whose key another row also has, keeping one row per
  /// key, and returns the deleted rows as rejects.
  private func deleteDuplicateKeys(in quotedStaging: String, staging: String, key: [String])
    throws -> [RejectedRow]
  {
    let match = key.map { "a.\($0) = b.\($0)" }.joined(separator: " AND ")
    let keyText = key.map { "a.\($0)::text" }.joined(separator: ", ")
    let result = try connection.execute(
      """
      DELETE FROM \(quotedStaging) a USING \(quotedStaging) b
      WHERE \(match) AND a.ctid > b.ctid
      RETURNING concat_ws(', ', \(keyText))
      """,
      subject: staging
    )
    let columns = key.joined(separator: ", ")
    return (0..<result.rowCount).map { index in
      let value = result.value(index, 0) ?? ""
      return RejectedRow(
        chunk: Self.rejectsChunk,
        chunkLine: nil,
        sourceLine: nil,
        sqlState: "23505",
        message: "duplicate key (\(columns))=(\(value)); another row with this key was kept",
        row: value
      )
    }
  }
}
