import Foundation
import Testing

/// `split --list-chunks | load --manifest -`: chunks load while split still
/// writes later ones, on several connections, exactly once.
@Suite(.serialized, .enabled(if: Harness.isAvailable || Harness.isRequired))
struct ChunkStreamTests {
  /// The sample's data rows, sorted, as `exportAsSource` returns them.
  static func sampleRows() throws -> [String] {
    try String(contentsOfFile: MainJobTests.sample, encoding: .utf8)
      .split(separator: "\n").dropFirst().map(String.init).sorted()
  }

  /// Runs a bash pipeline and returns its output; PIPESTATUS goes to
  /// standard output as the last line.
  static func pipeline(_ script: String, database: TestDatabase, directory: String) throws
    -> ProcessOutput
  {
    try run(
      ["bash", "-c", script + "; echo \"${PIPESTATUS[*]}\""],
      environment: database.environment,
      directory: directory
    )
  }

  @Test("chunks listed by split load on two connections")
  func listedChunksLoad() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let directory = try Harness.temporaryDirectory("stream")
    let result = try Self.pipeline(
      "\(Harness.tool("split")) --dataset name.basics --rows 100 --out chunks --list-chunks "
        + "\(MainJobTests.sample) | \(Harness.tool("load")) --dataset name.basics --create "
        + "--jobs 2 --manifest -",
      database: database,
      directory: directory
    )
    #expect(result.standardOutput == "0 0\n", "\(result.transcript)")
    #expect(
      result.standardError.contains(
        "load: name_basics: 999 rows from 10 chunks loaded, 0 rejected, 0 chunks already loaded"
      ),
      "\(result.transcript)"
    )
    #expect(try MainJobTests.exportAsSource(database, table: "name_basics") == Self.sampleRows())
    #expect(
      try database.scalar("SELECT count(*) || ' ' || sum(rows) FROM stageload_ledger") == "10 999"
    )

    // The manifest file lists the same chunks, relative to its directory,
    // so loading from it again skips every chunk. The dataset comes from
    // the directory's name, here "chunks", which names none, so it is the
    // default, name.basics.
    let again = try run(
      [Harness.tool("load"), "--jobs", "3", "--manifest", directory + "/chunks/manifest.tsv"],
      environment: database.environment
    )
    #expect(again.status == 0, "\(again.transcript)")
    #expect(
      again.standardError.contains(
        "0 rows from 0 chunks loaded, 0 rejected, 10 chunks already loaded"
      ),
      "\(again.transcript)"
    )
    #expect(try database.scalar("SELECT count(*) FROM name_basics") == "999")
  }

  @Test("the manifest's directory names the dataset")
  func manifestDirectoryNamesDataset() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let directory = try Harness.temporaryDirectory("stream-dataset")
    let sample = Harness.fixtures + "/title.ratings.sample.tsv"
    let split = try run(
      [
        Harness.tool("split"), "--dataset", "title.ratings", "--rows", "50", "--out",
        "chunks/title.ratings", sample,
      ],
      directory: directory
    )
    #expect(split.status == 0, "\(split.transcript)")
    let load = try run(
      [
        Harness.tool("load"), "--create", "--jobs", "2", "--manifest",
        directory + "/chunks/title.ratings/manifest.tsv",
      ],
      environment: database.environment
    )
    #expect(load.status == 0, "\(load.transcript)")
    let rows = try String(contentsOfFile: sample, encoding: .utf8).split(separator: "\n").count - 1
    #expect(try database.scalar("SELECT count(*) FROM title_ratings") == String(rows))
  }

  @Test("a failed load reads the list to its end, so split finishes")
  func failedLoadDrainsList() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let directory = try Harness.temporaryDirectory("stream-fail")
    // Without --create the table does not exist, so the first chunk fails.
    let result = try Self.pipeline(
      "\(Harness.tool("split")) --dataset name.basics --rows 100 --out chunks --list-chunks "
        + "\(MainJobTests.sample) | \(Harness.tool("load")) --dataset name.basics --jobs 1 "
        + "--manifest -",
      database: database,
      directory: directory
    )
    #expect(result.standardOutput == "0 69\n", "\(result.transcript)")
    #expect(result.standardError.contains("split: name.basics: 999 rows read"))
    #expect(result.standardError.contains("9 chunks not loaded after the failure below"))
    #expect(
      result.standardError.contains("load: 000001.copy: relation \"name_basics\" does not exist"),
      "\(result.transcript)"
    )
    #expect(FileManager.default.fileExists(atPath: directory + "/chunks/manifest.tsv"))
  }

  @Test("a listed chunk must match its SHA-256")
  func listedChunkMustMatch() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let directory = try Harness.temporaryDirectory("stream-damaged")
    let split = try run(
      [
        Harness.tool("split"), "--dataset", "name.basics", "--rows", "500", "--out", "chunks",
        MainJobTests.sample,
      ],
      directory: directory
    )
    #expect(split.status == 0, "\(split.transcript)")
    let chunk = directory + "/chunks/000002.copy"
    var bytes = try Data(contentsOf: URL(fileURLWithPath: chunk))
    bytes[0] = UInt8(ascii: "x")
    try bytes.write(to: URL(fileURLWithPath: chunk))

    let result = try run(
      [
        Harness.tool("load"), "--dataset", "name.basics", "--create", "--manifest",
        directory + "/chunks/manifest.tsv",
      ],
      environment: database.environment
    )
    #expect(result.status == 65, "\(result.transcript)")
    #expect(result.standardError.contains("000002.copy: chunk does not match the SHA-256"))
    #expect(try database.scalar("SELECT count(*) FROM name_basics") == "500")
  }

  @Test("option combinations that make no sense are usage errors")
  func usageErrors() throws {
    guard Harness.checkAvailable() else { return }
    let cases: [[String]] = [
      [Harness.tool("load"), "--manifest", "-", "chunk.copy"],
      [Harness.tool("load"), "--publish", "--manifest", "-"],
      [Harness.tool("load"), "--jobs", "0", "chunk.copy"],
      [Harness.tool("split"), "--dataset", "name.basics", "--stdout", "--list-chunks"],
    ]
    for arguments in cases {
      let result = try run(arguments)
      #expect(result.status == 64, "\(arguments): \(result.transcript)")
    }
  }
}
