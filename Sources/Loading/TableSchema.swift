import Datasets

/// The SQL for a dataset's table and for the load ledger.
enum TableSchema {
  /// The ledger table, with one row per chunk committed into a table.
  ///
  /// It is written in the chunk's own transaction, so a chunk is in the
  /// ledger exactly when its rows are in the table. Publish moves the rows
  /// of `TABLE__staging` to `TABLE` and deletes those of the table it
  /// replaces, in the transaction that swaps the tables.
  static let ledgerName = "stageload_ledger"

  static let createLedger = """
    CREATE TABLE IF NOT EXISTS stageload_ledger (
      table_name text NOT NULL,
      chunk text NOT NULL,
      sha256 text NOT NULL,
      dataset text NOT NULL,
      rows bigint NOT NULL,
      rejected bigint NOT NULL DEFAULT 0,
      loaded_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (table_name, chunk, sha256)
    )
    """

  /// Returns `CREATE TABLE IF NOT EXISTS` for `dataset` as `quotedTable`.
  ///
  /// `quotedTable` must already be quoted. Key columns are NOT NULL; the
  /// primary key itself is left to be built after the load.
  static func createTable(_ dataset: Dataset, quotedTable: String) -> String {
    let columns = dataset.columns.map { column in
      "  \(column.name) \(column.type.sqlType)\(column.isRequired ? " NOT NULL" : "")"
    }
    return "CREATE TABLE IF NOT EXISTS \(quotedTable) (\n"
      + columns.joined(separator: ",\n") + "\n)"
  }

  /// Returns the name of the staging table that chunks load into before
  /// it is published as `table`.
  static func stagingName(of table: String) -> String {
    table + "__staging"
  }

  /// Returns `COPY ... FROM STDIN` naming every column, so a table whose
  /// columns are in another order still loads correctly.
  static func copyStatement(_ dataset: Dataset, quotedTable: String) -> String {
    let names = dataset.columns.map(\.name).joined(separator: ", ")
    return "COPY \(quotedTable) (\(names)) FROM STDIN"
  }
}
