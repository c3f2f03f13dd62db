import Foundation
import Testing

/// `load -` loads a COPY stream from standard input only when it ends with
/// the end-of-data line `\.`, which `split --stdout` writes last.
///
/// So a pipe whose producer stopped early loads nothing.
@Suite(.enabled(if: Harness.isAvailable || Harness.isRequired))
struct StandardInputLoadTests {
  static let header =
    "nconst\tprimaryName\tbirthYear\tdeathYear\tprimaryProfession\tknownForTitles\n"
  static let sample = Harness.fixtures + "/name.basics.sample.tsv"
  /// Enough rows that their COPY text exceeds split's 4 MiB output buffer,
  /// so split writes rows to the pipe before it reaches the last one.
  static let manyRows = 120_000
  static let missingMessage =
    "load: standard input ended without the end-of-data line \\. that split --stdout "
    + "writes last, so the program writing it stopped early; nothing was loaded"
  static let endOfDataLine = "\\.\n"

  /// Returns name.basics rows nm1 to nm`count` as TSV lines.
  static func generatedRows(_ count: Int) -> [String] {
    (1...count).map { "nm\($0)\tPerson Number \($0)\t1950\t\\N\tactor,writer\ttt\($0)\n" }
  }

  /// Writes `bytes` to `name` in a new temporary directory.
  static func write(_ bytes: [UInt8], name: String) throws -> String {
    let path = try Harness.temporaryDirectory("stdin") + "/" + name
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
  }

