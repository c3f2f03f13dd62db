import Foundation
import Testing

/// Exit statuses and messages of the real split and inflate executables.
@Suite(.enabled(if: Harness.binDirectory != nil))
struct ToolStatusTests {
  static let nameBasicsHeader =
    "nconst\tprimaryName\tbirthYear\tdeathYear\tprimaryProfession\tknownForTitles"
  static let titleRatingsHeader = "tconst\taverageRating\tnumVotes"

  /// Writes `bytes` to a new temporary file and returns its path.
  static func temporaryFile(_ bytes: [UInt8], name: String) throws -> String {
    let path = try Harness.temporaryDirectory("tool") + "/" + name
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
  }

  /// Returns a gzip of the name.basics sample, made by gzip(1).
  static func sampleGzip() throws -> [UInt8] {
    let path = try Harness.temporaryDirectory("tool") + "/sample.tsv.gz"
    let sample = Harness.fixtures + "/name.basics.sample.tsv"
    let result = try run(["sh", "-c", "gzip -n -c \"$0\" > \"$1\"", sample, path])
    guard result.status == 0 else { throw HarnessError("gzip failed: \(result.transcript)") }
    return try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
  }

  /// Writes `text` to a new ratings.tsv and runs `split --stdout` on it as
  /// `dataset`.
  static func runSplit(_ text: String, dataset: String) throws -> (
    input: String, result: ProcessOutput
  ) {
    let input = try temporaryFile(Array(text.utf8), name: "ratings.tsv")
    let result = try run([Harness.tool("split"), "--dataset", dataset, "--stdout", input])
    return (input, result)
  }

  /// Writes `gzip` to a new file called `name` and runs `inflate --test` on it.
  static func runInflateTest(_ gzip: [UInt8], name: String) throws -> (
    input: String, result: ProcessOutput
  ) {
    let input = try temporaryFile(gzip, name: name)
    let result = try run([Harness.tool("inflate"), "--test", input])
    return (input, result)
  }

