import Foundation

/// How often and how long fetch waits before it tries a failed request again.
///
/// The wait before retry `k` (from 1) is `baseDelay * 2^(k-1)`, capped at
/// `maximumDelay` and scaled by a random factor from 0.5 to 1.0, so that many
/// clients that failed together do not come back together. A `Retry-After`
/// header from the server replaces that wait.
package struct RetryPolicy: Sendable, Equatable {
  /// The number of retries after the first try; 0 turns retries off.
  package var retries: Int
  /// The wait before the first retry, in seconds.
  package var baseDelay: TimeInterval
  /// The longest exponential wait, in seconds.
  package var maximumDelay: TimeInterval = 60
  /// The longest `Retry-After` that fetch waits for, in seconds.
  package var maximumRetryAfter: TimeInterval = 600

  package init(retries: Int = 5, baseDelay: TimeInterval = 1) {
    self.retries = retries
    self.baseDelay = baseDelay
  }

  /// Computes the wait before retry number `retry` (1 for the first retry).
  ///
  /// - Parameters:
  ///   - retry: The number of the retry about to happen, from 1.
  ///   - retryAfter: The server's `Retry-After` in seconds, if it sent one.
  ///   - jitter: A number from 0 to 1; tests pass a fixed value.
  /// - Returns: The wait in seconds.
  package func delay(
    beforeRetry retry: Int,
    retryAfter: TimeInterval? = nil,
    jitter: Double = Double.random(in: 0...1)
  ) -> TimeInterval {
    if let retryAfter {
      return min(max(retryAfter, 0), maximumRetryAfter)
    }
    let exponent = Double(min(max(retry - 1, 0), 30))
    let backoff = min(baseDelay * pow(2, exponent), maximumDelay)
    return backoff * (0.5 + 0.5 * min(max(jitter, 0), 1))
  }

  /// Parses a `Retry-After` header value: delay seconds (`120`) or an
  /// HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`), as RFC 9110 section 10.2.3
  /// defines it.
  ///
  /// - Parameters:
  ///   - value: The header value.
  ///   - now: The time to measure an HTTP date against.
  /// - Returns: The seconds to wait, 0 for a date in the past, or nil when
  ///   the value is neither form.
  package static func parseRetryAfter(_ value: String, now: Date = Date()) -> TimeInterval? {
    let text = value.trimmingCharacters(in: .whitespaces)
    if !text.isEmpty, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber) {
      return TimeInterval(text)
    }
    guard let date = parseHTTPDate(text) else { return nil }
    return max(0, date.timeIntervalSince(now))
  }

  /// Parses the IMF-fixdate form of an HTTP date, the only form that
  /// servers may send.
  static func parseHTTPDate(_ text: String) -> Date? {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
    return formatter.date(from: text)
  }
}
