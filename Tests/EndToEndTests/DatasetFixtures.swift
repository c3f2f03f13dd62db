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
      check(
        """
        SELECT count(*) FROM name_basics WHERE nconst = 'nm0000002' AND primary_name IS NULL
          AND birth_year IS NULL AND death_year IS NULL AND primary_professions IS NULL
          AND known_for_titles IS NULL
        """,
        "1"
      ),
      check(
        "SELECT primary_name FROM name_basics WHERE nconst = 'nm0000003'",
        "Zoë Ångström 李小龍 Дмитрий"
      ),
      check(
        "SELECT birth_year || ' ' || death_year FROM name_basics WHERE nconst = 'nm0000003'",
        "1 9999"
      ),
      check("SELECT known_for_titles FROM name_basics WHERE nconst = 'nm0000003'", "{}"),
      check(
        "SELECT primary_name FROM name_basics WHERE nconst = 'nm0000004'",
        "Back\\slash \\N Name"
      ),
      check("SELECT length(primary_name) FROM name_basics WHERE nconst = 'nm0000004'", "18"),
      check("SELECT primary_professions FROM name_basics WHERE nconst = 'nm0000004'", "{}"),
      check("SELECT primary_name FROM name_basics WHERE nconst = 'nm0000005'", "\"Quoted\" O'Neil"),
      check(
        "SELECT primary_professions FROM name_basics WHERE nconst = 'nm0000005'",
        "{\"sound track\",\"\\\"quoted\\\"\",\"back\\\\slash\",\"null\"}"
      ),
      check(
        "SELECT primary_professions[3] FROM name_basics WHERE nconst = 'nm0000005'",
        "back\\slash"
      ),
      check(
        "SELECT primary_professions[4] IS NOT NULL FROM name_basics WHERE nconst = 'nm0000005'",
        "t"
      ),
      check("SELECT primary_name FROM name_basics WHERE nconst = 'nm0000010'", "Ends Well"),
    ]
  )

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
      check("SELECT genres FROM title_basics WHERE tconst = 'tt0000001'", "{Documentary,Short}"),
      check(
        "SELECT primary_title FROM title_basics WHERE tconst = 'tt0000002'",
        "\"Weird Al\" Yankovic Live"
      ),
      check("SELECT primary_title FROM title_basics WHERE tconst = 'tt0000003'", "The 12\" Single"),
      check(
        "SELECT original_title FROM title_basics WHERE tconst = 'tt0000003'",
        "The 12\" Single"
      ),
      check(
        """
        SELECT count(*) FROM title_basics WHERE tconst = 'tt0000004' AND title_type IS NULL
          AND primary_title IS NULL AND original_title IS NULL AND is_adult IS NULL
          AND start_year IS NULL AND end_year IS NULL AND runtime_minutes IS NULL
          AND genres IS NULL
        """,
        "1"
      ),
      check("SELECT primary_title FROM title_basics WHERE tconst = 'tt0000005'", "C:\\Films\\Noir"),
      check("SELECT length(primary_title) FROM title_basics WHERE tconst = 'tt0000005'", "13"),
      check("SELECT is_adult FROM title_basics WHERE tconst = 'tt0000005'", "t"),
      check("SELECT runtime_minutes FROM title_basics WHERE tconst = 'tt0000005'", "0"),
      check("SELECT genres FROM title_basics WHERE tconst = 'tt0000005'", "{}"),
      check("SELECT genres FROM title_basics WHERE tconst = 'tt0000010'", "{Drama,Thriller}"),
    ]
  )

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
      check("SELECT is_original_title FROM title_akas WHERE ordering = 1", "t"),
      check("SELECT title FROM title_akas WHERE ordering = 2", "Карменсита"),
      check("SELECT types FROM title_akas WHERE ordering = 3", "{dvd,imdbDisplay}"),
      check("SELECT cardinality(attributes) FROM title_akas WHERE ordering = 3", "4"),
      check("SELECT attributes[1] FROM title_akas WHERE ordering = 3", "literal title, alternate"),
      check("SELECT attributes[2] FROM title_akas WHERE ordering = 3", "new \"quoted\" title"),
      check("SELECT attributes[3] FROM title_akas WHERE ordering = 3", "back\\slash"),
      check("SELECT attributes[4] FROM title_akas WHERE ordering = 3", "{braced}"),
      check(
        """
        SELECT count(*) FROM title_akas WHERE ordering = 4 AND title IS NULL AND region IS NULL
          AND language IS NULL AND types IS NULL AND attributes IS NULL
          AND is_original_title IS NULL
        """,
        "1"
      ),
      check("SELECT types || attributes FROM title_akas WHERE ordering = 5", "{}"),
      check("SELECT title FROM title_akas WHERE ordering = 6", "Text \\N Inside"),
      check("SELECT attributes[1] = 'NULL' FROM title_akas WHERE ordering = 6", "t"),
      check("SELECT title FROM title_akas WHERE ordering = 11", "Last One"),
    ]
  )

  static let titleCrew = DatasetFixture(
    dataset: "title.crew",
    goodRows: 5,
    rejects: [
      reject(6, "writers", "NUL byte in value"),
      reject(7, nil, "blank line"),
      reject(8, nil, "expected 3 fields, found 4"),
    ],
    checks: [
      check("SELECT writers IS NULL FROM title_crew WHERE tconst = 'tt0000001'", "t"),
      check(
        "SELECT directors FROM title_crew WHERE tconst = 'tt0000002'",
        "{nm0721526,nm0000002}"
      ),
      check(
        """
        SELECT count(*) FROM title_crew WHERE tconst = 'tt0000003' AND directors IS NULL
          AND writers IS NULL
        """,
        "1"
      ),
      check("SELECT directors || writers FROM title_crew WHERE tconst = 'tt0000004'", "{}"),
      check("SELECT writers FROM title_crew WHERE tconst = 'tt0000008'", "{nm0000004,nm0000005}"),
    ]
  )

  static let titleEpisode = DatasetFixture(
    dataset: "title.episode",
    goodRows: 4,
    rejects: [
      reject(5, "season_number", "invalid integer '1.5'"),
      reject(6, "episode_number", "invalid integer '2147483648'"),
      reject(7, nil, "expected 4 fields, found 3"),
    ],
    checks: [
      check("SELECT parent_tconst FROM title_episode WHERE tconst = 'tt0041951'", "tt0041038"),
      check(
        """
        SELECT count(*) FROM title_episode WHERE tconst = 'tt0042816'
          AND parent_tconst IS NULL AND season_number IS NULL AND episode_number IS NULL
        """,
        "1"
      ),
      check(
        "SELECT season_number || ' ' || episode_number FROM title_episode WHERE tconst = 'tt0043426'",
        "0 2147483647"
      ),
      check("SELECT episode_number FROM title_episode WHERE tconst = 'tt0043430'", "24"),
    ]
  )

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
      check(
        "SELECT characters = '[\"Self\"]'::jsonb FROM title_principals WHERE tconst = 'tt0000001'",
        "t"
      ),
      check(
        """
        SELECT count(*) FROM title_principals WHERE tconst = 'tt0000002' AND nconst IS NULL
          AND category IS NULL AND job IS NULL AND characters IS NULL
        """,
        "1"
      ),
      check(
        "SELECT job FROM title_principals WHERE tconst = 'tt0000003'",
        "director of photography"
      ),
      check(
        "SELECT characters ->> 0 FROM title_principals WHERE tconst = 'tt0000004'",
        "Woman (segment \"Making Love\")"
      ),
      check(
        "SELECT jsonb_array_length(characters) FROM title_principals WHERE tconst = 'tt0000004'",
        "2"
      ),
      check(
        "SELECT characters ->> 0 FROM title_principals WHERE tconst = 'tt0000005'",
        "Back\\slash"
      ),
      check("SELECT characters ->> 1 FROM title_principals WHERE tconst = 'tt0000005'", "Zoë"),
      check(
        "SELECT characters ->> 2 FROM title_principals WHERE tconst = 'tt0000005'",
        "🎬 Ångström"
      ),
      check("SELECT job = '' FROM title_principals WHERE tconst = 'tt0000006'", "t"),
      check("SELECT characters FROM title_principals WHERE tconst = 'tt0000006'", "[]"),
      check("SELECT category FROM title_principals WHERE tconst = 'tt0000011'", "composer"),
    ]
  )

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
      check("SELECT average_rating FROM title_ratings WHERE tconst = 'tt0000001'", "5.7"),
      check("SELECT average_rating FROM title_ratings WHERE tconst = 'tt0000002'", "10.0"),
      check(
        "SELECT average_rating || ' ' || num_votes FROM title_ratings WHERE tconst = 'tt0000003'",
        "0.0 0"
      ),
      check("SELECT average_rating FROM title_ratings WHERE tconst = 'tt0000004'", "7.0"),
      check(
        """
        SELECT count(*) FROM title_ratings WHERE tconst = 'tt0000005'
          AND average_rating IS NULL AND num_votes IS NULL
        """,
        "1"
      ),
      check("SELECT num_votes FROM title_ratings WHERE tconst = 'tt0000010'", "303"),
    ]
  )
}
