import StageKit
import Testing

@Suite struct MeasureTests {
  @Test(
    "count and noun",
    arguments: [
      (0, "row", nil, "0 rows"), (1, "row", nil, "1 row"), (2, "row", nil, "2 rows"),
      (1, "retry", "retries", "1 retry"), (3, "retry", "retries", "3 retries"),
    ] as [(Int, String, String?, String)]
  )
  func countAndNoun(count: Int, singular: String, plural: String?, expected: String) {
    #expect(Measure.count(count, singular, plural: plural) == expected)
  }
}
