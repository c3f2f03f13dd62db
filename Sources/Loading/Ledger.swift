import Datasets

/// Lookups in the ledger table, `stageload_ledger`.
package enum Ledger {
  /// Returns the dataset of the chunks that the ledger lists for `table`.
  ///
  /// - Parameters:
  ///   - table: The table the chunks were loaded into, unquoted, such as
  ///     `name_basics__staging`.
  ///   - connection: An open connection.
  /// - Returns: The dataset, or nil when the ledger does not exist or lists
  ///   no chunk for `table`.
  /// - Throws: `LoadError.unknownDataset` when the chunks name several
  ///   datasets or one that load does not know, and other `LoadError`s
  ///   from the server.
  package static func dataset(of table: String, connection: Connection) throws -> Dataset? {
    let exists = try connection.execute(
      "SELECT to_regclass($1) IS NOT NULL",
      parameters: [TableSchema.ledgerName],
      subject: TableSchema.ledgerName
    )
    guard exists.value(0, 0) == "t" else { return nil }

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
}
