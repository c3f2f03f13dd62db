import Datasets
import Testing

@testable import Splitting

@Suite struct DatasetConversionTests {
  static let cases = [
    ConversionCase(
      name: "title.akas lists split on 0x02 only",
      dataset: .titleAkas,
      line: "tt1\t3\tT\tUS\ten\tdvd\u{2}imdbDisplay\tliteral title, alternate\u{2}new\t0",
      expected: .success(
        "tt1\t3\tT\tUS\ten\t{dvd,imdbDisplay}\t{\"literal title, alternate\",new}\t0\n"
      )
    ),
    ConversionCase(
      name: "title.akas ordering must be an integer",
      dataset: .titleAkas,
      line: "tt1\tx\tT\tUS\ten\t\\N\t\\N\t0",
      expected: .failure(
        Rejection(column: "ordering", reason: "invalid integer 'x'; expected 0 to 2147483647")
      )
    ),
    ConversionCase(
      name: "title.basics boolean, runtime and genres",
      dataset: .titleBasics,
      line: "tt1\tmovie\tA \"Quoted\" Title\tOrig\\inal\t1\t1999\t\\N\t90\tDrama,Reality-TV",
      expected: .success(
        "tt1\tmovie\tA \"Quoted\" Title\tOrig\\\\inal\t1\t1999\t\\N\t90\t{Drama,Reality-TV}\n"
      )
    ),
    ConversionCase(
      name: "title.basics boolean must be 0 or 1",
      dataset: .titleBasics,
      line: "tt1\tmovie\tA\tA\tyes\t1999\t\\N\t90\t\\N",
      expected: .failure(
        Rejection(column: "is_adult", reason: "invalid boolean 'yes'; expected 0 or 1")
      )
    ),
    ConversionCase(
      name: "title.basics lone quote stays in its field",
      dataset: .titleBasics,
      line: "tt1\tmovie\t\"Hello\tHello\t0\t\\N\t\\N\t\\N\t\\N",
      expected: .success("tt1\tmovie\t\"Hello\tHello\t0\t\\N\t\\N\t\\N\t\\N\n")
    ),
    ConversionCase(
      name: "title.basics tab in a title reports the field count",
      dataset: .titleBasics,
      line: "tt1\tmovie\tPart\tOne\tPart One\t0\t1999\t\\N\t90\tDrama",
      expected: .failure(Rejection(reason: "expected 9 fields, found 10"))
    ),
    ConversionCase(
      name: "title.basics empty year is invalid",
      dataset: .titleBasics,
      line: "tt1\tmovie\tA\tA\t0\t\t\\N\t90\t\\N",
      expected: .failure(
        Rejection(column: "start_year", reason: "invalid year ''; expected 1 to 9999")
      )
    ),
    ConversionCase(
      name: "title.basics empty boolean is invalid",
      dataset: .titleBasics,
      line: "tt1\tmovie\tA\tA\t\t1999\t\\N\t90\t\\N",
      expected: .failure(
        Rejection(column: "is_adult", reason: "invalid boolean ''; expected 0 or 1")
      )
    ),
    ConversionCase(
      name: "title.basics empty runtime is invalid",
      dataset: .titleBasics,
      line: "tt1\tmovie\tA\tA\t0\t1999\t\\N\t\t\\N",
      expected: .failure(
        Rejection(column: "runtime_minutes", reason: "invalid integer ''; expected 0 to 2147483647")
      )
    ),
    ConversionCase(
      name: "title.ratings empty rating is invalid",
      dataset: .titleRatings,
      line: "tt1\t\t3",
      expected: .failure(
        Rejection(column: "average_rating", reason: "invalid rating ''; expected 0.0 to 10.0")
      )
    ),
    ConversionCase(
      name: "title.principals empty characters is invalid JSON",
      dataset: .titlePrincipals,
      line: "tt1\t1\tnm1\tactor\t\\N\t",
      expected: .failure(
        Rejection(column: "characters", reason: "invalid JSON ''; expected an array of strings")
      )
    ),
    ConversionCase(
      name: "title.basics runtime above integer range",
      dataset: .titleBasics,
      line: "tt1\tmovie\tA\tA\t0\t\\N\t\\N\t99999999999\t\\N",
      expected: .failure(
        Rejection(
          column: "runtime_minutes",
          reason: "invalid integer '99999999999'; expected 0 to 2147483647"
        )
      )
    ),
    ConversionCase(
      name: "title.principals JSON escapes are doubled for COPY",
      dataset: .titlePrincipals,
      line: "tt1\t1\tnm1\tactor\t\\N\t[\"Woman (segment \\\"Making Love\\\")\"]",
      expected: .success(
        "tt1\t1\tnm1\tactor\t\\N\t[\"Woman (segment \\\\\"Making Love\\\\\")\"]\n"
      )
    ),
    ConversionCase(
      name: "title.principals characters must be a JSON array",
      dataset: .titlePrincipals,
      line: "tt1\t1\tnm1\tactor\t\\N\t[\"Self\"",
      expected: .failure(
        Rejection(
          column: "characters",
          reason: "invalid JSON '[\"Self\"'; expected an array of strings"
        )
      )
    ),
    ConversionCase(
      name: "title.principals JSON NUL escape is rejected",
      dataset: .titlePrincipals,
      line: "tt1\t1\tnm1\tactor\t\\N\t[\"a\\u0000\"]",
      expected: .failure(
        Rejection(
          column: "characters",
          reason: "invalid JSON '[\"a\\u0000\"]'; expected an array of strings"
        )
      )
    ),
    ConversionCase(
      name: "title.ratings rating and votes",
      dataset: .titleRatings,
      line: "tt1\t10.0\t1234",
      expected: .success("tt1\t10.0\t1234\n")
    ),
    ConversionCase(
      name: "title.ratings rating above ten",
      dataset: .titleRatings,
      line: "tt1\t10.5\t3",
      expected: .failure(
        Rejection(column: "average_rating", reason: "invalid rating '10.5'; expected 0.0 to 10.0")
      )
    ),
    ConversionCase(
      name: "title.ratings rating not a number",
      dataset: .titleRatings,
      line: "tt1\tgood\t3",
      expected: .failure(
        Rejection(column: "average_rating", reason: "invalid rating 'good'; expected 0.0 to 10.0")
      )
    ),
    ConversionCase(
      name: "title.episode season and episode",
      dataset: .titleEpisode,
      line: "tt2\ttt1\t\\N\t12",
      expected: .success("tt2\ttt1\t\\N\t12\n")
    ),
    ConversionCase(
      name: "title.crew lists of names",
      dataset: .titleCrew,
      line: "tt1\tnm1,nm2\t\\N",
      expected: .success("tt1\t{nm1,nm2}\t\\N\n")
    ),
  ]

