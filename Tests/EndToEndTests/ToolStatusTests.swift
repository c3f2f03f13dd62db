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
