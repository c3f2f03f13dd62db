import Datasets
import Foundation
import Testing

@testable import Splitting

/// The result of converting one line: the COPY bytes, or nil when rejected.
private struct Conversion: Equatable {
  var output: [UInt8]?
}

/// Converts `line` with the one-pass scanner only, reading nothing past
/// the line's end.
///
/// It also converts the line followed by readable bytes, as `LineReader`
/// hands lines out: LF, CR or NUL, then plain letters and bytes that some
/// scans stop at. It records a failure when the results differ.
private func convertInOnePass(_ line: [UInt8], dataset: Dataset) -> Conversion {
  let unpadded = convertInOnePass(line, readablePastEnd: 0, dataset: dataset)
  let rest: [UInt8] = bytes("abc\t,{\"") + [0x0d, 0xff, 0x20, 0x7d, 0x5c, 0x00, 0x80, 0x61]
  for end: UInt8 in [0x0a, 0x0d, 0x00] {
    let padded = convertInOnePass(
      line + [end] + rest,
      readablePastEnd: 1 + rest.count,
      dataset: dataset
    )
    #expect(padded == unpadded, "with byte \(end) and more after the line")
  }
  return unpadded
}

/// Converts the first `bytes.count - readablePastEnd` bytes of `bytes`
/// with the one-pass scanner, which may read the rest.
private func convertInOnePass(
  _ bytes: [UInt8],
  readablePastEnd: Int,
  dataset: Dataset
) -> Conversion {
  let output = ByteBuffer(capacity: 16)
  let accepted = bytes.withUnsafeBufferPointer {
    let line = UnsafeBufferPointer(rebasing: $0[..<($0.count - readablePastEnd)])
    return RowConverter(dataset: dataset).convertInOnePass(
      line,
      readablePastEnd: readablePastEnd,
      into: output
    )
  }
  guard accepted else { return Conversion(output: output.count == 0 ? nil : [0xff]) }
  return Conversion(output: Array(output.bytes))
}

/// Converts `line` with the rule-by-rule reference only.
private func convertRuleByRule(_ line: [UInt8], dataset: Dataset) -> Conversion {
  let output = ByteBuffer(capacity: 16)
  let rejection = line.withUnsafeBufferPointer {
    RowConverter(dataset: dataset).convertRuleByRule($0, into: output)
  }
  return Conversion(output: rejection == nil ? Array(output.bytes) : nil)
}

