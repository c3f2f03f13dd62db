import Foundation
import Testing

/// The Makefile's download stage: how SOURCE and FETCH_OPTIONS reach fetch.
@Suite(.serialized, .enabled(if: Harness.isAvailable || Harness.isRequired))
struct FetchStageTests {
  /// Serves the gzipped name.basics sample and runs make with `arguments`,
  /// in which `URL` is replaced with the served file's address.
  static func make(_ arguments: [String]) throws -> (ProcessOutput, TestDatabase) {
    let directory = try Harness.temporaryDirectory("fetch-stage")
    let served = directory + "/served"
    try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      atPath: Harness.fixtures + "/name.basics.sample.tsv.gz",
      toPath: served + "/name.basics.tsv.gz"
    )
    let server = try FileServer(directory: served)
    let database = try TestDatabase()
    let source = server.url("name.basics.tsv.gz")
    let result = try run(
      [
        "make", "--no-print-directory", "-C", Harness.projectRoot, "WORK=\(directory)/work",
      ] + arguments.map { $0.replacingOccurrences(of: "URL", with: source) },
      environment: database.environment
    )
    return (result, database)
  }

  @Test("SOURCE with a query string")
  func sourceWithQuery() throws {
    guard Harness.checkAvailable() else { return }
    // Unquoted, the shell would cut the command at '&' and run fetch
    // in the background without -o.
    let (result, database) = try Self.make(["SOURCE=URL?id=query&times=1"])
    #expect(result.status == 0, "\(result.transcript)")
    #expect(try database.scalar("SELECT count(*) FROM name_basics") == "999")
  }

  @Test("FETCH_OPTIONS reaches fetch")
  func fetchOptions() throws {
    guard Harness.checkAvailable() else { return }
    // Two 503 responses outlast one retry, so fetch fails with status 75.
    let (result, database) = try Self.make([
      "SOURCE=URL?id=options&status=503&times=2", "FETCH_OPTIONS=--retries 1 --retry-delay 0",
    ])
    #expect(result.status != 0, "\(result.transcript)")
    #expect(result.standardError.contains("retry 1 of 1"), "\(result.transcript)")
    #expect(result.standardError.contains("] Error 75"), "\(result.transcript)")
    #expect(try database.scalar("SELECT to_regclass('name_basics') IS NULL") == "t")
  }
}