  @Test("split wrong header exits 65")
  func splitWrongHeader() throws {
    let (input, result) = try Self.runSplit(
      "\(Self.titleRatingsHeader)\ntt1\t5.0\t3\n",
      dataset: "name.basics"
    )
    #expect(result.status == 65)
    #expect(result.standardOutput.isEmpty)
    let expected = Self.nameBasicsHeader.replacingOccurrences(of: "\t", with: " | ")
    #expect(
      result.standardError
        == "split: \(input): line 1: header does not match; expected '\(expected)', "
        + "found 'tconst | averageRating | numVotes'; check --dataset and the input file\n"
    )
  }

  @Test("split --input-name names standard input")
  func splitInputName() throws {
    let input = try Self.temporaryFile(Array("nconst\tname\n".utf8), name: "wrong.tsv")
    let result = try run([
      "sh", "-c", "exec \"$0\" --dataset title.ratings --stdout --input-name download.gz < \"$1\"",
      Harness.tool("split"), input,
    ])
    #expect(result.status == 65)
    #expect(
      result.standardError.hasPrefix("split: download.gz: line 1: header does not match"),
      "\(result.transcript)"
    )
  }

  @Test("split --input-name with FILE exits 64")
  func splitInputNameWithFile() throws {
    let input = try Self.temporaryFile(
      Array("tconst\taverageRating\tnumVotes\n".utf8),
      name: "r.tsv"
    )
    let result = try run([
      Harness.tool("split"), "--dataset", "title.ratings", "--stdout", "--input-name", "x", input,
    ])
    #expect(result.status == 64)
    #expect(
      result.standardError.hasPrefix("split: --input-name names standard input, but FILE"),
      "\(result.transcript)"
    )
  }

  @Test("split bad row without rejects exits 65")
  func splitBadRow() throws {
    let (input, result) = try Self.runSplit(
      "\(Self.titleRatingsHeader)\ntt1\t5.0\t3\ntt2\tgood\t3\n",
      dataset: "title.ratings"
    )
    #expect(result.status == 65)
    #expect(
      result.standardError.hasPrefix(
        "split: \(input): line 3: column average_rating: invalid rating 'good'"
      ),
      "\(result.transcript)"
    )
  }

  /// Writes a title.ratings file whose line 3 has 64 MiB and 5 bytes.
  static func overlongRatings() throws -> String {
    let path = try Harness.temporaryDirectory("tool") + "/long.tsv"
    var text = Data("\(titleRatingsHeader)\ntt1\t5.0\t3\ntt2\t".utf8)
    text.append(Data(repeating: UInt8(ascii: "9"), count: (64 << 20) + 1))
    text.append(Data("\ntt3\t7.5\t10\n".utf8))
    try text.write(to: URL(fileURLWithPath: path))
    return path
  }

  @Test("split overlong line names the file")
  func splitOverlongLine() throws {
    let input = try Self.overlongRatings()
    let result = try run([Harness.tool("split"), "--dataset", "title.ratings", "--stdout", input])
    #expect(result.status == 65)
    #expect(
      result.standardError
        == "split: \(input): line 3: line is 64 MiB or longer; "
        + "pass --rejects FILE to skip such rows\n"
    )
  }

  @Test("split rejects an overlong line and goes on")
  func splitOverlongLineRejected() throws {
    let input = try Self.overlongRatings()
    let rejects = input + ".rejects"
    let result = try run([
      Harness.tool("split"), "--dataset", "title.ratings", "--stdout", "--rejects", rejects, input,
    ])
    #expect(result.status == 0, "\(result.transcript)")
    #expect(result.standardOutput == "tt1\t5.0\t3\ntt3\t7.5\t10\n\\.\n")
    #expect(
      result.standardError.hasPrefix(
        "split: title.ratings: 3 rows read, 2 written, 1 rejected"
      )
    )
    let lines = try String(contentsOfFile: rejects, encoding: .utf8).split(separator: "\n")
      .map(String.init)
    #expect(lines.count == 2)
    #expect(
      lines.last
        == "3\t\\N\tline is 64 MiB or longer; the row here is its first 1024 bytes\t"
        + "tt2\\t" + String(repeating: "9", count: 1020)
    )
  }

  @Test("split --out on a regular file exits 73")
  func splitOutOnFile() throws {
    let file = try Self.temporaryFile([], name: "afile")
    let input = try Self.temporaryFile(Array("\(Self.titleRatingsHeader)\n".utf8), name: "in.tsv")
    for out in [file, file + "/chunks"] {
      let result = try run([
        Harness.tool("split"), "--dataset", "title.ratings", "--out", out, input,
      ])
      #expect(result.status == 73)
      #expect(result.standardError == "split: \(out): cannot create directory: Not a directory\n")
    }
  }

  @Test("split counts one row in the singular")
  func splitOneRow() throws {
    let (_, result) = try Self.runSplit(
      "\(Self.titleRatingsHeader)\ntt1\t5.0\t3\n",
      dataset: "title.ratings"
    )
    #expect(result.status == 0)
    #expect(
      result.standardError.hasPrefix("split: title.ratings: 1 row read, 1 written, 0 rejected")
    )
  }

  @Test("report status counts one row in the singular")
  func reportOneRow() throws {
    let work = try Harness.temporaryDirectory("report")
    try FileManager.default.createDirectory(
      atPath: work + "/chunks/title.ratings",
      withIntermediateDirectories: true
    )
    let manifest = "chunk\tfirst_line\trows\tsha256\tlast_line\n000001.copy\t2\t1\tabc\t2\n"
    try manifest.write(
      toFile: work + "/chunks/title.ratings/manifest.tsv",
      atomically: true,
      encoding: .utf8
    )
    let result = try run([
      Harness.projectRoot + "/stages/report.sh", "status", work, "title.ratings=title_ratings",
    ])
    #expect(result.status == 0, "\(result.transcript)")
    #expect(
      result.standardOutput
        == """
        title.ratings: 1 chunk: 0 loaded, 1 pending, not published; 0 of 1 row loaded; 0 rejected
        title.ratings: 1 chunk not loaded; run make again to load it

        """
    )
  }

  @Test("inflate truncated gzip exits 65")
  func inflateTruncated() throws {
    let gzip = try Self.sampleGzip()
    let cut = gzip.count - 100
    let input = try Self.temporaryFile(Array(gzip.prefix(cut)), name: "cut.tsv.gz")
    let output = input + ".tsv"
    let result = try run([Harness.tool("inflate"), "-o", output, input])
    #expect(result.status == 65)
    #expect(
      result.standardError.contains("truncated gzip stream: input ends at byte \(cut)"),
      "\(result.transcript)"
    )
    #expect(!FileManager.default.fileExists(atPath: output))
    #expect(!FileManager.default.fileExists(atPath: output + ".part"))
  }

  @Test("inflate --test accepts a good file")
  func inflateTestGood() throws {
    let (input, result) = try Self.runInflateTest(try Self.sampleGzip(), name: "good.tsv.gz")
    #expect(result.status == 0, "\(result.transcript)")
    #expect(result.standardOutput.isEmpty)
    #expect(result.standardError.hasPrefix("inflate: \(input): ok, 1 member"))
  }

  @Test("inflate --test rejects a bad CRC-32")
  func inflateTestBadChecksum() throws {
    var gzip = try Self.sampleGzip()
    // The trailer's first four bytes are the CRC-32 of the member's data.
    gzip[gzip.count - 8] ^= 0xff
    let (input, result) = try Self.runInflateTest(gzip, name: "bad.tsv.gz")
    #expect(result.status == 65)
    #expect(result.standardOutput.isEmpty)
    #expect(
      result.standardError.hasPrefix("inflate: \(input): corrupt gzip data near byte"),
      "\(result.transcript)"
    )
  }

  @Test("inflate --test rejects a truncated file")
  func inflateTestTruncated() throws {
    let gzip = try Self.sampleGzip()
    let (_, result) = try Self.runInflateTest(Array(gzip.dropLast(4)), name: "short.tsv.gz")
    #expect(result.status == 65)
    #expect(
      result.standardError.contains("input ends at byte \(gzip.count - 4)"),
      "\(result.transcript)"
    )
  }
}
