import Foundation

/// The type of a column as these tests read it, declared apart from the
/// product's schema, so that a wrong schema makes them fail.
enum ColumnKind: Sendable {
  case text
  /// `smallint` or `integer`.
  case integer
  /// `boolean`, written `0` or `1`.
  case flag
  /// `numeric(3,1)`.
  case rating
  /// `text[]`, joined by `separator` in the TSV.
  case list(separator: UInt8)
  /// `jsonb`.
  case json
}

/// The table a dataset loads into: its name and its columns in TSV order.
struct TableShape: Sendable {
  var dataset: String
  var table: String
  var columns: [(name: String, kind: ColumnKind)]

  static let comma = ColumnKind.list(separator: UInt8(ascii: ","))
  static let akaList = ColumnKind.list(separator: 0x02)

  static let all = [
    TableShape(
      dataset: "name.basics",
      table: "name_basics",
      columns: [
        ("nconst", .text), ("primary_name", .text), ("birth_year", .integer),
        ("death_year", .integer), ("primary_professions", comma), ("known_for_titles", comma),
      ]
    ),
    TableShape(
      dataset: "title.basics",
      table: "title_basics",
      columns: [
        ("tconst", .text), ("title_type", .text), ("primary_title", .text),
        ("original_title", .text), ("is_adult", .flag), ("start_year", .integer),
        ("end_year", .integer), ("runtime_minutes", .integer), ("genres", comma),
      ]
    ),
    TableShape(
      dataset: "title.akas",
      table: "title_akas",
      columns: [
        ("title_id", .text), ("ordering", .integer), ("title", .text), ("region", .text),
        ("language", .text), ("types", akaList), ("attributes", akaList),
        ("is_original_title", .flag),
      ]
    ),
    TableShape(
      dataset: "title.crew",
      table: "title_crew",
      columns: [("tconst", .text), ("directors", comma), ("writers", comma)]
    ),
    TableShape(
      dataset: "title.episode",
      table: "title_episode",
      columns: [
        ("tconst", .text), ("parent_tconst", .text), ("season_number", .integer),
        ("episode_number", .integer),
      ]
    ),
    TableShape(
      dataset: "title.principals",
      table: "title_principals",
      columns: [
        ("tconst", .text), ("ordering", .integer), ("nconst", .text), ("category", .text),
        ("job", .text), ("characters", .json),
      ]
    ),
    TableShape(
      dataset: "title.ratings",
      table: "title_ratings",
      columns: [("tconst", .text), ("average_rating", .rating), ("num_votes", .integer)]
    ),
  ]

  static func named(_ dataset: String) -> TableShape {
    guard let shape = all.first(where: { $0.dataset == dataset }) else {
      preconditionFailure("no table shape for \(dataset)")
    }
    return shape
  }

  /// A query that returns every row as one TSV line in a canonical form:
  /// NULL as `\N`, booleans as 0 or 1, arrays joined by their separator
  /// and jsonb as PostgreSQL prints it.
  var exportQuery: String {
    let fields = columns.map { column in
      let value =
        switch column.kind {
        case .text: column.name
        case .integer, .rating, .json: "\(column.name)::text"
        case .flag: "\(column.name)::int::text"
        case .list(let separator): "array_to_string(\(column.name), chr(\(separator)))"
        }
      return "coalesce(\(value), '\\N')"
    }
    return "SELECT concat_ws(E'\\t', \(fields.joined(separator: ", "))) FROM \(table)"
  }

  /// Converts one source row into the line `exportQuery` returns for it.
  ///
  /// - Returns: nil when a value has no canonical form, which means that
  ///   the row should not have been loaded.
  func exportedLine(of row: String) -> String? {
    let fields = row.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
    guard fields.count == columns.count else { return nil }
    var converted: [String] = []
    for (field, column) in zip(fields, columns) {
      guard field != "\\N" else {
        converted.append(field)
        continue
      }
      switch column.kind {
      case .text, .flag, .list:
        converted.append(field)
      case .integer:
        guard let value = Int(field) else { return nil }
        converted.append(String(value))
      case .rating:
        // numeric(3,1) always prints one decimal.
        converted.append(field.contains(".") ? field : field + ".0")
      case .json:
        guard let json = Self.jsonbText(of: field) else { return nil }
        converted.append(json)
      }
    }
    return converted.joined(separator: "\t")
  }

  /// Formats a JSON array of strings the way PostgreSQL outputs jsonb
  /// (checked with 15.18): `", "` between elements, and only `"`, `\` and
  /// control characters escaped.
  static func jsonbText(of json: String) -> String? {
    guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)),
      let strings = object as? [String]
    else { return nil }
    return "[" + strings.map(jsonString).joined(separator: ", ") + "]"
  }

  private static func jsonString(_ string: String) -> String {
    var output = "\""
    for scalar in string.unicodeScalars {
      switch scalar {
      case "\"": output += "\\\""
      case "\\": output += "\\\\"
      case "\u{8}": output += "\\b"
      case "\u{c}": output += "\\f"
      case "\n": output += "\\n"
      case "\r": output += "\\r"
      case "\t": output += "\\t"
      case _ where scalar.value < 0x20: output += String(format: "\\u%04x", scalar.value)
      default: output.unicodeScalars.append(scalar)
      }
    }
    return output + "\""
  }
}

/// Splits a TSV file into its data lines, without a byte order mark, CR or
/// LF, and numbers them as split does, the header being line 1.
///
/// - Returns: Each data line's number and bytes, without the header.
func dataLines(of bytes: [UInt8]) -> [(number: Int, bytes: ArraySlice<UInt8>)] {
  let text = bytes.starts(with: [0xef, 0xbb, 0xbf]) ? bytes.dropFirst(3) : bytes[...]
  var lines = text.split(separator: 0x0a, omittingEmptySubsequences: false)
  if lines.last?.isEmpty == true { lines.removeLast() }
  return lines.enumerated().dropFirst().map { index, line in
    (index + 1, line.last == 0x0d ? line.dropLast() : line)
  }
}
