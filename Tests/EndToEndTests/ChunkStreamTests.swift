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
    let again = try database.runLoad(
      ["--jobs", "3", "--manifest", directory + "/chunks/manifest.tsv"]
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

  @Test("failed load drains the list")
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
    #expect(result.standardOutput == "0 70\n", "\(result.transcript)")
    #expect(result.standardError.contains("split: name.basics: 999 rows read"))
    #expect(result.standardError.contains("9 chunks not loaded after the failure below"))
    #expect(
      result.standardError.contains("load: 000001.copy: relation \"name_basics\" does not exist"),
      "\(result.transcript)"
    )
    #expect(FileManager.default.fileExists(atPath: directory + "/chunks/manifest.tsv"))
  }

  @Test("unreachable server drains the list")
  func unreachableServerDrainsList() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let directory = try Harness.temporaryDirectory("stream-unreachable")
    // load fails before its first chunk, so it must read the list to its
    // end before it exits, or split dies on a broken pipe. One row per
    // chunk makes the list larger than a pipe's buffer.
    let result = try Self.pipeline(
      "\(Harness.tool("split")) --dataset name.basics --rows 1 --out chunks --list-chunks "
        + "\(MainJobTests.sample) | PGHOST=\(directory)/no-server \(Harness.tool("load")) "
        + "--dataset name.basics --jobs 2 --manifest -",
      database: database,
      directory: directory
    )
    #expect(result.standardOutput == "0 69\n", "\(result.transcript)")
    #expect(result.standardError.contains("load: cannot connect to the database"))
    #expect(result.standardError.contains("split: name.basics: 999 rows read"))
    #expect(FileManager.default.fileExists(atPath: directory + "/chunks/manifest.tsv"))
  }

  @Test("unreachable DATABASE_URL gets no embedded-server hint")
  func unreachableDatabaseURL() throws {
    let directory = try Harness.temporaryDirectory("url-unreachable")
    let result = try run(
      [Harness.tool("load"), "--dataset", "name.basics", "--create"],
      environment: [
        "DATABASE_URL": "postgresql:///imdb?host=\(directory)/no-server",
        "STAGELOAD_EMBEDDED_DB": "1",
      ]
    )
    #expect(result.status == 69)
    #expect(result.standardError.hasPrefix("load: cannot connect to the database: "))
    #expect(result.standardError.hasSuffix("; check DATABASE_URL\n"), "\(result.transcript)")
  }

  @Test("make with an unreachable DATABASE_URL gets no hint")
  func makeWithUnreachableDatabaseURL() throws {
    let directory = try Harness.temporaryDirectory("make-unreachable")
    let result = try run(
      [
        "make", "--no-print-directory", "-C", Harness.projectRoot, "WORK=\(directory)/work",
        "SOURCE=\(Harness.fixtures)/name.basics.sample.tsv.gz",
        "DATABASE_URL=postgresql:///imdb?host=\(directory)/no-server",
      ],
      environment: ["STAGELOAD_EMBEDDED_DB": "1"]
    )
    #expect(result.status != 0)
    #expect(result.standardError.contains("load: cannot connect to the database: "))
    #expect(!result.standardError.contains("db-start"), "\(result.transcript)")
  }

  @Test("malformed list line drains the list")
  func malformedLineDrainsList() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let directory = try Harness.temporaryDirectory("stream-malformed")
    // The writer sends about 2 MB after the bad line; it exits 0 only
    // when load reads all of it.
    let result = try Self.pipeline(
      "{ printf 'chunk\\tfirst_line\\trows\\tsha256\\tlast_line\\nnot a manifest line\\n'; "
        + "yes padding | head -n 250000; } | \(Harness.tool("load")) --dataset name.basics "
        + "--create --manifest -",
      database: database,
      directory: directory
    )
    #expect(result.standardOutput == "0 65\n", "\(result.transcript)")
    #expect(result.standardError.contains("load: stdin: line 2: malformed entry"))
  }

  @Test("a manifest's directory names the dataset")
  func manifestDirectoryNamesDataset() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let directory = try Harness.temporaryDirectory("stream-dataset")
    let ratings = Harness.fixtures + "/title.ratings.sample.tsv"

    // From standard input: the first listed chunk's directory.
    let streamed = try Self.pipeline(
      "\(Harness.tool("split")) --dataset title.ratings --rows 100 --out title.ratings "
        + "--list-chunks \(ratings) | \(Harness.tool("load")) --create --manifest -",
      database: database,
      directory: directory
    )
    #expect(streamed.standardOutput == "0 0\n", "\(streamed.transcript)")
    #expect(try database.scalar("SELECT count(*) FROM title_ratings") == "300")
    #expect(try database.scalar("SELECT to_regclass('name_basics') IS NULL") == "t")

    // From a manifest file: the manifest's own directory.
    let fromFile = try database.runLoad([
      "--table", "ratings_again", "--create", "--manifest",
      directory + "/title.ratings/manifest.tsv",
    ])
    #expect(fromFile.status == 0, "\(fromFile.transcript)")
    #expect(try database.scalar("SELECT count(*) FROM ratings_again") == "300")
    #expect(try database.scalar("SELECT to_regclass('name_basics') IS NULL") == "t")
  }

  @Test("split outlives its list reader")
  func listReaderGone() throws {
    guard Harness.checkAvailable() else { return }
    let directory = try Harness.temporaryDirectory("stream-reader-gone")
    // The pipe's read end is closed before split starts, so its first write
    // to the list fails with EPIPE.
    let list = Pipe()
    try list.fileHandleForReading.close()
    let errors = directory + "/stderr"
    _ = FileManager.default.createFile(atPath: errors, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Harness.tool("split"))
    process.arguments = [
      "--dataset", "name.basics", "--rows", "100", "--out", directory + "/chunks",
      "--list-chunks", MainJobTests.sample,
    ]
    process.standardOutput = list
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
    try process.run()
    process.waitUntilExit()
    let messages = try String(contentsOfFile: errors, encoding: .utf8)

    #expect(process.terminationStatus == 0, "\(messages)")
    #expect(
      messages.contains("split: stdout: the chunk list's reader has gone; the list stops"),
      "\(messages)"
    )
    let manifest = try String(contentsOfFile: directory + "/chunks/manifest.tsv", encoding: .utf8)
    #expect(manifest.split(separator: "\n").count == 11)
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

    let result = try database.runLoad([
      "--dataset", "name.basics", "--create", "--manifest", directory + "/chunks/manifest.tsv",
    ])
    #expect(result.status == 65, "\(result.transcript)")
    #expect(result.standardError.contains("000002.copy: chunk does not match the SHA-256"))
    #expect(try database.scalar("SELECT count(*) FROM name_basics") == "500")
  }

  @Test("conflicting options are usage errors")
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
