import Testing

@testable import Loading

@Suite struct EndOfDataReaderTests {
  /// What a reader returns for a whole input.
  enum Outcome: Equatable {
    /// The input ended with the end-of-data line; these bytes came before it.
    case complete([UInt8])
    case endOfDataMissing
    case dataAfterEndOfData
    case otherError(String)
  }

  /// An input and what reading it must give.
  struct Case: CustomTestStringConvertible, Sendable {
    let name: String
    let input: String
    let expected: Expected
    var testDescription: String { name }
  }

  enum Expected: Sendable {
    case complete(String)
    case endOfDataMissing
    case dataAfterEndOfData

    var outcome: Outcome {
      switch self {
      case .complete(let text): .complete(Array(text.utf8))
      case .endOfDataMissing: .endOfDataMissing
      case .dataAfterEndOfData: .dataAfterEndOfData
      }
    }
  }

  static let rows = "nm1\tA\t1899\t\\N\t{actor}\t{tt1}\nnm2\tB\t\\N\t\\N\t{}\t{}\n"

  static let cases: [Case] = [
    Case(name: "rows then marker", input: rows + "\\.\n", expected: .complete(rows)),
    Case(name: "marker alone", input: "\\.\n", expected: .complete("")),
    Case(name: "marker without line feed", input: rows + "\\.", expected: .complete(rows)),
    Case(name: "rows without marker", input: rows, expected: .endOfDataMissing),
    Case(name: "empty input", input: "", expected: .endOfDataMissing),
    Case(name: "cut after the backslash", input: rows + "\\", expected: .endOfDataMissing),
    Case(name: "cut inside a row", input: rows + "nm3\tC", expected: .endOfDataMissing),
    Case(
      name: "row after marker",
      input: rows + "\\.\n" + rows,
      expected: .dataAfterEndOfData
    ),
    Case(name: "line feed after marker", input: rows + "\\.\n\n", expected: .dataAfterEndOfData),
    Case(
      name: "second marker",
      input: "\\.\n\\.\n",
      expected: .dataAfterEndOfData
    ),
    Case(
      name: "backslash period inside a row",
      input: "a\\.\n\\.b\n\\.\n",
      expected: .complete("a\\.\n\\.b\n")
    ),
  ]

  /// Reads `input` to its end, handing it over in reads of at most
  /// `pieceSize` bytes and at most `blockSize` at once.
  static func readAll(_ input: [UInt8], pieceSize: Int, blockSize: Int = 64) -> Outcome {
    var offset = 0
    let reader = EndOfDataReader(blockSize: blockSize) { buffer in
      let count = min(pieceSize, buffer.count, input.count - offset)
      buffer.copyBytes(from: input[offset..<(offset + count)])
      offset += count
      return count
    }
    var output: [UInt8] = []
    do {
      while let block = try reader.next() {
        #expect(!block.isEmpty)
        output += block
      }
      return .complete(output)
    } catch LoadError.endOfDataMissing {
      return .endOfDataMissing
    } catch LoadError.dataAfterEndOfData {
      return .dataAfterEndOfData
    } catch {
      return .otherError("\(error)")
    }
  }

  @Test("whole input in one read", arguments: cases)
  func wholeInput(_ testCase: Case) {
    let input = Array(testCase.input.utf8)
    #expect(Self.readAll(input, pieceSize: input.count + 1) == testCase.expected.outcome)
  }

  @Test("input one byte per read", arguments: cases)
  func oneBytePerRead(_ testCase: Case) {
    let input = Array(testCase.input.utf8)
    #expect(Self.readAll(input, pieceSize: 1) == testCase.expected.outcome)
  }

  @Test("input in reads of every size", arguments: cases)
  func readsOfEverySize(_ testCase: Case) {
    let input = Array(testCase.input.utf8)
    for pieceSize in 2...max(2, input.count) {
      #expect(
        Self.readAll(input, pieceSize: pieceSize, blockSize: 8) == testCase.expected.outcome,
        "reads of \(pieceSize) bytes"
      )
    }
  }

  /// Ends the rows `offset` bytes from the end of the first 1 MiB block,
  /// so that the end-of-data line after them ends the block, straddles it
  /// or starts the next one.
  @Test("marker across the 1 MiB read boundary", arguments: [-3, -2, -1, 0, 1])
  func markerAcrossBlockBoundary(offset: Int) {
    let blockSize = CopyLoader.blockSize
    var rows = [UInt8](repeating: UInt8(ascii: "x"), count: blockSize + offset)
    rows[rows.count - 1] = UInt8(ascii: "\n")
    let input = rows + Array("\\.\n".utf8)
    let outcome = Self.readAll(input, pieceSize: blockSize, blockSize: blockSize)
    // Compared outside #expect, which would print every byte on a failure.
    let complete = outcome == .complete(rows)
    #expect(complete, "read \(input.count) bytes: \(Self.summary(of: outcome))")
  }

  @Test("rows after marker across the 1 MiB boundary")
  func rowsAfterMarkerAcrossBlockBoundary() {
    let blockSize = CopyLoader.blockSize
    var rows = [UInt8](repeating: UInt8(ascii: "x"), count: blockSize - 2)
    rows[rows.count - 1] = UInt8(ascii: "\n")
    let input = rows + Array("\\.\nnm1\n".utf8)
    let outcome = Self.readAll(input, pieceSize: blockSize, blockSize: blockSize)
    #expect(outcome == .dataAfterEndOfData, "\(Self.summary(of: outcome))")
  }

  /// Describes an outcome by its byte count rather than its bytes.
  static func summary(of outcome: Outcome) -> String {
    guard case .complete(let bytes) = outcome else { return "\(outcome)" }
    return "complete with \(bytes.count) bytes"
  }
}
