/// The PostgreSQL type of a column and the rule split applies to its values.
package enum ColumnType: Sendable, Equatable {
  /// Free text; any valid UTF-8 without NUL.
  case text
  /// A year as `smallint`, from 1 to 9999 (IMDb's own range is narrower).
  case year
  /// A non-negative `integer` such as a runtime, an ordering or a vote count.
  case count
  /// `boolean`, written `0` or `1` in the source.
  case flag
  /// `numeric(3,1)`: a rating from 0.0 to 10.0 with at most one decimal.
  case rating
  /// `text[]`: a list joined by `separator` in the source. An empty field is
  /// an empty array, and a list with an empty element is invalid.
  case textArray(separator: UInt8)
  /// `jsonb` holding a JSON array of strings.
  case jsonArray

  /// The column type in SQL.
  package var sqlType: String {
    switch self {
    case .text: "text"
    case .year: "smallint"
    case .count: "integer"
    case .flag: "boolean"
    case .rating: "numeric(3,1)"
    case .textArray: "text[]"
    case .jsonArray: "jsonb"
    }
  }
}
