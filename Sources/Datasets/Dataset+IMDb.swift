/// The seven IMDb non-commercial datasets, with the columns of their TSV
/// headers as published on the IMDb dataset pages.
extension Dataset {
  /// Every known dataset, in the order `make DATASETS=all` loads them.
  package static let all: [Dataset] = [
    nameBasics, titleBasics, titleAkas, titleCrew, titleEpisode, titlePrincipals, titleRatings,
  ]

  private static let commaList = ColumnType.textArray(separator: UInt8(ascii: ","))

  package static let nameBasics = Dataset(
    name: "name.basics",
    columns: [
      Column("nconst", "nconst", .text, required: true),
      Column("primaryName", "primary_name", .text),
      Column("birthYear", "birth_year", .year),
      Column("deathYear", "death_year", .year),
      Column("primaryProfession", "primary_professions", commaList),
      Column("knownForTitles", "known_for_titles", commaList),
    ],
    key: ["nconst"]
  )

  package static let titleBasics = Dataset(
    name: "title.basics",
    columns: [
      Column("tconst", "tconst", .text, required: true),
      Column("titleType", "title_type", .text),
      Column("primaryTitle", "primary_title", .text),
      Column("originalTitle", "original_title", .text),
      Column("isAdult", "is_adult", .flag),
      Column("startYear", "start_year", .year),
      Column("endYear", "end_year", .year),
      Column("runtimeMinutes", "runtime_minutes", .count),
      Column("genres", "genres", commaList),
    ],
    key: ["tconst"]
  )

  /// `types` and `attributes` hold values joined by the control character
  /// 0x02, and an attribute may itself contain a comma.
  package static let titleAkas = Dataset(
    name: "title.akas",
    columns: [
      Column("titleId", "title_id", .text, required: true),
      Column("ordering", "ordering", .count, required: true),
      Column("title", "title", .text),
      Column("region", "region", .text),
      Column("language", "language", .text),
      Column("types", "types", .textArray(separator: 0x02)),
      Column("attributes", "attributes", .textArray(separator: 0x02)),
      Column("isOriginalTitle", "is_original_title", .flag),
    ],
    key: ["title_id", "ordering"]
  )

  package static let titleCrew = Dataset(
    name: "title.crew",
    columns: [
      Column("tconst", "tconst", .text, required: true),
      Column("directors", "directors", commaList),
      Column("writers", "writers", commaList),
    ],
    key: ["tconst"]
  )

  package static let titleEpisode = Dataset(
    name: "title.episode",
    columns: [
      Column("tconst", "tconst", .text, required: true),
      Column("parentTconst", "parent_tconst", .text),
      Column("seasonNumber", "season_number", .count),
      Column("episodeNumber", "episode_number", .count),
    ],
    key: ["tconst"]
  )

  package static let titlePrincipals = Dataset(
    name: "title.principals",
    columns: [
      Column("tconst", "tconst", .text, required: true),
      Column("ordering", "ordering", .count, required: true),
      Column("nconst", "nconst", .text),
      Column("category", "category", .text),
      Column("job", "job", .text),
      Column("characters", "characters", .jsonArray),
    ],
    key: ["tconst", "ordering"]
  )

  package static let titleRatings = Dataset(
    name: "title.ratings",
    columns: [
      Column("tconst", "tconst", .text, required: true),
      Column("averageRating", "average_rating", .rating),
      Column("numVotes", "num_votes", .count),
    ],
    key: ["tconst"]
  )
}
