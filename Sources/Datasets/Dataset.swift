/// One column of a dataset: its header name in the TSV file, its name in
/// the table and its type.
package struct Column: Sendable, Equatable {
  /// The name in the TSV header, such as `primaryName`.
  package var sourceName: String
  /// The snake_case column name in PostgreSQL, such as `primary_name`.
  package var name: String
  package var type: ColumnType
  /// Whether `\N` is rejected; only the key columns are NOT NULL.
  package var isRequired: Bool

  package init(_ sourceName: String, _ name: String, _ type: ColumnType, required: Bool = false) {
    self.sourceName = sourceName
    self.name = name
    self.type = type
    self.isRequired = required
  }
}

/// An IMDb dataset: the shape of its TSV file and of the table it loads into.
package struct Dataset: Sendable {
  /// The dataset's name, as in its file name: `name.basics`.
  package var name: String
  package var columns: [Column]
  /// The columns of the primary key, built after the load.
  ///
  /// split rejects a row whose value in one of them is empty or `\N`.
  package var key: [String]

  /// The default table name: the dataset name with `.` replaced by `_`.
  package var defaultTableName: String {
    name.replacingOccurrences(of: ".", with: "_")
  }

  /// The header line the TSV file must start with, tab-separated.
  package var header: String {
    columns.map(\.sourceName).joined(separator: "\t")
  }

  /// Returns the dataset called `name`, or nil for an unknown name.
  package static func named(_ name: String) -> Dataset? {
    all.first { $0.name == name }
  }
}

extension String {
  fileprivate func replacingOccurrences(of target: Character, with replacement: Character)
    -> String
  {
    String(map { $0 == target ? replacement : $0 })
  }
}
