import Foundation
import Testing

@testable import Fetching

@Suite struct DownloadRecordTests {
  @Test("text form round trip")
  func roundTrip() {
    let record = DownloadRecord(
      url: "https://example.org/a.tsv.gz",
      finalURL: "https://cdn.example.org/a.tsv.gz",
      etag: "\"abc\"",
      lastModified: "Fri, 04 Dec 2026 16:01:40 GMT",
      length: 42,
      sha256: String(repeating: "a", count: 64)
    )
    #expect(DownloadRecord(text: record.text) == record)
    #expect(record.text.hasPrefix("url\thttps://example.org/a.tsv.gz\nfinal_url\t"))
  }

  @Test("missing fields stay nil")
  func partialRecord() {
    let record = DownloadRecord(text: "url\thttp://x/y\nlength\t7\nfuture_key\tz\n")
    #expect(record == DownloadRecord(url: "http://x/y", length: 7))
  }

  @Test("malformed text is rejected", arguments: ["", "length\t7\n", "url http://x/y\n"])
  func malformed(text: String) {
    #expect(DownloadRecord(text: text) == nil)
  }

  @Test("tabs and newlines in values are replaced")
  func singleLineValues() {
    let record = DownloadRecord(url: "http://x/y", etag: "\"a\tb\nc\"")
    #expect(DownloadRecord(text: record.text)?.etag == "\"a b c\"")
  }

  @Test(
    "If-Range validator prefers a strong ETag",
    arguments: [
      ("\"v1\"", "date", "\"v1\""), ("W/\"v1\"", "date", "date"), (nil, "date", "date"),
      ("W/\"v1\"", nil, nil),
    ] as [(String?, String?, String?)]
  )
  func rangeValidator(etag: String?, lastModified: String?, expected: String?) {
    let record = DownloadRecord(url: "http://x/y", etag: etag, lastModified: lastModified)
    #expect(record.rangeValidator == expected)
  }
}

@Suite struct ContentRangeTests {
  @Test(
    "valid headers",
    arguments: [
      ("bytes 0-99/1000", ContentRange(first: 0, last: 99, total: 1000)),
      ("bytes 500-999/*", ContentRange(first: 500, last: 999, total: nil)),
      ("bytes */1000", ContentRange(first: nil, last: nil, total: 1000)),
      ("Bytes 1-1/2", ContentRange(first: 1, last: 1, total: 2)),
    ]
  )
  func parses(header: String, expected: ContentRange) {
    #expect(ContentRange(header: header) == expected)
  }

  @Test(
    "invalid headers",
    arguments: [
      "", "bytes", "bytes */*", "bytes 5-4/10", "bytes 0-10/10", "items 0-1/2", "bytes 0-1",
    ]
  )
  func rejects(header: String) {
    #expect(ContentRange(header: header) == nil)
  }
}

@Suite struct FetchErrorTests {
  @Test(
    "exit status and retryability",
    arguments: [
      (FetchError.httpStatus(url: "u", status: 404), Int32(66), false),
      (.httpStatus(url: "u", status: 403), 76, false),
      (.httpStatus(url: "u", status: 408), 75, true),
      (.httpStatus(url: "u", status: 429), 75, true),
      (.httpStatus(url: "u", status: 502), 75, true),
      (.network(url: "u", detail: "connection refused"), 75, true),
      (.stalled(url: "u", seconds: 60), 75, true),
      (.shortBody(url: "u", received: 1, expected: 2), 75, true),
      (.unknownHost(url: "u"), 69, false),
      (.tooManyRedirects(url: "u", limit: 10), 76, false),
      (.checksumMismatch(url: "u", expected: "a", actual: "b"), 65, false),
    ]
  )
  func exitStatus(error: FetchError, status: Int32, retryable: Bool) {
    #expect(error.exitStatus.rawValue == status)
    #expect(error.isRetryable == retryable)
  }

  @Test("message names subject, problem and advice")
  func message() {
    let error = FetchError.httpStatus(url: "http://h/f", status: 503)
    #expect(
      error.description
        == "http://h/f: server returned HTTP 503 Service Unavailable; try again later"
    )
  }
}

@Suite struct URLRedactionTests {
  @Test(
    "password replaced",
    arguments: [
      ("http://bob:s3cret@127.0.0.1:8080/a.gz", "http://bob:***@127.0.0.1:8080/a.gz"),
      ("https://bob@example.org/a.gz", "https://bob@example.org/a.gz"),
      ("http://127.0.0.1/a@b.gz", "http://127.0.0.1/a@b.gz"),
      ("http://u:p:q@host/x?y=1", "http://u:***@host/x?y=1"),
      ("work/download/a.gz", "work/download/a.gz"),
    ]
  )
  func passwordReplaced(url: String, expected: String) {
    #expect(URLRedaction.redact(url) == expected)
  }
}
