import Foundation
import Testing

/// What `make status` and the summary of `make` report about publishing
/// and about failed chunks, after runs with a stubbed load.
@Suite(.serialized, .enabled(if: Harness.isAvailable || Harness.isRequired))
struct ReportTests {
  /// Makes a tool directory whose load first matches its arguments, as
  /// `" $* "`, against `branches`, the branches of a shell `case`, which
  /// may exit, and otherwise runs the real load.
  static func loadStub(_ branches: String) throws -> String {
    let script = """
      #!/bin/sh
      case " $* " in
      \(branches)
      esac
      exec '\(Harness.tool("load"))' "$@"

      """
    return try SplitStageTests.stubBin(replacing: "load", with: script)
  }

  @Test("publish state in status and summary")
  func publishState() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try MainJobTests.Setup()
    // The publish step is interrupted, as by Ctrl-C, after every chunk is in.
    let interrupted = try Self.loadStub(
      #"*" --publish "*) echo "load: interrupted" >&2; exit 130 ;;"#
    )
    let first = try setup.make(["CHUNK_ROWS=250", "STAGELOAD_BIN=\(interrupted)"])
    #expect(first.status != 0, "\(first.transcript)")
    #expect(
      first.standardOutput.contains(
        "name.basics: 4 of 4 chunks loaded by this run, 0 already loaded, 0 pending, "
          + "waiting for publish\n"
      ),
      "\(first.transcript)"
    )
    #expect(
      first.standardOutput.contains(
        "  name.basics: every chunk is loaded, but not published yet; run make again to publish\n"
      ),
      "\(first.transcript)"
    )

    let waiting = try setup.make(["status"])
    #expect(waiting.status == 0, "\(waiting.transcript)")
    #expect(
      waiting.standardOutput.hasPrefix(
        "name.basics: 4 chunks: 4 loaded, 0 pending, waiting for publish; 999 of 999 rows loaded"
      ),
      "\(waiting.transcript)"
    )

    let published = try setup.make(["CHUNK_ROWS=250"])
    #expect(published.status == 0, "\(published.transcript)")
    #expect(
      published.standardOutput.contains(
        "  nothing to load: all 4 chunks of name.basics were already loaded; "
          + "this run published them\n"
      ),
      "\(published.transcript)"
    )
    #expect(try setup.database.scalar("SELECT count(*) FROM name_basics") == "999")

    let status = try setup.make(["status"])
    #expect(
      status.standardOutput.hasPrefix(
        "name.basics: 4 chunks: 4 loaded, 0 pending, published; 999 of 999 rows loaded"
      ),
      "\(status.transcript)"
    )
    #expect(!status.standardOutput.contains("run make"), "\(status.transcript)")

    let again = try setup.make(["CHUNK_ROWS=250"])
    #expect(again.status == 0, "\(again.transcript)")
    #expect(
      again.standardOutput.contains(
        "  nothing to load: all 4 chunks of name.basics were already loaded and published\n"
      ),
      "\(again.transcript)"
    )
    #expect(!again.standardOutput.contains("Nothing to be done"), "\(again.transcript)")
  }

  @Test("advice after a rejected publish")
  func rejectedPublishAdvice() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try MainJobTests.Setup()
    // split rejects both rows, so the staging table stays empty and load
    // does not publish it (status 65).
    let header = "tconst\taverageRating\tnumVotes\n"
    let source = setup.directory + "/bad.tsv.gz"
    let gzip = try run([
      "sh", "-c", "printf '%s' \"$0\" | gzip -n > \"$1\"",
      header + "tt1\tabc\t5\n\t5.0\t3\n", source,
    ])
    #expect(gzip.status == 0, "\(gzip.transcript)")
    let rejects = setup.work + "/rejects/title.ratings/split.tsv"
    let advice =
      "  title.ratings: not published because of the data, and running make again fails the "
      + "same way; see why each row was rejected in \(rejects), then fix the file at SOURCE and "
      + "run make refresh, or set SOURCE to a corrected file\n"

    for run in 1...2 {
      let result = try setup.make(["DATASETS=title.ratings", "SOURCE=\(source)"])
      #expect(result.status != 0, "run \(run): \(result.transcript)")
      #expect(result.standardOutput.contains(advice), "run \(run): \(result.transcript)")
      #expect(
        !result.standardOutput.contains("run make again"),
        "run \(run): \(result.transcript)"
      )
    }

    let status = try setup.make(["DATASETS=title.ratings", "status"])
    #expect(
      status.standardOutput.hasPrefix(
        "title.ratings: 0 chunks: 0 loaded, 0 pending, publish failed; 0 of 0 rows loaded; "
          + "2 rejected (split 2)\n"
      ),
      "\(status.transcript)"
    )
    #expect(
      status.standardOutput.contains(
        "title.ratings: last error: load: title_ratings: not published, because "
          + "title_ratings__staging has no rows"
      ),
      "\(status.transcript)"
    )
    #expect(status.standardOutput.contains(advice.dropFirst(2)), "\(status.transcript)")
  }

  @Test("advice after a failed publish")
  func failedPublishAdvice() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try MainJobTests.Setup()
    let lost = try Self.loadStub(
      #"*" --publish "*) echo "load: name_basics: lost the connection" >&2; exit 75 ;;"#
    )
    let result = try setup.make(["CHUNK_ROWS=500", "STAGELOAD_BIN=\(lost)"])
    #expect(result.status != 0, "\(result.transcript)")
    #expect(
      result.standardOutput.contains(
        "  name.basics: every chunk is loaded, but the publish failed; run make again to publish\n"
      ),
      "\(result.transcript)"
    )
    #expect(
      result.standardOutput.contains(
        "  name.basics: last error: load: name_basics: lost the connection\n"
      ),
      "\(result.transcript)"
    )

    let published = try setup.make(["CHUNK_ROWS=500"])
    #expect(published.status == 0, "\(published.transcript)")
    let status = try setup.make(["status"])
    #expect(
      status.standardOutput.hasPrefix(
        "name.basics: 2 chunks: 2 loaded, 0 pending, published; 999 of 999 rows loaded"
      ),
      "\(status.transcript)"
    )
    #expect(!status.standardOutput.contains("last error"), "\(status.transcript)")
  }

  @Test("advice after a usage error")
  func usageErrorAdvice() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try MainJobTests.Setup()
    // The first of the two chunks fails with a usage error (64). make stops
    // there without -k, so the second one is still pending.
    let usage = try Self.loadStub(
      #"*"/000001.copy "*) echo "load: option '--table': invalid value" >&2; exit 64 ;;"#
    )
    let result = try setup.make(["CHUNK_ROWS=500", "LOAD_JOBS=0", "STAGELOAD_BIN=\(usage)"])
    #expect(result.status != 0, "\(result.transcript)")
    #expect(
      result.standardOutput.contains(
        "  name.basics: 1 chunk failed with a usage error (exit status 64), which running make "
          + "again repeats; correct the setting that the error names first\n"
      ),
      "\(result.transcript)"
    )
    #expect(
      result.standardOutput.contains(
        "  name.basics: 1 chunk not loaded; run make again to load it\n"
      ),
      "\(result.transcript)"
    )
    #expect(
      result.standardOutput.contains(
        "  name.basics: last error: load: option '--table': invalid value\n"
      ),
      "\(result.transcript)"
    )

    let status = try setup.make(["status"])
    #expect(
      status.standardOutput.hasPrefix(
        "name.basics: 2 chunks: 0 loaded, 1 failed (000001), 1 pending, not published;"
      ),
      "\(status.transcript)"
    )
    #expect(
      status.standardOutput.contains("name.basics: 1 chunk failed with a usage error"),
      "\(status.transcript)"
    )
  }

  @Test("advice after lost connections")
  func failedChunksAdvice() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try MainJobTests.Setup()
    // Two chunks of four lose their connection (75); a rerun loads them.
    let lost = try Self.loadStub(
      #"*"/000002.copy "*|*"/000003.copy "*) echo "load: server closed the connection" >&2; "#
        + "exit 75 ;;"
    )
    let failed = try setup.make(["CHUNK_ROWS=250", "LOAD_JOBS=0", "-k", "STAGELOAD_BIN=\(lost)"])
    #expect(failed.status != 0, "\(failed.transcript)")
    #expect(
      failed.standardOutput.contains(
        "  name.basics: 2 chunks not loaded; run make again to load them\n"
      ),
      "\(failed.transcript)"
    )
    #expect(!failed.standardOutput.contains("usage error"), "\(failed.transcript)")

    let fixed = try setup.make(["CHUNK_ROWS=250"])
    #expect(fixed.status == 0, "\(fixed.transcript)")
    #expect(
      fixed.standardOutput.contains(
        "name.basics: 2 of 4 chunks loaded by this run, 2 already loaded, 0 pending, "
          + "published by this run\n"
      ),
      "\(fixed.transcript)"
    )
    #expect(!fixed.standardOutput.contains("run make again"), "\(fixed.transcript)")
  }
}