/// A line to convert both ways, and whether it is valid.
struct ScanCase: CustomTestStringConvertible, Sendable {
  var name: String
  var dataset: Dataset
  var line: [UInt8]
  var isValid: Bool
  var testDescription: String { name }
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Builds a name.basics row with the given name, professions and titles fields.
private func person(
  name: [UInt8] = bytes("A"),
  professions: [UInt8] = bytes("actor"),
  titles: [UInt8] = bytes("tt1")
) -> [UInt8] {
  bytes("nm1\t") + name + bytes("\t1900\t\\N\t") + professions + bytes("\t") + titles
}

private let validSequences: [(String, [UInt8])] = [
  ("2-byte", [0xc3, 0xa9]), ("3-byte", [0xe2, 0x82, 0xac]), ("4-byte", [0xf0, 0x9f, 0x98, 0x80]),
]

private let invalidSequences: [(String, [UInt8])] = [
  ("lone continuation", [0x80]), ("truncated 2-byte", [0xc3]), ("truncated 3-byte", [0xe2, 0x82]),
  ("overlong", [0xc0, 0xaf]), ("surrogate", [0xed, 0xa0, 0x80]),
  ("above U+10FFFF", [0xf4, 0x90, 0x80, 0x80]), ("byte 0xff", [0xff]),
]

/// Returns cases at every offset within a word, for the edges of the 8-byte scan.
private func wordEdgeCases() -> [ScanCase] {
  var cases: [ScanCase] = []
  for length in 0...17 {
    let text = [UInt8](repeating: UInt8(ascii: "a"), count: length)
    cases.append(
      ScanCase(
        name: "text of \(length) bytes",
        dataset: .nameBasics,
        line: person(name: text),
        isValid: true
      )
    )
    if length > 0 {
      cases.append(
        ScanCase(
          name: "list elements of \(length) bytes",
          dataset: .nameBasics,
          line: person(professions: text, titles: text + bytes(",") + text),
          isValid: true
        )
      )
    }
  }
  for offset in 0...15 {
    let before = [UInt8](repeating: UInt8(ascii: "b"), count: offset)
    for (label, special) in [("backslash", bytes("\\")), ("CR", [0x0d]), ("0x01", [0x01])] {
      cases.append(
        ScanCase(
          name: "\(label) at byte \(offset) of text",
          dataset: .nameBasics,
          line: person(name: before + special + bytes("c")),
          isValid: true
        )
      )
      cases.append(
        ScanCase(
          name: "\(label) at byte \(offset) of a list",
          dataset: .nameBasics,
          line: person(titles: bytes("x,") + before + special + bytes("c,y")),
          isValid: true
        )
      )
    }
    cases.append(
      ScanCase(
        name: "NUL at byte \(offset) of text",
        dataset: .nameBasics,
        line: person(name: before + [0] + bytes("c")),
        isValid: false
      )
    )
    cases.append(
      ScanCase(
        name: "empty element after byte \(offset) of a list",
        dataset: .nameBasics,
        line: person(titles: before + bytes(",,c")),
        isValid: false
      )
    )
    cases.append(
      ScanCase(
        name: "empty last element after \(offset) bytes",
        dataset: .nameBasics,
        line: person(
          professions: before + bytes(","),
          titles: bytes("a\\b,") + before + bytes(",")
        ),
        isValid: false
      )
    )
    cases.append(
      ScanCase(
        name: "NUL at byte \(offset) of a list",
        dataset: .nameBasics,
        line: person(titles: before + [0]),
        isValid: false
      )
    )
  }
  for offset in 0...9 {
    let before = [UInt8](repeating: UInt8(ascii: "d"), count: offset)
    for (label, sequence) in validSequences {
      cases.append(
        ScanCase(
          name: "\(label) UTF-8 at byte \(offset) of text",
          dataset: .nameBasics,
          line: person(name: before + sequence + bytes("e")),
          isValid: true
        )
      )
      cases.append(
        ScanCase(
          name: "\(label) UTF-8 at byte \(offset) of a list",
          dataset: .nameBasics,
          line: person(titles: before + sequence + bytes(",f")),
          isValid: true
        )
      )
      cases.append(
        ScanCase(
          name: "\(label) UTF-8 ending the line after \(offset) bytes",
          dataset: .nameBasics,
          line: person(titles: before + sequence),
          isValid: true
        )
      )
    }
    for (label, sequence) in invalidSequences {
      cases.append(
        ScanCase(
          name: "\(label) at byte \(offset) of text",
          dataset: .nameBasics,
          line: person(name: before + sequence + bytes("e")),
          isValid: false
        )
      )
      cases.append(
        ScanCase(
          name: "\(label) at byte \(offset) of a list",
          dataset: .nameBasics,
          line: person(professions: before + sequence + bytes(",f")),
          isValid: false
        )
      )
      cases.append(
        ScanCase(
          name: "\(label) ending the line after \(offset) bytes",
          dataset: .nameBasics,
          line: person(titles: before + sequence),
          isValid: false
        )
      )
    }
  }
  return cases
}

/// Returns one case per list rule, field count rule and column type.
private func ruleCases() -> [ScanCase] {
  let lists: [(String, Bool)] = [
    ("", true), (",", false), ("a,", false), (",a", false), ("a,,b", false), ("NULL", true),
    ("null,x", true), ("x,NuLl", true), ("nulx", true), ("a b", true), ("a\"b", true),
    ("a\\b", true), ("{a}", true), ("a\u{1}b", true), ("a\u{b}b", true), ("a!b", true),
    ("a|b", true), ("a~b", true), ("a\u{7f}b", true), ("\\N", true), ("\\N,a", true),
    ("a,\\N", true), ("a\rb", true),
  ]
  var cases = lists.map { list, isValid in
    ScanCase(
      name: "list '\(list.debugDescription)'",
      dataset: .nameBasics,
      line: person(titles: bytes(list)),
      isValid: isValid
    )
  }
  func akas(_ types: String, _ attributes: String, ordering: String = "1", original: String = "0")
    -> [UInt8]
  {
    bytes("tt1\t\(ordering)\tT\tUS\ten\t\(types)\t\(attributes)\t\(original)")
  }
  cases += [
    ScanCase(
      name: "0x02 lists",
      dataset: .titleAkas,
      line: akas("a\u{2}b", "c,d\u{2}e"),
      isValid: true
    ),
    ScanCase(
      name: "0x02 list of two empty elements",
      dataset: .titleAkas,
      line: akas("\u{2}", "\\N"),
      isValid: false
    ),
    ScanCase(
      name: "0x02 list ending in an empty element",
      dataset: .titleAkas,
      line: akas("\\N", "x\u{2}"),
      isValid: false
    ),
    ScanCase(
      name: "0x02 list with a comma and an empty element",
      dataset: .titleAkas,
      line: akas("a,b\u{2}\u{2}c", "\\N"),
      isValid: false
    ),
    ScanCase(
      name: "empty key text",
      dataset: .titleAkas,
      line: bytes("\t1\tT\tUS\ten\t\\N\t\\N\t0"),
      isValid: false
    ),
    ScanCase(
      name: "empty key integer",
      dataset: .titleAkas,
      line: akas("\\N", "\\N", ordering: ""),
      isValid: false
    ),
    ScanCase(
      name: "0x02 list of one",
      dataset: .titleAkas,
      line: akas("dvd", "\\N"),
      isValid: true
    ),
    ScanCase(
      name: "largest integer",
      dataset: .titleAkas,
      line: akas("\\N", "\\N", ordering: "2147483647"),
      isValid: true
    ),
    ScanCase(
      name: "integer too large",
      dataset: .titleAkas,
      line: akas("\\N", "\\N", ordering: "2147483648"),
      isValid: false
    ),
    ScanCase(
      name: "integer of 11 digits",
      dataset: .titleAkas,
      line: akas("\\N", "\\N", ordering: "00000000001"),
      isValid: false
    ),
    ScanCase(
      name: "negative integer",
      dataset: .titleAkas,
      line: akas("\\N", "\\N", ordering: "-1"),
      isValid: false
    ),
    ScanCase(
      name: "NULL in required integer",
      dataset: .titleAkas,
      line: akas("\\N", "\\N", ordering: "\\N"),
      isValid: false
    ),
    ScanCase(
      name: "boolean 1",
      dataset: .titleAkas,
      line: akas("\\N", "\\N", original: "1"),
      isValid: true
    ),
    ScanCase(
      name: "boolean 2",
      dataset: .titleAkas,
      line: akas("\\N", "\\N", original: "2"),
      isValid: false
    ),
    ScanCase(
      name: "boolean 01",
      dataset: .titleAkas,
      line: akas("\\N", "\\N", original: "01"),
      isValid: false
    ),
    ScanCase(
      name: "empty boolean",
      dataset: .titleAkas,
      line: akas("\\N", "\\N", original: ""),
      isValid: false
    ),
  ]
  for (year, isValid) in [
    ("0", false), ("1", true), ("9999", true), ("10000", false), ("0012", true), ("", false),
    ("19a0", false), ("\\Nx", false),
  ] {
    cases.append(
      ScanCase(
        name: "year '\(year)'",
        dataset: .nameBasics,
        line: bytes("nm1\tA\t\(year)\t\\N\tactor\ttt1"),
        isValid: isValid
      )
    )
  }
  for (rating, isValid) in [
    ("0", true), ("10", true), ("10.0", true), ("10.1", false), ("9.95", false), (".5", false),
    ("7.", false), ("7.5", true),
  ] {
    cases.append(
      ScanCase(
        name: "rating '\(rating)'",
        dataset: .titleRatings,
        line: bytes("tt1\t\(rating)\t12"),
        isValid: isValid
      )
    )
  }
  cases += [
    ScanCase(
      name: "line shorter than a word",
      dataset: .titleRatings,
      line: bytes("t\t1\t1"),
      isValid: true
    ),
    ScanCase(name: "empty line", dataset: .titleRatings, line: [], isValid: false),
    ScanCase(
      name: "too few fields",
      dataset: .titleRatings,
      line: bytes("tt1\t1.0"),
      isValid: false
    ),
    ScanCase(
      name: "too many fields",
      dataset: .titleRatings,
      line: bytes("tt1\t1.0\t2\t"),
      isValid: false
    ),
    ScanCase(
      name: "NULL in required text",
      dataset: .titleRatings,
      line: bytes("\\N\t1.0\t2"),
      isValid: false
    ),
    ScanCase(
      name: "empty key before a tab",
      dataset: .titleRatings,
      line: bytes("\t1.0\t2"),
      isValid: false
    ),
    ScanCase(
      name: "empty key of a one-column line",
      dataset: .titleRatings,
      line: bytes("\t\t"),
      isValid: false
    ),
  ]
  for (json, isValid) in [
    ("[\"Self\"]", true), ("[\"a\\\\b\",\"c\"]", true), ("[", false), ("[\"é\"]", true),
    ("[\"x\"]y", false), ("[]", true),
  ] {
    cases.append(
      ScanCase(
        name: "JSON '\(json)'",
        dataset: .titlePrincipals,
        line: bytes("tt1\t1\tnm1\tself\t\\N\t\(json)"),
        isValid: isValid
      )
    )
  }
  return cases
}

/// A small deterministic generator (xorshift64*), so that failures repeat.
private struct SeededGenerator: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state ^= state >> 12
    state ^= state << 25
    state ^= state >> 27
    return state &* 0x2545_f491_4f6c_dd1d
  }
}

