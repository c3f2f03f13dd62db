import Foundation
import Testing

/// make's download stage when SOURCE changes between runs on one WORK.
@Suite(.serialized, .enabled(if: Harness.isAvailable || Harness.isRequired))
struct SourceChangeTests {
  static let header =
    "nconst\tprimaryName\tbirthYear\tdeathYear\tprimaryProfession\tknownForTitles\n"

  /// A spool, a database and a folder for the source files.
  struct Setup {
    let directory: String
    let database: TestDatabase
    var work: String { directory + "/work" }

    init() throws {
      directory = try Harness.temporaryDirectory("source-change")
      database = try TestDatabase()
    }

    /// Writes a gzip of `text` to `name` in this setup's folder.
    ///
    /// - Returns: The gzip's path.
    func gzip(_ text: String, name: String) throws -> String {
      let path = directory + "/" + name
      try Data(text.utf8).write(to: URL(fileURLWithPath: path))
      let result = try run(["gzip", "-n", "-f", path])
      guard result.status == 0 else { throw HarnessError("gzip failed: \(result.transcript)") }
      return path + ".gz"
    }

    func make(_ arguments: [String]) throws -> ProcessOutput {
      try run(
        ["make", "--no-print-directory", "-C", Harness.projectRoot, "WORK=\(work)"] + arguments,
        environment: database.environment
      )
    }
  }

  /// Builds a name.basics file whose rows have names starting with `prefix`.
  static func people(_ count: Int, prefix: String) -> String {
    Self.header
      + (1...count).map { "nm\($0)\t\(prefix) \($0)\t\\N\t\\N\tactor\ttt\($0)\n" }.joined()
  }

  /// Checks the hint for a wrong file of several MiB.
  ///
  /// split stops at its header while inflate still writes, so inflate fails
  /// with a broken pipe (74), and make must still say what to check.
  @Test("wrong large SOURCE names what to check")
  func wrongLargeSource() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup()
    let wrong = try setup.gzip(Self.people(100_000, prefix: "Wrong"), name: "wrong.tsv")
    let download = setup.work + "/download/title.ratings.tsv.gz"

    let failed = try setup.make(["DATASETS=title.ratings", "SOURCE=\(wrong)"])
    #expect(failed.status != 0, "\(failed.transcript)")
    #expect(
      failed.standardError.contains("inflate: stdout: write failed: Broken pipe"),
      "\(failed.transcript)"
    )
    #expect(
      failed.standardError.contains(
        "make: \(download): not a valid title.ratings file; check SOURCE and DATASETS"
      ),
      "\(failed.transcript)"
    )
    #expect(FileManager.default.fileExists(atPath: download))
  }

  @Test("wrong SOURCE, then the right one")
  func wrongThenRightSource() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup()
    let wrong = Harness.fixtures + "/name.basics.sample.tsv.gz"
    let ratingsText = try String(
      contentsOfFile: Harness.fixtures + "/title.ratings.sample.tsv",
      encoding: .utf8
    )
    let ratings = try setup.gzip(ratingsText, name: "ratings.tsv")
    let download = setup.work + "/download/title.ratings.tsv.gz"

    let failed = try setup.make(["DATASETS=title.ratings", "SOURCE=\(wrong)"])
    #expect(failed.status != 0, "\(failed.transcript)")
    #expect(
      failed.standardError.contains("split: \(download): line 1: header does not match"),
      "\(failed.transcript)"
    )
    #expect(!failed.standardError.contains("split: stdin"), "\(failed.transcript)")
    #expect(
      failed.standardError.contains(
        "make: \(download): not a valid title.ratings file; check SOURCE and DATASETS"
      ),
      "\(failed.transcript)"
    )

    let fixed = try setup.make(["DATASETS=title.ratings", "SOURCE=\(ratings)"])
    #expect(fixed.status == 0, "\(fixed.transcript)")
    #expect(
      fixed.standardOutput.contains(
        "make: title.ratings: SOURCE changed from \(wrong) to \(ratings); fetching \(download) again"
      ),
      "\(fixed.transcript)"
    )
    #expect(try setup.database.scalar("SELECT count(*) FROM title_ratings") == "300")
  }

  @Test("new SOURCE on a finished WORK")
  func newSourceOnFinishedWork() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup()
    let served = setup.directory + "/served"
    try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
    _ = try setup.gzip(Self.people(5, prefix: "Served"), name: "served/name.basics.tsv")
    let server = try FileServer(directory: served)
    let url = server.url("name.basics.tsv.gz")
    // The same length as the served gzip, so that only the SOURCE
    // distinguishes the two downloads.
    let local = try setup.gzip(Self.people(5, prefix: "Stored"), name: "local.tsv")
    let sizes = try [served + "/name.basics.tsv.gz", local].map {
      try FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int
    }
    try #require(sizes[0] == sizes[1])
    let names = "SELECT string_agg(primary_name, ',' ORDER BY nconst) FROM name_basics"

    let first = try setup.make(["SOURCE=\(url)"])
    #expect(first.status == 0, "\(first.transcript)")
    #expect(try setup.database.scalar(names) == "Served 1,Served 2,Served 3,Served 4,Served 5")

    let second = try setup.make(["SOURCE=\(local)"])
    #expect(second.status == 0, "\(second.transcript)")
    #expect(second.standardOutput.contains("SOURCE changed from \(url) to \(local)"))
    #expect(try setup.database.scalar(names) == "Stored 1,Stored 2,Stored 3,Stored 4,Stored 5")

    // Another spelling of the same path is the same SOURCE.
    let sameFile = local.replacingOccurrences(of: "/local.tsv.gz", with: "/./local.tsv.gz")
    let unchanged = try setup.make(["SOURCE=\(sameFile)"])
    #expect(unchanged.status == 0, "\(unchanged.transcript)")
    #expect(!unchanged.standardOutput.contains("SOURCE changed"), "\(unchanged.transcript)")
    #expect(
      unchanged.standardOutput.contains("the one chunk of name.basics was already loaded"),
      "\(unchanged.transcript)"
    )

    // Back to the unchanged HTTP file: the ETag that FILE.meta stored for
    // it must not make fetch keep the local file of the same length.
    let back = try setup.make(["SOURCE=\(url)"])
    #expect(back.status == 0, "\(back.transcript)")
    #expect(try setup.database.scalar(names) == "Served 1,Served 2,Served 3,Served 4,Served 5")
  }

  @Test("dry run prints a changed SOURCE's steps once")
  func dryRunPrintsStepsOnce() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try Setup()
    let first = try setup.gzip(Self.people(3, prefix: "First"), name: "first.tsv")
    let second = try setup.gzip(Self.people(4, prefix: "Second"), name: "second.tsv")
    let loaded = try setup.make(["SOURCE=\(first)"])
    #expect(loaded.status == 0, "\(loaded.transcript)")

    let dryRun = try setup.make(["-n", "SOURCE=\(second)"])
    #expect(dryRun.status == 0, "\(dryRun.transcript)")
    let lines = dryRun.standardOutput.split(separator: "\n")
    let fetches = lines.filter { $0.contains("/fetch '\(second)'") }
    let splits = lines.filter { $0.hasPrefix("echo '") && $0.contains("/split --dataset") }
    #expect(fetches.count == 1, "\(dryRun.transcript)")
    #expect(splits.count == 1, "\(dryRun.transcript)")
  }
}
