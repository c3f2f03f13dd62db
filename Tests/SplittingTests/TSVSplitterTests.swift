import Datasets
import Foundation
import StageKit
import Testing

@testable import Splitting

/// A temporary directory holding one input file, removed by the caller's scope ending.
struct Workspace {
  let path = FileManager.default.temporaryDirectory
    .appendingPathComponent("stageload-split-\(UUID().uuidString)").path

  init() throws {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  func write(_ text: String, to name: String) throws -> String {
    try write(Array(text.utf8), to: name)
  }

  func write(_ bytes: [UInt8], to name: String) throws -> String {
    let file = path + "/" + name
    try Data(bytes).write(to: URL(fileURLWithPath: file))
    return file
  }

  func read(_ name: String) -> String? {
    FileManager.default.contents(atPath: path + "/" + name).map {
      String(decoding: $0, as: UTF8.self)
    }
  }

  func split(
    _ input: String,
    dataset: Dataset = .nameBasics,
    rows: Int = 2,
    rejects: Bool = true,
    maximumLineLength: Int = LineReader.defaultMaximumLineLength
  ) throws -> SplitSummary {
    let splitter = TSVSplitter(
      dataset: dataset,
      destination: .chunks(directory: path + "/chunks", rowsPerChunk: rows),
      rejectsPath: rejects ? path + "/rejects.tsv" : nil
    )
    splitter.maximumLineLength = maximumLineLength
    return try splitter.run(input: FileInput(path: input))
  }
}

let header = Dataset.nameBasics.header + "\n"
let row1 = "nm1\tA\t1900\t\\N\tactor\ttt1\n"
let row2 = "nm2\tB\t\\N\t\\N\t\\N\t\\N\n"
let row1Copy = "nm1\tA\t1900\t\\N\t{actor}\t{tt1}\n"
let row3 = "nm3\tC\t1950\t2000\tactress,writer\ttt2,tt3\n"

@Suite struct TSVSplitterTests {
  @Test("chunks, manifest and makefile fragment")
  func chunksAndManifest() throws {
    let workspace = try Workspace()
    let input = try workspace.write(header + row1 + row2 + row3, to: "in.tsv")
    let summary = try workspace.split(input)
    #expect(summary.rowsRead == 3)
    #expect(summary.rowsWritten == 3)
    #expect(summary.chunks == 2)

    let manifest = try Manifest.read(from: workspace.path + "/chunks/manifest.tsv")
    #expect(manifest.entries.map(\.chunk) == ["000001.copy", "000002.copy"])
    #expect(manifest.entries.map(\.firstLine) == [2, 4])
    #expect(manifest.entries.map(\.rows) == [2, 1])
    #expect(manifest.entries.map(\.lastLine) == [3, 4])

    let second = workspace.read("chunks/000002.copy")
    #expect(second == "nm3\tC\t1950\t2000\t{actress,writer}\t{tt2,tt3}\n")
    let digest = SHA256()
    digest.update(Array((second ?? "").utf8))
    #expect(manifest.entries[1].sha256 == digest.finalizeHex())

    #expect(
      workspace.read("chunks/chunks.mk")?.hasSuffix("name.basics.chunks := 000001 000002\n")
        == true
    )
  }

  @Test("chunks announced before the manifest")
  func chunksAnnounced() throws {
    let workspace = try Workspace()
    let input = try workspace.write(header + row1 + row2 + row3, to: "in.tsv")
    let splitter = TSVSplitter(
      dataset: .nameBasics,
      destination: .chunks(directory: workspace.path + "/chunks", rowsPerChunk: 2),
      rejectsPath: nil
    )
    var announced: [Manifest.Entry] = []
    splitter.onChunk = { entry in
      // The chunk is there under its final name, and its digest matches;
      // the manifest is not written yet.
      let bytes = workspace.read("chunks/" + entry.chunk) ?? ""
      let digest = SHA256()
      digest.update(Array(bytes.utf8))
      #expect(digest.finalizeHex() == entry.sha256)
      #expect(workspace.read("chunks/manifest.tsv") == nil)
      announced.append(entry)
    }
    _ = try splitter.run(input: FileInput(path: input))
    let manifest = try Manifest.read(from: workspace.path + "/chunks/manifest.tsv")
    #expect(announced == manifest.entries)
    #expect(announced.count == 2)
  }

