import Foundation
import Testing

/// One hand-made file in Tests/Fixtures/datasets, written by generate.py
/// there, and what loading it must give.
struct DatasetFixture: CustomTestStringConvertible, Sendable {
  /// A row split must reject: its source line, its column (nil for the
  /// whole row) and the start of the reason.
  struct Reject: Sendable {
    var line: Int
    var column: String?
    var reason: String
  }

  /// A query returning one value, and the value expected, as psql -A
  /// prints it: `t` or `f` for booleans, an empty string for NULL.
  struct Check: Sendable {
    var sql: String
    var expected: String
  }

  /// A factory of checks on one table, each on the row whose `key` column
  /// has a given value.
  ///
  /// The value goes into the query as a quoted literal, which PostgreSQL
  /// converts to the key's type, so integer keys work too.
  struct RowChecks: Sendable {
    var table: String
    var key: String

    /// Makes a check that `expression`, evaluated on the row `id`, is
    /// `expected`.
    func value(_ expression: String, of id: String, is expected: String) -> Check {
      Check(sql: "SELECT \(expression) FROM \(table) WHERE \(key) = '\(id)'", expected: expected)
    }

    /// Makes a check that exactly one row `id` has NULL in each of `columns`.
    func nulls(_ columns: [String], of id: String) -> Check {
      let conditions = columns.map { " AND \($0) IS NULL" }.joined()
      return Check(
        sql: "SELECT count(*) FROM \(table) WHERE \(key) = '\(id)'\(conditions)",
        expected: "1"
      )
    }
  }

  var dataset: String
  var goodRows: Int
  var rejects: [Reject]
  var checks: [Check]

  var path: String { Harness.fixtures + "/datasets/\(dataset).tsv" }
  var shape: TableShape { TableShape.named(dataset) }
  var testDescription: String { dataset }

  static func reject(_ line: Int, _ column: String?, _ reason: String) -> Reject {
    Reject(line: line, column: column, reason: reason)
  }

  static func check(_ sql: String, _ expected: String) -> Check {
    Check(sql: sql, expected: expected)
  }
}

extension DatasetFixture {
  static let all = [
    nameBasics, titleBasics, titleAkas, titleCrew, titleEpisode, titlePrincipals, titleRatings,
  ]

  private static let names = RowChecks(table: "name_basics", key: "nconst")

  /// Starts with a UTF-8 byte order mark.
  static let nameBasics = DatasetFixture(
    dataset: "name.basics",
    goodRows: 6,
    rejects: [
      reject(7, nil, "expected 6 fields, found 5"),
      reject(8, "birth_year", "invalid year '10000'"),
      reject(9, "primary_name", "invalid UTF-8"),
      reject(10, "primary_name", "NUL byte in value"),
      reject(11, nil, "blank line"),
    ],
    checks: [
      names.nulls(
        ["primary_name", "birth_year", "death_year", "primary_professions", "known_for_titles"],
        of: "nm0000002"
      ),
      names.value("primary_name", of: "nm0000003", is: "Zoë Ångström 李小龍 Дмитрий"),
      names.value("birth_year || ' ' || death_year", of: "nm0000003", is: "1 9999"),
      names.value("known_for_titles", of: "nm0000003", is: "{}"),
      names.value("primary_name", of: "nm0000004", is: "Back\\slash \\N Name"),
      names.value("length(primary_name)", of: "nm0000004", is: "18"),
      names.value("primary_professions", of: "nm0000004", is: "{}"),
      names.value("primary_name", of: "nm0000005", is: "\"Quoted\" O'Neil"),
      names.value(
        "primary_professions",
        of: "nm0000005",
        is: "{\"sound track\",\"\\\"quoted\\\"\",\"back\\\\slash\",\"null\"}"
      ),
      names.value("primary_professions[3]", of: "nm0000005", is: "back\\slash"),
      names.value("primary_professions[4] IS NOT NULL", of: "nm0000005", is: "t"),
      names.value("primary_name", of: "nm0000010", is: "Ends Well"),
    ]
  )

  private static let titles = RowChecks(table: "title_basics", key: "tconst")

  /// CRLF line ends.
  static let titleBasics = DatasetFixture(
    dataset: "title.basics",
    goodRows: 6,
    rejects: [
      reject(7, "is_adult", "invalid boolean '2'"),
      reject(8, "start_year", "invalid year '0'"),
      reject(9, "runtime_minutes", "invalid integer '-5'"),
      reject(10, nil, "expected 9 fields, found 10"),
      reject(11, nil, "blank line"),
    ],
    checks: [
      titles.value("genres", of: "tt0000001", is: "{Documentary,Short}"),
      titles.value("primary_title", of: "tt0000002", is: "\"Weird Al\" Yankovic Live"),
      titles.value("primary_title", of: "tt0000003", is: "The 12\" Single"),
      titles.value("original_title", of: "tt0000003", is: "The 12\" Single"),
      titles.nulls(
        [
          "title_type", "primary_title", "original_title", "is_adult", "start_year", "end_year",
          "runtime_minutes", "genres",
        ],
        of: "tt0000004"
      ),
      titles.value("primary_title", of: "tt0000005", is: "C:\\Films\\Noir"),
      titles.value("length(primary_title)", of: "tt0000005", is: "13"),
      titles.value("is_adult", of: "tt0000005", is: "t"),
      titles.value("runtime_minutes", of: "tt0000005", is: "0"),
      titles.value("genres", of: "tt0000005", is: "{}"),
      titles.value("genres", of: "tt0000010", is: "{Drama,Thriller}"),
    ]
  )

