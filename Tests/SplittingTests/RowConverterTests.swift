import Datasets
import Testing

@testable import Splitting

/// Converts one TSV line (without newline) and returns the COPY line or the rejection.
func convert(_ line: String, dataset: Dataset = .nameBasics) -> Result<String, Rejection> {
  let output = ByteBuffer(capacity: 16)
  let rejection = convert(Array(line.utf8), with: RowConverter(dataset: dataset), into: output)
  if let rejection { return .failure(rejection) }
  return .success(String(decoding: output.bytes, as: UTF8.self))
}

/// Converts the TSV line `bytes` with `converter` and appends the COPY line to `output`.
///
/// - Returns: The rejection, or nil when the line was converted.
func convert(
  _ bytes: [UInt8],
  with converter: RowConverter,
  into output: ByteBuffer
) -> Rejection? {
  var bytes = bytes
  return bytes.withUnsafeMutableBufferPointer {
    converter.convert(UnsafeBufferPointer($0), into: output)
  }
}

/// One TSV line of a dataset and the COPY line or rejection it must give.
struct ConversionCase: CustomTestStringConvertible, Sendable {
  var name: String
  var dataset: Dataset = .nameBasics
  var line: String
  var expected: Result<String, Rejection>
  var testDescription: String { name }
}

@Suite struct RowConverterTests {
  static let convertedCases = [
    ConversionCase(
      name: "plain row with lists",
      line: "nm0000001\tFred Astaire\t1899\t1987\tsoundtrack,actor\ttt0053137,tt0031983",
      expected: .success(
        "nm0000001\tFred Astaire\t1899\t1987\t{soundtrack,actor}\t{tt0053137,tt0031983}\n"
      )
    ),
    ConversionCase(
      name: "NULL in every nullable column, lists included",
      line: "nm1\t\\N\t\\N\t\\N\t\\N\t\\N",
      expected: .success("nm1\t\\N\t\\N\t\\N\t\\N\t\\N\n")
    ),
    ConversionCase(
      name: "empty text and empty list",
      line: "nm1\t\t\\N\t\\N\t\t",
      expected: .success("nm1\t\t\\N\t\\N\t{}\t{}\n")
    ),
    ConversionCase(
      name: "backslash in text is doubled",
      line: "nm1\tA\\B\t\\N\t\\N\t\\N\t\\N",
      expected: .success("nm1\tA\\\\B\t\\N\t\\N\t\\N\t\\N\n")
    ),
    ConversionCase(
      name: "backslash past the first eight bytes",
      line: "nm1\tA Long Name With\\Slash\t\\N\t\\N\t\\N\t\\N",
      expected: .success("nm1\tA Long Name With\\\\Slash\t\\N\t\\N\t\\N\t\\N\n")
    ),
    ConversionCase(
      name: "CR inside a long value is escaped",
      line: "nm1\tFirst part\rSecond part\t\\N\t\\N\t\\N\t\\N",
      expected: .success("nm1\tFirst part\\rSecond part\t\\N\t\\N\t\\N\t\\N\n")
    ),
    ConversionCase(
      name: "\\N inside a longer value is text",
      line: "nm1\tx\\Ny\t\\N\t\\N\t\\N\t\\N",
      expected: .success("nm1\tx\\\\Ny\t\\N\t\\N\t\\N\t\\N\n")
    ),
    ConversionCase(
      name: "quotes in text stay plain",
      line: "nm1\t\"Quoted\" O'Neil\t\\N\t\\N\t\\N\t\\N",
      expected: .success("nm1\t\"Quoted\" O'Neil\t\\N\t\\N\t\\N\t\\N\n")
    ),
    ConversionCase(
      name: "list element with space is quoted",
      line: "nm1\tx\t\\N\t\\N\tsound track\t\\N",
      expected: .success("nm1\tx\t\\N\t\\N\t{\"sound track\"}\t\\N\n")
    ),
    ConversionCase(
      name: "list element with quote and backslash is escaped",
      line: "nm1\tx\t\\N\t\\N\ta\"b,c\\d\t\\N",
      expected: .success("nm1\tx\t\\N\t\\N\t{\"a\\\\\"b\",\"c\\\\\\\\d\"}\t\\N\n")
    ),
    ConversionCase(
      name: "list element NULL is quoted",
      line: "nm1\tx\t\\N\t\\N\tnull,NULL\t\\N",
      expected: .success("nm1\tx\t\\N\t\\N\t{\"null\",\"NULL\"}\t\\N\n")
    ),
    ConversionCase(
      name: "list element \\N is quoted text",
      line: "nm1\tx\t\\N\t\\N\ta,\\N\t\\N",
      expected: .success("nm1\tx\t\\N\t\\N\t{a,\"\\\\\\\\N\"}\t\\N\n")
    ),
    ConversionCase(
      name: "UTF-8 text passes through",
      line: "nm1\tZoë Ångström 李\t\\N\t\\N\t\\N\t\\N",
      expected: .success("nm1\tZoë Ångström 李\t\\N\t\\N\t\\N\t\\N\n")
    ),
  ]