  @Test("stale chunks of an earlier split are removed")
  func staleChunksRemoved() throws {
    let workspace = try Workspace()
    let input = try workspace.write(header + row1 + row2 + row3, to: "in.tsv")
    _ = try workspace.split(input, rows: 1)
    #expect(workspace.read("chunks/000003.copy") != nil)
    _ = try workspace.split(input, rows: 3)
    #expect(workspace.read("chunks/000002.copy") == nil)
    #expect(workspace.read("chunks/000003.copy") == nil)
  }

  @Test("CRLF, BOM and missing final newline")
  func lineEndingsAndBOM() throws {
    let workspace = try Workspace()
    let text =
      "\u{FEFF}" + header.replacingOccurrences(of: "\n", with: "\r\n")
      + row1.replacingOccurrences(of: "\n", with: "\r\n") + row2.dropLast()
    let input = try workspace.write(text, to: "in.tsv")
    let summary = try workspace.split(input)
    #expect(summary.rowsWritten == 2)
    #expect(
      workspace.read("chunks/000001.copy")
        == "nm1\tA\t1900\t\\N\t{actor}\t{tt1}\nnm2\tB\t\\N\t\\N\t\\N\t\\N\n"
    )
  }

  @Test("bad rows go to rejects with line numbers")
  func badRowsRejected() throws {
    let workspace = try Workspace()
    let text = header + row1 + "nm9\tbad\n" + "\n" + "nm8\tX\tabc\t\\N\t\\N\t\\N\n" + row2
    let input = try workspace.write(text, to: "in.tsv")
    let summary = try workspace.split(input, rows: 10)
    #expect(summary.rowsRead == 5)
    #expect(summary.rowsWritten == 2)
    #expect(summary.rowsRejected == 3)
    // Rejected lines 3, 4 and 5 sit inside the chunk, so its last row is
    // on line 6 and its lines no longer map to source lines by an offset.
    let entry = try Manifest.read(from: workspace.path + "/chunks/manifest.tsv").entries.first
    #expect(entry?.lastLine == 6)
    #expect(entry?.sourceLine(ofChunkLine: 2) == nil)

    let lines = workspace.read("rejects.tsv")?.split(separator: "\n").map(String.init) ?? []
    #expect(lines.count == 4)
    #expect(lines.first == "line\tcolumn\treason\trow")
    #expect(lines.dropFirst().first == "3\t\\N\texpected 6 fields, found 2\tnm9\\tbad")
    #expect(lines.dropFirst(2).first == "4\t\\N\tblank line\t")
    #expect(lines.last?.hasPrefix("5\tbirth_year\tinvalid year 'abc'") == true)
  }

  @Test("rejected bytes are escaped so COPY can load them")
  func rejectedBytesEscaped() throws {
    let workspace = try Workspace()
    let invalid = Array("nm1\tBad ".utf8) + [0xff] + Array(" Zoë\t1900\t\\N\t\\N\t\\N\n".utf8)
    let nul = Array("nm2\tNUL".utf8) + [0x00, 0x01] + Array("\t1900\t\\N\t\\N\t\\N\n".utf8)
    let input = try workspace.write(Array(header.utf8) + invalid + nul, to: "in.tsv")
    _ = try workspace.split(input)

    let lines = workspace.read("rejects.tsv")?.split(separator: "\n").map(String.init) ?? []
    #expect(lines.count == 3)
    // In COPY text `\\xff` is a backslash and "xff"; a lone `\xff` would
    // be the byte 0xff, which a UTF-8 database rejects.
    #expect(
      lines.dropFirst().first
        == "2\tprimary_name\tinvalid UTF-8 at byte 9 of the line\t"
        + "nm1\\tBad \\\\xff Zoë\\t1900\\t\\\\N\\t\\\\N\\t\\\\N"
    )
    #expect(
      lines.last
        == "3\tprimary_name\tNUL byte in value\t"
        + "nm2\\tNUL\\\\x00\\x01\\t1900\\t\\\\N\\t\\\\N\\t\\\\N"
    )
  }

  @Test("bad row without rejects file names the line")
  func badRowWithoutRejects() throws {
    let workspace = try Workspace()
    let input = try workspace.write(header + row1 + "nm9\tbad\n", to: "in.tsv")
    #expect(
      throws: SplitError.invalidRow(
        path: input,
        line: 3,
        rejection: Rejection(reason: "expected 6 fields, found 2")
      )
    ) {
      try workspace.split(input, rejects: false)
    }
  }

  @Test("wrong header names expected and found")
  func wrongHeader() throws {
    let workspace = try Workspace()
    let input = try workspace.write("tconst\tfoo\n" + row1, to: "in.tsv")
    #expect(
      throws: SplitError.headerMismatch(
        path: input,
        expected: Dataset.nameBasics.header,
        found: "tconst\tfoo"
      )
    ) {
      try workspace.split(input)
    }
    #expect(workspace.read("chunks/manifest.tsv") == nil)
  }

  @Test("empty input is an error")
  func emptyInput() throws {
    let workspace = try Workspace()
    let input = try workspace.write("", to: "in.tsv")
    #expect(throws: SplitError.emptyInput(path: input, dataset: "name.basics")) {
      try workspace.split(input)
    }
  }

  @Test("header only gives an empty manifest")
  func headerOnly() throws {
    let workspace = try Workspace()
    let input = try workspace.write(header, to: "in.tsv")
    let summary = try workspace.split(input)
    #expect(summary.rowsRead == 0)
    #expect(summary.chunks == 0)
    #expect(workspace.read("chunks/manifest.tsv") == Manifest.header + "\n")
  }

  @Test("line longer than the read buffer")
  func longLine() throws {
    let workspace = try Workspace()
    let name = String(repeating: "x", count: LineReader.blockSize + 10)
    let longRow = "nm1\t\(name)\t\\N\t\\N\t\\N\t\\N\n"
    let input = try workspace.write(header + longRow + row2, to: "in.tsv")
    let summary = try workspace.split(input, rows: 10)
    #expect(summary.rowsWritten == 2)
    #expect(workspace.read("chunks/000001.copy") == longRow + row2)
  }

  /// Returns a row of `LineReader.blockSize + extra` bytes, for a split
  /// whose line limit is `LineReader.blockSize`.
  static func overlongRow(extra: Int) -> String {
    let name = String(repeating: "y", count: LineReader.blockSize + extra - 16)
    return "nm9\t\(name)\t\\N\t\\N\t\\N\t\\N"
  }

  @Test("overlong row is rejected and the split goes on", arguments: [0, 1, 3 << 20])
  func overlongRowRejected(extra: Int) throws {
    let workspace = try Workspace()
    let row = Self.overlongRow(extra: extra)
    #expect(row.utf8.count == LineReader.blockSize + extra)
    let input = try workspace.write(header + row1 + row + "\r\n" + row2, to: "in.tsv")
    let summary = try workspace.split(input, rows: 10, maximumLineLength: LineReader.blockSize)
    #expect(summary.rowsRead == 3)
    #expect(summary.rowsWritten == 2)
    #expect(summary.rowsRejected == 1)
    #expect(workspace.read("chunks/000001.copy") == row1Copy + row2)
    let rejected = workspace.read("rejects.tsv")?.split(separator: "\n").dropFirst() ?? []
    #expect(rejected.count == 1)
    let fields = rejected.first?.split(separator: "\t").map(String.init) ?? []
    #expect(
      fields == [
        "3", "\\N", "line is 1 MiB or longer; the row here is its first 1024 bytes",
        "nm9\\t" + String(repeating: "y", count: 1020),
      ]
    )
  }

  @Test("overlong last line without newline")
  func overlongLastLine() throws {
    let workspace = try Workspace()
    let input = try workspace.write(
      header + row1 + Self.overlongRow(extra: 5),
      to: "in.tsv"
    )
    let summary = try workspace.split(input, rows: 10, maximumLineLength: LineReader.blockSize)
    #expect(summary.rowsRead == 2)
    #expect(summary.rowsRejected == 1)
    #expect(workspace.read("chunks/000001.copy") == row1Copy)
  }

  @Test("overlong row without rejects names the file")
  func overlongRowWithoutRejects() throws {
    let workspace = try Workspace()
    let input = try workspace.write(header + Self.overlongRow(extra: 1) + "\n", to: "in.tsv")
    #expect(throws: SplitError.lineTooLong(path: input, line: 2, limit: LineReader.blockSize)) {
      try workspace.split(input, rejects: false, maximumLineLength: LineReader.blockSize)
    }
    let error = SplitError.lineTooLong(path: input, line: 2, limit: 64 << 20)
    #expect(
      error.description
        == "\(input): line 2: line is 64 MiB or longer; pass --rejects FILE to skip such rows"
    )
  }

  @Test("overlong header stops even with rejects")
  func overlongHeader() throws {
    let workspace = try Workspace()
    let input = try workspace.write(Self.overlongRow(extra: 0) + "\n" + row1, to: "in.tsv")
    #expect(throws: SplitError.lineTooLong(path: input, line: 1, limit: LineReader.blockSize)) {
      try workspace.split(input, maximumLineLength: LineReader.blockSize)
    }
    #expect(workspace.read("rejects.tsv") == nil)
  }
}
