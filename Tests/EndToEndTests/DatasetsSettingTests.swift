import Foundation
import Testing

/// The Makefile's check of DATASETS, which stops make before any step runs.
@Suite(.enabled(if: Harness.binDirectory != nil))
struct DatasetsSettingTests {
  static let known =
    "name.basics title.basics title.akas title.crew title.episode title.principals title.ratings"

  /// Runs `make -n` with `datasets` and returns its result.
  static func dryRun(datasets: String, settings: [String] = []) throws -> ProcessOutput {
    try run(
      [
        "make", "--no-print-directory", "-n", "-C", Harness.projectRoot,
        "DATASETS=\(datasets)", "WORK=\(try Harness.temporaryDirectory("datasets"))/work",
      ] + settings
    )
  }

  @Test(
    "unknown dataset is named",
    arguments: [
      ("all title.foo", "title.foo"), ("title.foo all", "title.foo"),
      ("name.basics bogus title.basics", "bogus"),
    ]
  )
  func unknownDataset(datasets: String, unknown: String) throws {
    let result = try Self.dryRun(datasets: datasets)
    #expect(result.status == 2)
    #expect(
      result.standardError.contains(
        "*** unknown dataset '\(unknown)' in DATASETS; expected all or some of: \(Self.known)."
      ),
      "\(result.transcript)"
    )
  }

  @Test("all beside dataset names is rejected")
  func allBesideNames() throws {
    let result = try Self.dryRun(datasets: "all name.basics")
    #expect(result.status == 2)
    #expect(
      result.standardError.contains(
        "*** DATASETS='all name.basics' mixes all with dataset names; "
          + "give all alone, or list the datasets."
      ),
      "\(result.transcript)"
    )
  }

  @Test(
    "shared table is rejected",
    arguments: [
      (["title.crew.table=tt", "title.ratings.table=tt"], "tt"),
      (["title.crew.table=title_ratings"], "title_ratings"),
    ]
  )
  func sharedTable(settings: [String], table: String) throws {
    let result = try Self.dryRun(datasets: "title.crew title.ratings", settings: settings)
    #expect(result.status == 2)
    #expect(
      result.standardError.contains(
        "*** DATASETS: table '\(table)' would receive several datasets "
          + "(title.crew, title.ratings); give each dataset its own table with NAME.table."
      ),
      "\(result.transcript)"
    )
    #expect(!result.standardOutput.contains("fetch"), "\(result.transcript)")
  }

  @Test("own tables are accepted")
  func ownTables() throws {
    let result = try Self.dryRun(
      datasets: "title.crew title.ratings",
      settings: ["title.crew.table=crew", "title.ratings.table=title_crew"]
    )
    #expect(result.status == 0, "\(result.transcript)")
  }
}
