import Datasets

/// Lookups in the ledger table, `stageload_ledger`.
///
/// Chunks loaded with `--staging` are listed under `TABLE__staging` until
/// a publish moves their rows to `TABLE`, in the transaction that renames
/// the staging table. So rows under a staging name whose table is missing
/// mean that the staging table was dropped or lost before it was published.
package enum Ledger {
  /// Returns the dataset of the chunks that the ledger lists for `table`.
  ///
  /// - Parameters:
  ///   - table: The table whose chunks to look up, unquoted, such as
  ///     `name_basics__staging`, or `name_basics` once it is published.
  ///   - connection: An open connection.
  /// - Returns: The dataset, or nil when the ledger does not exist or lists
  ///   no chunk for `table`.
  /// - Throws: `LoadError.unknownDataset` when the chunks name several
  ///   datasets or one that load does not know, and other `LoadError`s
  ///   from the server.
  package static func dataset(of table: String, connection: Connection) throws -> Dataset? {
    guard try connection.tableExists(TableSchema.ledgerName) else { return nil }

    let result = try connection.execute(
      "SELECT DISTINCT dataset FROM stageload_ledger WHERE table_name = $1 ORDER BY dataset",
      parameters: [table],
      subject: table
    )
    let names = (0..<result.rowCount).compactMap { result.value($0, 0) }
    guard !names.isEmpty else { return nil }
    guard names.count == 1, let dataset = Dataset.named(names[0]) else {
      throw LoadError.unknownDataset(table: table, ledgerNames: names)
    }
    return dataset
  }

  /// Returns the number of chunks that the ledger lists for `table`.
  ///
  /// - Parameters:
  ///   - table: The table, unquoted.
  ///   - connection: An open connection.
  /// - Returns: The chunk count, 0 when the ledger does not exist.
  /// - Throws: `LoadError` from the server.
  package static func chunkCount(of table: String, connection: Connection) throws -> Int {
    guard try connection.tableExists(TableSchema.ledgerName) else { return 0 }

    let result = try connection.execute(
      "SELECT count(*) FROM stageload_ledger WHERE table_name = $1",
      parameters: [table],
      subject: table
    )
    return result.value(0, 0).flatMap { Int($0) } ?? 0
  }
}