@Suite struct RowScannerTests {
  static let cases = wordEdgeCases() + ruleCases()

  @Test("one pass agrees with rule by rule", arguments: cases)
  func agreesWithRules(testCase: ScanCase) {
    let onePass = convertInOnePass(testCase.line, dataset: testCase.dataset)
    let reference = convertRuleByRule(testCase.line, dataset: testCase.dataset)
    #expect(onePass == reference)
    #expect((reference.output != nil) == testCase.isValid)
  }

  @Test("known outputs at word edges")
  func knownOutputs() {
    let line = person(
      name: bytes("12345678\\x\r"),
      professions: bytes("abcdefgh,12345678"),
      titles: bytes("null,abcdefg,\u{e9}")
    )
    let expected =
      "nm1\t12345678\\\\x\\r\t1900\t\\N\t{abcdefgh,12345678}\t{\"null\",abcdefg,\u{e9}}\n"
    #expect(convertInOnePass(line, dataset: .nameBasics).output == bytes(expected))
  }

  @Test("stop bytes at every block position")
  func stopBytesAtEveryPosition() {
    // A byte that stops a scan goes at each position of text and list
    // values of 1 to 40 bytes. It so falls in every lane of a 16-byte
    // block, in a word after the blocks, and on both sides of a boundary.
    let stops: [[UInt8]] = [
      [0x5c], [0x0d], [0x2c], [0x22], [0x7b], [0x20], [0x21], [0x00], [0x01], [0x80],
      [0xc3, 0xa9], bytes("NULL"),
    ]
    var disagreements: [String] = []
    for length in 1...40 {
      for position in 0..<length {
        for stop in stops {
          var value = [UInt8](repeating: UInt8(ascii: "a"), count: length)
          value.replaceSubrange(position..<min(length, position + stop.count), with: stop)
          let lines = [
            person(name: value),
            person(professions: value),
            person(titles: value),
            person(name: value, professions: value + bytes(",x"), titles: bytes("y,") + value),
          ]
          for line in lines {
            let onePass = convertInOnePass(line, dataset: .nameBasics)
            if onePass != convertRuleByRule(line, dataset: .nameBasics) {
              disagreements.append(String(decoding: line, as: UTF8.self).debugDescription)
            }
          }
        }
      }
    }
    #expect(disagreements.isEmpty)
  }

