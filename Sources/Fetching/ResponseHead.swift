import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// The status line and the headers of an HTTP response that a download
/// decides on, before any byte of the body is written.
struct ResponseHead: Sendable, Equatable {
  var status: Int
  /// The URL after redirects.
  var url: String?
  /// The Content-Length of this response, which for a 206 is the length of
  /// the range.
  var contentLength: Int?
  var etag: String?
  var lastModified: String?
  var contentRange: ContentRange?
  var retryAfter: String?
  /// Whether the server announced `Accept-Ranges: bytes`.
  var acceptsRanges = false

  init(status: Int, url: String? = nil, contentLength: Int? = nil) {
    self.status = status
    self.url = url
    self.contentLength = contentLength
  }

  /// Copies the fields from a `URLSession` response.
  init(_ response: URLResponse) {
    let http = response as? HTTPURLResponse
    var headers: [String: String] = [:]
    for (name, value) in http?.allHeaderFields ?? [:] {
      if let name = name as? String, let value = value as? String {
        headers[name.lowercased()] = value
      }
    }
    self.init(
      status: http?.statusCode ?? 200,
      url: response.url?.absoluteString,
      contentLength: response.expectedContentLength >= 0
        ? Int(response.expectedContentLength) : nil,
      headers: headers
    )
  }

  /// Takes the validators, range and retry fields from `headers`, whose
  /// names must be lowercase.
  init(status: Int, url: String?, contentLength: Int?, headers: [String: String]) {
    self.init(status: status, url: url, contentLength: contentLength)
    etag = headers["etag"]
    lastModified = headers["last-modified"]
    contentRange = headers["content-range"].flatMap(ContentRange.init(header:))
    retryAfter = headers["retry-after"]
    acceptsRanges = headers["accept-ranges"]?.lowercased().contains("bytes") ?? false
  }
}

/// A parsed `Content-Range` header: `bytes 100-199/1000`, or `bytes */1000`
/// on a 416 response.
struct ContentRange: Sendable, Equatable {
  /// The first and last byte offsets, or nil for `*`.
  var first: Int?
  var last: Int?
  /// The full length of the body, or nil for `*`.
  var total: Int?

  init(first: Int?, last: Int?, total: Int?) {
    self.first = first
    self.last = last
    self.total = total
  }

  /// Parses the header value; returns nil when it is not a byte range.
  init?(header: String) {
    let text = header.trimmingCharacters(in: .whitespaces)
    guard text.lowercased().hasPrefix("bytes ") else { return nil }
    let spec = text.dropFirst("bytes ".count).trimmingCharacters(in: .whitespaces)
    let parts = spec.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2 else { return nil }

    if parts[1] == "*" {
      total = nil
    } else if let total = Int(parts[1]), total >= 0 {
      self.total = total
    } else {
      return nil
    }

    if parts[0] == "*" {
      guard total != nil else { return nil }
      return
    }
    let bounds = parts[0].split(separator: "-", omittingEmptySubsequences: false)
    guard bounds.count == 2, let first = Int(bounds[0]), let last = Int(bounds[1]), first <= last
    else {
      return nil
    }
    if let total, last >= total { return nil }
    self.first = first
    self.last = last
  }
}
