import Testing

@testable import Loading

@Suite struct CopyLineTests {
  @Test(
    "line number from COPY error context",
    arguments: [
      ("COPY name_basics, line 3, column birth_year: \"x\"", "name_basics", 3),
      ("COPY x, line 1, line 7, column a: \"b\"", "x, line 1", 7),
      ("COPY t, line 12: \"a, line 9\"", "t", 12),
      ("PL/pgSQL function f() line 4", "t", nil),
    ] as [(String, String, Int?)]
  )
  func lineFromContext(context: String, table: String, line: Int?) {
    #expect(CopyLoader.copyLine(inContext: context, table: table) == line)
  }
}