  @Test("lines across the read buffer")
  func linesAcrossReadBuffer() throws {
    // Rows of many lengths, some ending in CRLF, fill three read blocks, so
    // that lines straddle each block boundary; the last has no newline.
    var random = SeededGenerator(state: 42)
    var input = bytes(Dataset.nameBasics.header + "\n")
    var expected: [UInt8] = []
    var row = 0
    while input.count < 3 * LineReader.blockSize + 100 {
      row += 1
      let name = (0..<Int.random(in: 0...40, using: &random)).flatMap { _ in
        bytes(["a", "b", "\\", "\r", "\u{e9}"].randomElement(using: &random)!)
      }
      let titles = (0..<Int.random(in: 1...5, using: &random)).map { "tt\($0 * 7919 % 1000)" }
      let line = person(name: bytes("x") + name, titles: bytes(titles.joined(separator: ",")))
      expected += convertRuleByRule(line, dataset: .nameBasics).output ?? []
      input += line + (row % 5 == 0 ? [0x0d, 0x0a] : [0x0a])
    }
    input.removeLast()
    if input.last == 0x0d { input.removeLast() }

    let workspace = try Workspace()
    let path = try workspace.write(input, to: "in.tsv")
    let summary = try workspace.split(path, rows: 10_000)
    #expect(summary.rowsWritten == row)
    #expect(summary.rowsRejected == 0)
    #expect(Array(try workspace.chunkText().utf8) == expected)
  }