  /// Returns the start of a gzip file whose deflate data is `data` in
  /// stored (uncompressed) blocks, cut after `count` bytes of `data`: a
  /// truncated gzip that inflates to exactly `data[..<count]` before the
  /// error.
  static func truncatedGzip(of data: [UInt8], cutAfter count: Int) -> [UInt8] {
    // Magic, deflate, no flags, no time, no extra flags, Unix.
    var gzip: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]
    var offset = 0
    while offset < count {
      let length = min(65_535, data.count - offset)
      // A stored block that is not the last (BFINAL 0, BTYPE 00), its
      // length and the length's complement, little-endian.
      gzip.append(0)
      gzip += [UInt8(length & 0xff), UInt8(length >> 8)]
      gzip += [UInt8(~length & 0xff), UInt8((~length >> 8) & 0xff)]
      gzip += data[offset..<min(offset + length, count)]
      offset += length
    }
    return gzip
  }

  /// Runs `script` with bash, without pipefail, and returns the exit
  /// status of each command of its pipe.
  static func runPipe(
    _ script: String,
    arguments: [String],
    database: TestDatabase
  ) throws -> (statuses: [String], output: ProcessOutput) {
    let output = try run(
      ["bash", "-c", script + "; echo \"${PIPESTATUS[*]}\""] + arguments,
      environment: database.environment
    )
    let statuses = output.standardOutput.split(separator: "\n").last?.split(separator: " ")
    return ((statuses ?? []).map(String.init), output)
  }

  /// Returns what `split --stdout` writes for `input`, and its status.
  static func splitToStandardOutput(_ input: String) throws -> ProcessOutput {
    try run([Harness.tool("split"), "--dataset", "name.basics", "--stdout", "--quiet", input])
  }

  /// Runs `load --dataset name.basics --create -` with standard input from `path`.
  static func loadStandardInput(from path: String, into database: TestDatabase) throws
    -> ProcessOutput
  {
    try run(
      [
        "bash", "-c", "\"$0\" --dataset name.basics --create - < \"$1\"", Harness.tool("load"),
        path,
      ],
      environment: database.environment
    )
  }

  @Test("complete stream loads")
  func completeStreamLoads() throws {
    guard Harness.checkAvailable() else { return }
    let split = try Self.splitToStandardOutput(Self.sample)
    #expect(split.status == 0, "\(split.transcript)")
    // The end-of-data line comes once, after the last row.
    let lines = split.standardOutput.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.count == 1001)
    #expect(lines.suffix(2) == ["\\.", ""])
    #expect(lines.filter { $0 == "\\." }.count == 1)
    let stream = try Self.write(Array(split.standardOutput.utf8), name: "stream.copy")

    let database = try TestDatabase()
    let result = try Self.loadStandardInput(from: stream, into: database)
    #expect(result.status == 0, "\(result.transcript)")
    #expect(try database.scalar("SELECT count(*) FROM name_basics") == "999")
    // The end-of-data line is not a row: every row has its six columns.
    #expect(try database.scalar("SELECT count(*) FROM name_basics WHERE nconst = '\\.'") == "0")
  }

  @Test("stream without end-of-data line loads nothing")
  func streamWithoutEndLoadsNothing() throws {
    guard Harness.checkAvailable() else { return }
    let split = try Self.splitToStandardOutput(Self.sample)
    #expect(split.standardOutput.hasSuffix(Self.endOfDataLine))
    let cut = Array(split.standardOutput.utf8.dropLast(Self.endOfDataLine.utf8.count))
    let stream = try Self.write(cut, name: "cut.copy")

    let database = try TestDatabase()
    let result = try Self.loadStandardInput(from: stream, into: database)
    #expect(result.status == 65, "\(result.transcript)")
    #expect(result.standardError == Self.missingMessage + "\n")
    #expect(try database.scalar("SELECT count(*) FROM name_basics") == "0")
    #expect(try database.scalar("SELECT count(*) FROM stageload_ledger") == "0")
  }

  @Test("empty standard input loads nothing")
  func emptyInputLoadsNothing() throws {
    guard Harness.checkAvailable() else { return }
    let stream = try Self.write([], name: "empty.copy")
    let database = try TestDatabase()
    let result = try Self.loadStandardInput(from: stream, into: database)
    #expect(result.status == 65, "\(result.transcript)")
    #expect(result.standardError == Self.missingMessage + "\n")
  }

  @Test("rows after end-of-data line load nothing")
  func rowsAfterEndLoadNothing() throws {
    guard Harness.checkAvailable() else { return }
    let split = try Self.splitToStandardOutput(Self.sample)
    let twice = Array((split.standardOutput + split.standardOutput).utf8)
    let stream = try Self.write(twice, name: "twice.copy")

    let database = try TestDatabase()
    let result = try Self.loadStandardInput(from: stream, into: database)
    #expect(result.status == 65, "\(result.transcript)")
    #expect(
      result.standardError
        == "load: standard input goes on after the end-of-data line \\. that ends a COPY "
        + "stream; nothing was loaded; pipe one split --stdout stream into load -\n"
    )
    #expect(try database.scalar("SELECT count(*) FROM name_basics") == "0")
  }

  @Test("failed split writes no end-of-data line")
  func failedSplitWritesNoEnd() throws {
    guard Harness.checkAvailable() else { return }
    let rows = Self.generatedRows(Self.manyRows)
    let text = Self.header + rows.joined() + "nm0\tBad Year\tabcd\t\\N\tactor\ttt1\n"
    let input = try Self.write(Array(text.utf8), name: "bad-row.tsv")

    let result = try Self.splitToStandardOutput(input)
    #expect(result.status == 65)
    // Checked outside #expect, which would print megabytes on a failure.
    let output = result.standardOutput
    let wroteRows = output.hasPrefix("nm1\tPerson Number 1\t1950\t\\N\t{actor,writer}\t")
    let endsWithLine = output.hasSuffix(Self.endOfDataLine)
    let containsLine = output.contains("\n" + Self.endOfDataLine)
    #expect(wroteRows, "\(output.utf8.count) bytes written")
    #expect(!endsWithLine)
    #expect(!containsLine)
  }

  @Test("split stopping at a bad row loads nothing")
  func splitStoppingAtBadRowLoadsNothing() throws {
    guard Harness.checkAvailable() else { return }
    let rows = Self.generatedRows(Self.manyRows)
    let text = Self.header + rows.joined() + "nm0\tBad Year\tabcd\t\\N\tactor\ttt1\n"
    let input = try Self.write(Array(text.utf8), name: "bad-row.tsv")

    let database = try TestDatabase()
    let (statuses, output) = try Self.runPipe(
      "\"$0\" --dataset name.basics --stdout --quiet \"$1\" | \"$2\" --dataset name.basics --create -",
      arguments: [Harness.tool("split"), input, Harness.tool("load")],
      database: database
    )
    #expect(statuses == ["65", "65"], "\(output.transcript)")
    #expect(output.standardError.contains(Self.missingMessage + "\n"), "\(output.transcript)")
    #expect(try database.scalar("SELECT count(*) FROM name_basics") == "0")
  }

  @Test("pipe from a truncated gzip loads nothing")
  func truncatedGzipPipeLoadsNothing() throws {
    guard Harness.checkAvailable() else { return }
    let rows = Self.generatedRows(Self.manyRows)
    let tsv = Array((Self.header + rows.joined()).utf8)
    // Cut ten bytes into the row nm110000, so split gets a short last line
    // after more than 4 MiB of rows.
    let cut = Self.header.utf8.count + rows.prefix(109_999).reduce(0) { $0 + $1.utf8.count } + 10
    let gzip = try Self.write(Self.truncatedGzip(of: tsv, cutAfter: cut), name: "cut.tsv.gz")

    let database = try TestDatabase()
    let (statuses, output) = try Self.runPipe(
      "\"$0\" \"$1\" | \"$2\" --dataset name.basics --stdout --quiet | \"$3\" --dataset name.basics --create -",
      arguments: [Harness.tool("inflate"), gzip, Harness.tool("split"), Harness.tool("load")],
      database: database
    )
    #expect(statuses == ["65", "65", "65"], "\(output.transcript)")
    #expect(output.standardError.contains("truncated gzip stream"), "\(output.transcript)")
    #expect(output.standardError.contains(Self.missingMessage + "\n"), "\(output.transcript)")
    #expect(try database.scalar("SELECT count(*) FROM name_basics") == "0")
  }

  @Test("standard input without dataset is rejected")
  func standardInputWithoutDataset() throws {
    guard Harness.checkAvailable() else { return }
    let ratings = Harness.fixtures + "/title.ratings.sample.tsv"
    let database = try TestDatabase()
    let (statuses, output) = try Self.runPipe(
      "\"$0\" --dataset title.ratings --stdout --quiet \"$1\" | \"$2\" --table x --create -",
      arguments: [Harness.tool("split"), ratings, Harness.tool("load")],
      database: database
    )
    #expect(statuses.last == "64", "\(output.transcript)")
    #expect(
      output.standardError.contains(
        "load: standard input does not name its dataset; pass --dataset, one of name.basics, "
      ),
      "\(output.transcript)"
    )
    #expect(try database.scalar("SELECT to_regclass('x') IS NULL") == "t")
  }

  @Test("ledger names the dataset of standard input")
  func ledgerNamesStandardInputDataset() throws {
    guard Harness.checkAvailable() else { return }
    let ratings = Harness.fixtures + "/title.ratings.sample.tsv"
    let database = try TestDatabase()
    let (first, created) = try Self.runPipe(
      "\"$0\" --dataset title.ratings --stdout --quiet \"$1\" "
        + "| \"$2\" --dataset title.ratings --table x --create -",
      arguments: [Harness.tool("split"), ratings, Harness.tool("load")],
      database: database
    )
    #expect(first == ["0", "0"], "\(created.transcript)")
    let rows = try database.scalar("SELECT count(*) FROM x")

    // The ledger records title.ratings for x, so a second stream needs no --dataset.
    let (second, appended) = try Self.runPipe(
      "\"$0\" --dataset title.ratings --stdout --quiet \"$1\" | \"$2\" --table x -",
      arguments: [Harness.tool("split"), ratings, Harness.tool("load")],
      database: database
    )
    #expect(second == ["0", "0"], "\(appended.transcript)")
    #expect(try database.scalar("SELECT count(*) FROM x") == rows)
  }
}
