import Foundation
import Testing

@testable import Fetching

@Suite struct RetryPolicyTests {
  @Test(
    "Retry-After parsing",
    arguments: [
      ("120", 120.0), ("0", 0), (" 7 ", 7), ("Fri, 04 Dec 2026 16:01:40 GMT", 100),
      ("Fri, 04 Dec 2026 15:00:00 GMT", 0),
    ]
  )
  func parseRetryAfter(value: String, seconds: Double) {
    let now = Date(timeIntervalSince1970: 1_796_400_000)
    #expect(RetryPolicy.parseRetryAfter(value, now: now) == seconds)
  }

  @Test("invalid Retry-After is nil", arguments: ["", "soon", "-5", "1.5", "٣"])
  func invalidRetryAfter(value: String) {
    #expect(RetryPolicy.parseRetryAfter(value) == nil)
  }

  @Test("backoff doubles up to the cap")
  func backoff() {
    let policy = RetryPolicy(retries: 10, baseDelay: 1)
    #expect(policy.delay(beforeRetry: 1, jitter: 1) == 1)
    #expect(policy.delay(beforeRetry: 2, jitter: 1) == 2)
    #expect(policy.delay(beforeRetry: 4, jitter: 1) == 8)
    #expect(policy.delay(beforeRetry: 9, jitter: 1) == 60)
    #expect(policy.delay(beforeRetry: 1000, jitter: 1) == 60)
  }

  @Test("jitter scales from half to full")
  func jitter() {
    let policy = RetryPolicy(retries: 5, baseDelay: 0.2)
    #expect(policy.delay(beforeRetry: 3, jitter: 0) == 0.4)
    #expect(policy.delay(beforeRetry: 3, jitter: 0.5) == 0.6000000000000001)
    for _ in 0..<100 {
      let delay = policy.delay(beforeRetry: 3)
      #expect(delay >= 0.4 && delay <= 0.8)
    }
  }

  @Test("Retry-After replaces backoff, capped")
  func retryAfterWins() {
    let policy = RetryPolicy(retries: 5, baseDelay: 0.05)
    #expect(policy.delay(beforeRetry: 1, retryAfter: 3, jitter: 0) == 3)
    #expect(policy.delay(beforeRetry: 1, retryAfter: 86_400, jitter: 0) == 600)
  }
}
