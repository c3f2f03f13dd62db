import Datasets
import Testing

@testable import Splitting

/// Converts one TSV line (without newline) and returns the COPY line or the rejection.
func convert(_ line: String, dataset: Dataset = .nameBasics) -> Result<String, Rejection> {
  let converter = RowConverter(dataset: dataset)
  let output = ByteBuffer(capacity: 16)
  var bytes = Array(line.utf8)
  let rejection = bytes.withUnsafeMutableBufferPointer {
    converter.convert(UnsafeBufferPointer($0), into: output)
  }
  if let rejection { return .failure(rejection) }
  return .success(String(decoding: output.bytes, as: UTF8.self))
}

@Suite struct RowConverterTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var name: String
    var line: String
    var expected: String
    var testDescription: String { name }
  }

  static let nameBasicsCases = [
    Case(
      name: "plain row with lists",
      line: "nm0000001\tFred Astaire\t1899\t1987\tsoundtrack,actor\ttt0053137,tt0031983",
      expected: "nm0000001\tFred Astaire\t1899\t1987\t{soundtrack,actor}\t{tt0053137,tt0031983}\n"
    ),
    Case(
      name: "NULL in every nullable column, lists included",
      line: "nm1\t\\N\t\\N\t\\N\t\\N\t\\N",
      expected: "nm1\t\\N\t\\N\t\\N\t\\N\t\\N\n"
    ),
    Case(
      name: "empty text and empty list",
      line: "nm1\t\t\\N\t\\N\t\t",
      expected: "nm1\t\t\\N\t\\N\t{}\t{}\n"
    ),
    Case(
      name: "backslash in text is doubled",
      line: "nm1\tA\\B\t\\N\t\\N\t\\N\t\\N",
      expected: "nm1\tA\\\\B\t\\N\t\\N\t\\N\t\\N\n"
    ),
    Case(
      name: "backslash past the first eight bytes",
      line: "nm1\tA Long Name With\\Slash\t\\N\t\\N\t\\N\t\\N",
      expected: "nm1\tA Long Name With\\\\Slash\t\\N\t\\N\t\\N\t\\N\n"
    ),
    Case(
      name: "CR inside a long value is escaped",
      line: "nm1\tFirst part\rSecond part\t\\N\t\\N\t\\N\t\\N",
      expected: "nm1\tFirst part\\rSecond part\t\\N\t\\N\t\\N\t\\N\n"
    ),
    Case(
      name: "\\N inside a longer value is text",
      line: "nm1\tx\\Ny\t\\N\t\\N\t\\N\t\\N",
      expected: "nm1\tx\\\\Ny\t\\N\t\\N\t\\N\t\\N\n"
    ),
    Case(
      name: "quotes in text stay plain",
      line: "nm1\t\"Quoted\" O'Neil\t\\N\t\\N\t\\N\t\\N",
      expected: "nm1\t\"Quoted\" O'Neil\t\\N\t\\N\t\\N\t\\N\n"
    ),
    Case(
      name: "list element with space is quoted",
      line: "nm1\tx\t\\N\t\\N\tsound track\t\\N",
      expected: "nm1\tx\t\\N\t\\N\t{\"sound track\"}\t\\N\n"
    ),
    Case(
      name: "list element with quote and backslash is escaped",
      line: "nm1\tx\t\\N\t\\N\ta\"b,c\\d\t\\N",
      expected: "nm1\tx\t\\N\t\\N\t{\"a\\\\\"b\",\"c\\\\\\\\d\"}\t\\N\n"
    ),
    Case(
      name: "list element NULL is quoted",
      line: "nm1\tx\t\\N\t\\N\tnull,NULL\t\\N",
      expected: "nm1\tx\t\\N\t\\N\t{\"null\",\"NULL\"}\t\\N\n"
    ),
    Case(
      name: "list element \\N is quoted text",
      line: "nm1\tx\t\\N\t\\N\ta,\\N\t\\N",
      expected: "nm1\tx\t\\N\t\\N\t{a,\"\\\\\\\\N\"}\t\\N\n"
    ),
    Case(
      name: "empty list element is quoted",
      line: "nm1\tx\t\\N\t\\N\ta,,b\t\\N",
      expected: "nm1\tx\t\\N\t\\N\t{a,\"\",b}\t\\N\n"
    ),
    Case(
      name: "UTF-8 text passes through",
      line: "nm1\tZoë Ångström 李\t\\N\t\\N\t\\N\t\\N",
      expected: "nm1\tZoë Ångström 李\t\\N\t\\N\t\\N\t\\N\n"
    ),
  ]

  @Test("name.basics conversion", arguments: nameBasicsCases)
  func nameBasicsConversion(testCase: Case) {
    #expect(convert(testCase.line) == .success(testCase.expected))
  }

  struct BadCase: CustomTestStringConvertible, Sendable {
    var name: String
    var line: String
    var rejection: Rejection
    var testDescription: String { name }
  }

  static let badCases = [
    BadCase(
      name: "too few fields",
      line: "nm1\tx\t1900",
      rejection: Rejection(reason: "expected 6 fields, found 3")
    ),
    BadCase(
      name: "too many fields",
      line: "nm1\tx\t1900\t\\N\t\\N\t\\N\textra",
      rejection: Rejection(reason: "expected 6 fields, found 7")
    ),
    BadCase(name: "blank line", line: "", rejection: Rejection(reason: "blank line")),
    BadCase(
      name: "year not a number",
      line: "nm1\tx\tabc\t\\N\t\\N\t\\N",
      rejection: Rejection(column: "birth_year", reason: "invalid year 'abc'; expected 1 to 9999")
    ),
    BadCase(
      name: "year out of range",
      line: "nm1\tx\t\\N\t12345\t\\N\t\\N",
      rejection: Rejection(column: "death_year", reason: "invalid year '12345'; expected 1 to 9999")
    ),
    BadCase(
      name: "negative year",
      line: "nm1\tx\t-5\t\\N\t\\N\t\\N",
      rejection: Rejection(column: "birth_year", reason: "invalid year '-5'; expected 1 to 9999")
    ),
    BadCase(
      name: "NULL key",
      line: "\\N\tx\t\\N\t\\N\t\\N\t\\N",
      rejection: Rejection(column: "nconst", reason: "value is required but is \\N")
    ),
    BadCase(
      name: "shifted value reports the field count",
      line: "nm1\tx\tabc\t\\N\t\\N",
      rejection: Rejection(reason: "expected 6 fields, found 5")
    ),
    BadCase(
      name: "NUL byte in a short row reports the field count",
      line: "nm1\tx\u{0}y\t\\N",
      rejection: Rejection(reason: "expected 6 fields, found 3")
    ),
    BadCase(
      name: "NUL byte",
      line: "nm1\tx\u{0}y\t\\N\t\\N\t\\N\t\\N",
      rejection: Rejection(column: "primary_name", reason: "NUL byte in value")
    ),
  ]

  @Test("name.basics rejections", arguments: badCases)
  func nameBasicsRejections(testCase: BadCase) {
    #expect(convert(testCase.line) == .failure(testCase.rejection))
  }

  @Test("invalid UTF-8 is rejected")
  func invalidUTF8() {
    let converter = RowConverter(dataset: .nameBasics)
    let output = ByteBuffer(capacity: 16)
    var bytes = Array("nm1\tx".utf8) + [0xc3, 0x28] + Array("\t\\N\t\\N\t\\N\t\\N".utf8)
    let rejection = bytes.withUnsafeMutableBufferPointer {
      converter.convert(UnsafeBufferPointer($0), into: output)
    }
    #expect(
      rejection == Rejection(column: "primary_name", reason: "invalid UTF-8 at byte 6 of the line")
    )
    #expect(output.count == 0)
  }

  @Test("rejected row leaves output unchanged")
  func rejectionRollsBack() {
    let converter = RowConverter(dataset: .nameBasics)
    let output = ByteBuffer(capacity: 16)
    var good = Array("nm1\tx\t\\N\t\\N\t\\N\t\\N".utf8)
    var bad = Array("nm2\ty\t1900\tabc\t\\N\t\\N".utf8)
    _ = good.withUnsafeMutableBufferPointer {
      converter.convert(UnsafeBufferPointer($0), into: output)
    }
    let before = output.count
    let rejection = bad.withUnsafeMutableBufferPointer {
      converter.convert(UnsafeBufferPointer($0), into: output)
    }
    #expect(rejection != nil)
    #expect(output.count == before)
  }
}