  /// An empty key value and an empty list element in every dataset that has
  /// them, so that no key or list column is left unchecked.
  static let emptyValueCases = [
    ConversionCase(
      name: "title.basics empty key",
      dataset: .titleBasics,
      line: "\tmovie\tA\tA\t0\t\\N\t\\N\t\\N\t\\N",
      expected: .failure(Rejection(column: "tconst", reason: "value is required but is empty"))
    ),
    ConversionCase(
      name: "title.basics empty genre",
      dataset: .titleBasics,
      line: "tt1\tmovie\tA\tA\t0\t\\N\t\\N\t\\N\tDrama,",
      expected: .failure(
        Rejection(column: "genres", reason: "invalid list 'Drama,'; element 2 is empty")
      )
    ),
    ConversionCase(
      name: "title.akas empty title_id",
      dataset: .titleAkas,
      line: "\t1\tT\tUS\ten\t\\N\t\\N\t0",
      expected: .failure(Rejection(column: "title_id", reason: "value is required but is empty"))
    ),
    ConversionCase(
      name: "title.akas empty ordering",
      dataset: .titleAkas,
      line: "tt1\t\tT\tUS\ten\t\\N\t\\N\t0",
      expected: .failure(Rejection(column: "ordering", reason: "value is required but is empty"))
    ),
    ConversionCase(
      name: "title.akas empty type",
      dataset: .titleAkas,
      line: "tt1\t1\tT\tUS\ten\t\u{2}dvd\t\\N\t0",
      expected: .failure(
        Rejection(column: "types", reason: "invalid list '\u{2}dvd'; element 1 is empty")
      )
    ),
    ConversionCase(
      name: "title.akas empty attribute",
      dataset: .titleAkas,
      line: "tt1\t1\tT\tUS\ten\t\\N\ta, b\u{2}\t0",
      expected: .failure(
        Rejection(column: "attributes", reason: "invalid list 'a, b\u{2}'; element 2 is empty")
      )
    ),
    ConversionCase(
      name: "title.crew empty key",
      dataset: .titleCrew,
      line: "\tnm1\t\\N",
      expected: .failure(Rejection(column: "tconst", reason: "value is required but is empty"))
    ),
    ConversionCase(
      name: "title.crew empty director",
      dataset: .titleCrew,
      line: "tt1\tnm1,,nm2\t\\N",
      expected: .failure(
        Rejection(column: "directors", reason: "invalid list 'nm1,,nm2'; element 2 is empty")
      )
    ),
    ConversionCase(
      name: "title.crew empty writer",
      dataset: .titleCrew,
      line: "tt1\t\\N\t,",
      expected: .failure(
        Rejection(column: "writers", reason: "invalid list ','; element 1 is empty")
      )
    ),
    ConversionCase(
      name: "title.episode empty key",
      dataset: .titleEpisode,
      line: "\ttt1\t1\t2",
      expected: .failure(Rejection(column: "tconst", reason: "value is required but is empty"))
    ),
    ConversionCase(
      name: "title.principals empty key",
      dataset: .titlePrincipals,
      line: "\t1\tnm1\tactor\t\\N\t\\N",
      expected: .failure(Rejection(column: "tconst", reason: "value is required but is empty"))
    ),
    ConversionCase(
      name: "title.principals empty ordering",
      dataset: .titlePrincipals,
      line: "tt1\t\tnm1\tactor\t\\N\t\\N",
      expected: .failure(Rejection(column: "ordering", reason: "value is required but is empty"))
    ),
    ConversionCase(
      name: "title.ratings empty key",
      dataset: .titleRatings,
      line: "\t7.5\t3",
      expected: .failure(Rejection(column: "tconst", reason: "value is required but is empty"))
    ),
    ConversionCase(
      name: "empty text outside the key is kept",
      dataset: .titleEpisode,
      line: "tt2\t\t\\N\t\\N",
      expected: .success("tt2\t\t\\N\t\\N\n")
    ),
  ]