  private static let akas = RowChecks(table: "title_akas", key: "ordering")

  static let titleAkas = DatasetFixture(
    dataset: "title.akas",
    goodRows: 7,
    rejects: [
      reject(8, "ordering", "value is required but is \\N"),
      reject(9, "is_original_title", "invalid boolean 'yes'"),
      reject(10, nil, "expected 8 fields, found 7"),
      reject(11, "title", "invalid UTF-8"),
    ],
    checks: [
      akas.value("is_original_title", of: "1", is: "t"),
      akas.value("title", of: "2", is: "Карменсита"),
      akas.value("types", of: "3", is: "{dvd,imdbDisplay}"),
      akas.value("cardinality(attributes)", of: "3", is: "4"),
      akas.value("attributes[1]", of: "3", is: "literal title, alternate"),
      akas.value("attributes[2]", of: "3", is: "new \"quoted\" title"),
      akas.value("attributes[3]", of: "3", is: "back\\slash"),
      akas.value("attributes[4]", of: "3", is: "{braced}"),
      akas.nulls(
        ["title", "region", "language", "types", "attributes", "is_original_title"],
        of: "4"
      ),
      akas.value("types || attributes", of: "5", is: "{}"),
      akas.value("title", of: "6", is: "Text \\N Inside"),
      akas.value("attributes[1] = 'NULL'", of: "6", is: "t"),
      akas.value("title", of: "11", is: "Last One"),
    ]
  )

  private static let crews = RowChecks(table: "title_crew", key: "tconst")

  static let titleCrew = DatasetFixture(
    dataset: "title.crew",
    goodRows: 5,
    rejects: [
      reject(6, "writers", "NUL byte in value"),
      reject(7, nil, "blank line"),
      reject(8, nil, "expected 3 fields, found 4"),
    ],
    checks: [
      crews.value("writers IS NULL", of: "tt0000001", is: "t"),
      crews.value("directors", of: "tt0000002", is: "{nm0721526,nm0000002}"),
      crews.nulls(["directors", "writers"], of: "tt0000003"),
      crews.value("directors || writers", of: "tt0000004", is: "{}"),
      crews.value("writers", of: "tt0000008", is: "{nm0000004,nm0000005}"),
    ]
  )

  private static let episodes = RowChecks(table: "title_episode", key: "tconst")

  static let titleEpisode = DatasetFixture(
    dataset: "title.episode",
    goodRows: 4,
    rejects: [
      reject(5, "season_number", "invalid integer '1.5'"),
      reject(6, "episode_number", "invalid integer '2147483648'"),
      reject(7, nil, "expected 4 fields, found 3"),
    ],
    checks: [
      episodes.value("parent_tconst", of: "tt0041951", is: "tt0041038"),
      episodes.nulls(["parent_tconst", "season_number", "episode_number"], of: "tt0042816"),
      episodes.value("season_number || ' ' || episode_number", of: "tt0043426", is: "0 2147483647"),
      episodes.value("episode_number", of: "tt0043430", is: "24"),
    ]
  )

  private static let principals = RowChecks(table: "title_principals", key: "tconst")

  static let titlePrincipals = DatasetFixture(
    dataset: "title.principals",
    goodRows: 7,
    rejects: [
      reject(8, "characters", "invalid JSON '[\"Self\"'"),
      reject(9, "characters", "invalid JSON '[Self]'"),
      reject(10, "job", "invalid UTF-8"),
      reject(11, nil, "blank line"),
    ],
    checks: [
      principals.value("characters = '[\"Self\"]'::jsonb", of: "tt0000001", is: "t"),
      principals.nulls(["nconst", "category", "job", "characters"], of: "tt0000002"),
      principals.value("job", of: "tt0000003", is: "director of photography"),
      principals.value("characters ->> 0", of: "tt0000004", is: "Woman (segment \"Making Love\")"),
      principals.value("jsonb_array_length(characters)", of: "tt0000004", is: "2"),
      principals.value("characters ->> 0", of: "tt0000005", is: "Back\\slash"),
      principals.value("characters ->> 1", of: "tt0000005", is: "Zoë"),
      principals.value("characters ->> 2", of: "tt0000005", is: "🎬 Ångström"),
      principals.value("job = ''", of: "tt0000006", is: "t"),
      principals.value("characters", of: "tt0000006", is: "[]"),
      principals.value("category", of: "tt0000011", is: "composer"),
    ]
  )

  private static let ratings = RowChecks(table: "title_ratings", key: "tconst")

  /// No newline after the last row.
  static let titleRatings = DatasetFixture(
    dataset: "title.ratings",
    goodRows: 6,
    rejects: [
      reject(7, "average_rating", "invalid rating 'good'"),
      reject(8, "average_rating", "invalid rating '10.1'"),
      reject(9, "num_votes", "invalid integer '1,234'"),
      reject(10, nil, "expected 3 fields, found 2"),
    ],
    checks: [
      ratings.value("average_rating", of: "tt0000001", is: "5.7"),
      ratings.value("average_rating", of: "tt0000002", is: "10.0"),
      ratings.value("average_rating || ' ' || num_votes", of: "tt0000003", is: "0.0 0"),
      ratings.value("average_rating", of: "tt0000004", is: "7.0"),
      ratings.nulls(["average_rating", "num_votes"], of: "tt0000005"),
      ratings.value("num_votes", of: "tt0000010", is: "303"),
    ]
  )
}