  @Test("generated rows agree with rule by rule", arguments: Dataset.all)
  func generatedRows(dataset: Dataset) throws {
    let path = CopyChunkTests.fixtures + "/\(dataset.name).sample.tsv"
    let text = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    let rows = text.split(separator: 0x0a).dropFirst().map(Array.init)
    let pieces: [[UInt8]] =
      [
        "\\", "\\N", "\r", "\t", ",", "\"", "{", "}", " ", "\u{1}", "\u{2}", "\u{b}", "NULL",
        "null", "\u{e9}", "\u{20ac}", "\u{1f600}", "0", "10.0", "99999", "", "abcdefgh", "[\"x\"]",
      ].map(bytes) + [[0], [0xc3], [0xe2, 0x82], [0x80], [0xff], [0xed, 0xa0, 0x80]]

    var random = SeededGenerator(state: 0x9e37_79b9_7f4a_7c15)
    var disagreements: [String] = []
    var accepted = 0
    for _ in 0..<4000 {
      var row = rows.randomElement(using: &random)!
      for _ in 0..<Int.random(in: 0...3, using: &random) {
        let position = Int.random(in: 0...row.count, using: &random)
        let piece = pieces.randomElement(using: &random)!
        if Bool.random(using: &random) {
          row.insert(contentsOf: piece, at: position)
        } else {
          row.replaceSubrange(position..<min(row.count, position + piece.count), with: piece)
        }
      }

      let onePass = convertInOnePass(row, dataset: dataset)
      if onePass != convertRuleByRule(row, dataset: dataset) {
        disagreements.append(String(decoding: row, as: UTF8.self).debugDescription)
      }
      if onePass.output != nil { accepted += 1 }
    }

    #expect(disagreements.isEmpty)
    // Both kinds of row must occur, or the comparison proves little.
    #expect(accepted > 1000)
    #expect(accepted < 4000)
  }
}