  static let rejectedCases = [
    ConversionCase(
      name: "too few fields",
      line: "nm1\tx\t1900",
      expected: .failure(Rejection(reason: "expected 6 fields, found 3"))
    ),
    ConversionCase(
      name: "too many fields",
      line: "nm1\tx\t1900\t\\N\t\\N\t\\N\textra",
      expected: .failure(Rejection(reason: "expected 6 fields, found 7"))
    ),
    ConversionCase(
      name: "blank line",
      line: "",
      expected: .failure(Rejection(reason: "blank line"))
    ),
    ConversionCase(
      name: "year not a number",
      line: "nm1\tx\tabc\t\\N\t\\N\t\\N",
      expected: .failure(
        Rejection(column: "birth_year", reason: "invalid year 'abc'; expected 1 to 9999")
      )
    ),
    ConversionCase(
      name: "year out of range",
      line: "nm1\tx\t\\N\t12345\t\\N\t\\N",
      expected: .failure(
        Rejection(column: "death_year", reason: "invalid year '12345'; expected 1 to 9999")
      )
    ),
    ConversionCase(
      name: "negative year",
      line: "nm1\tx\t-5\t\\N\t\\N\t\\N",
      expected: .failure(
        Rejection(column: "birth_year", reason: "invalid year '-5'; expected 1 to 9999")
      )
    ),
    ConversionCase(
      name: "NULL key",
      line: "\\N\tx\t\\N\t\\N\t\\N\t\\N",
      expected: .failure(Rejection(column: "nconst", reason: "value is required but is \\N"))
    ),
    ConversionCase(
      name: "empty key",
      line: "\tx\t\\N\t\\N\t\\N\t\\N",
      expected: .failure(Rejection(column: "nconst", reason: "value is required but is empty"))
    ),
    ConversionCase(
      name: "empty last list element",
      line: "nm1\tx\t\\N\t\\N\tactor,\t\\N",
      expected: .failure(
        Rejection(
          column: "primary_professions",
          reason: "invalid list 'actor,'; element 2 is empty"
        )
      )
    ),
    ConversionCase(
      name: "empty first list element",
      line: "nm1\tx\t\\N\t\\N\t\\N\t,tt1",
      expected: .failure(
        Rejection(column: "known_for_titles", reason: "invalid list ',tt1'; element 1 is empty")
      )
    ),
    ConversionCase(
      name: "empty middle list element",
      line: "nm1\tx\t\\N\t\\N\ta,,b\t\\N",
      expected: .failure(
        Rejection(
          column: "primary_professions",
          reason: "invalid list 'a,,b'; element 2 is empty"
        )
      )
    ),
    ConversionCase(
      name: "list of one separator",
      line: "nm1\tx\t\\N\t\\N\t,\t\\N",
      expected: .failure(
        Rejection(column: "primary_professions", reason: "invalid list ','; element 1 is empty")
      )
    ),
    ConversionCase(
      name: "shifted value reports the field count",
      line: "nm1\tx\tabc\t\\N\t\\N",
      expected: .failure(Rejection(reason: "expected 6 fields, found 5"))
    ),
    ConversionCase(
      name: "NUL byte in a short row reports the field count",
      line: "nm1\tx\u{0}y\t\\N",
      expected: .failure(Rejection(reason: "expected 6 fields, found 3"))
    ),
    ConversionCase(
      name: "NUL byte",
      line: "nm1\tx\u{0}y\t\\N\t\\N\t\\N\t\\N",
      expected: .failure(Rejection(column: "primary_name", reason: "NUL byte in value"))
    ),
  ]

  @Test("name.basics conversion", arguments: convertedCases + rejectedCases)
  func nameBasicsConversion(testCase: ConversionCase) {
    #expect(convert(testCase.line, dataset: testCase.dataset) == testCase.expected)
  }

  @Test("invalid UTF-8 is rejected")
  func invalidUTF8() {
    let output = ByteBuffer(capacity: 16)
    let bytes = Array("nm1\tx".utf8) + [0xc3, 0x28] + Array("\t\\N\t\\N\t\\N\t\\N".utf8)
    let rejection = convert(bytes, with: RowConverter(dataset: .nameBasics), into: output)
    #expect(
      rejection == Rejection(column: "primary_name", reason: "invalid UTF-8 at byte 6 of the line")
    )
    #expect(output.count == 0)
  }

  @Test("rejected row leaves output unchanged")
  func rejectionRollsBack() {
    let converter = RowConverter(dataset: .nameBasics)
    let output = ByteBuffer(capacity: 16)
    let good = Array("nm1\tx\t\\N\t\\N\t\\N\t\\N".utf8)
    let bad = Array("nm2\ty\t1900\tabc\t\\N\t\\N".utf8)
    _ = convert(good, with: converter, into: output)
    let before = output.count
    let rejection = convert(bad, with: converter, into: output)
    #expect(rejection != nil)
    #expect(output.count == before)
  }
}