  @Test("conversion per dataset", arguments: cases + emptyValueCases)
  func conversion(testCase: ConversionCase) {
    #expect(convert(testCase.line, dataset: testCase.dataset) == testCase.expected)
  }

  @Test(
    "JSON arrays of strings",
    arguments: [
      ("[]", true), ("[\"a\"]", true), (" [ \"a\" , \"b\" ] ", true),
      ("[\"\\ud83c\\udfac\"]", true),
      ("[\"a\",]", false), ("[1]", false), ("{}", false), ("[\"\\ud83c\"]", false),
      ("[\"\\x\"]", false), ("[\"a\"] x", false), ("", false),
    ]
  )
  func jsonArrays(text: String, isValid: Bool) {
    var bytes = Array(text.utf8)
    let result = bytes.withUnsafeMutableBufferPointer {
      JSONSyntax.isArrayOfStrings(UnsafeBufferPointer($0))
    }
    #expect(result == isValid)
  }

  @Test(
    "UTF-8 validation",
    arguments: [
      ([0x41, 0x42], nil), ([0xc3, 0xa9], nil), ([0xe2, 0x82, 0xac], nil),
      ([0xf0, 0x9f, 0x8e, 0xac], nil), ([0xc0, 0xaf], 0), ([0xe0, 0x80, 0xaf], 0),
      ([0xed, 0xa0, 0x80], 0), ([0xf4, 0x90, 0x80, 0x80], 0), ([0x41, 0xc3], 1),
      ([0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x80], 8),
    ] as [([UInt8], Int?)]
  )
  func utf8Validation(bytes: [UInt8], invalidAt: Int?) {
    let result = bytes.withUnsafeBufferPointer { UTF8Validator.firstInvalidOffset(in: $0) }
    #expect(result == invalidAt)
  }
}
