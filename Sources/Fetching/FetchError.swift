import Foundation
import StageKit

/// An error that ends a download.
package enum FetchError: StageError, Equatable {
  /// The URL is malformed or its scheme is not http, https or file.
  case invalidURL(String)
  /// The server returned an HTTP error status.
  case httpStatus(url: String, status: Int)
  /// The host name does not resolve.
  case unknownHost(url: String)
  /// No connection could be made, or it broke.
  case network(url: String, detail: String)
  /// No byte arrived for the stall timeout.
  case stalled(url: String, seconds: Double)
  /// TLS failed: a bad certificate or handshake.
  case secureConnection(url: String, detail: String)
  /// The body ended before Content-Length bytes arrived.
  case shortBody(url: String, received: Int, expected: Int)
  /// A redirect chain was longer than the limit.
  case tooManyRedirects(url: String, limit: Int)
  /// A 206 or 416 response did not fit the requested range.
  case unexpectedRange(url: String, detail: String)
  /// The server sent a response that is not valid HTTP/1.1, such as a
  /// malformed status line or an oversize head.
  case invalidResponse(url: String, detail: String)
  /// The result does not have the SHA-256 given with `--sha256`.
  case checksumMismatch(url: String, expected: String, actual: String)

  /// Whether trying the same request again may succeed: connection
  /// failures, stalls, short bodies and HTTP 408, 429 and 5xx.
  package var isRetryable: Bool {
    exitStatus == .temporaryFailure
  }

  package var exitStatus: ExitStatus {
    switch self {
    case .invalidURL: .usage
    case .httpStatus(_, let status):
      switch status {
      case 404, 410: .noInput
      case 408, 429, 500...599: .temporaryFailure
      default: .protocolError
      }
    case .unknownHost, .secureConnection: .unavailable
    case .network, .stalled, .shortBody: .temporaryFailure
    case .tooManyRedirects, .unexpectedRange, .invalidResponse: .protocolError
    case .checksumMismatch: .dataError
    }
  }

  /// The URL or path the error is about.
  package var subject: String {
    switch self {
    case .invalidURL(let url), .httpStatus(let url, _), .unknownHost(let url),
      .network(let url, _), .stalled(let url, _), .secureConnection(let url, _),
      .shortBody(let url, _, _), .tooManyRedirects(let url, _), .unexpectedRange(let url, _),
      .invalidResponse(let url, _), .checksumMismatch(let url, _, _):
      return url
    }
  }

  /// The problem alone, without the subject or advice.
  package var problem: String {
    switch self {
    case .invalidURL:
      return "invalid URL"
    case .httpStatus(_, let status):
      let reason = HTTPStatus.reason(status)
      return "server returned HTTP \(status)\(reason.isEmpty ? "" : " " + reason)"
    case .unknownHost:
      return "unknown host"
    case .network(_, let detail):
      return detail
    case .stalled(_, let seconds):
      return "no data received for \(Measure.duration(seconds)) (stall timeout)"
    case .secureConnection(_, let detail):
      return "TLS failed: \(detail)"
    case .shortBody(_, let received, let expected):
      return "body ended after \(received) of \(Measure.count(expected, "byte")) (Content-Length)"
    case .tooManyRedirects(_, let limit):
      return "more than \(Measure.count(limit, "redirect"))"
    case .unexpectedRange(_, let detail):
      return detail
    case .invalidResponse(_, let detail):
      return "invalid HTTP response: \(detail)"
    case .checksumMismatch(_, let expected, let actual):
      return "SHA-256 is \(actual), expected \(expected)"
    }
  }

  package var description: String {
    let advice: String
    switch self {
    case .invalidURL: advice = "expected http://, https://, file:// or a file path"
    case .httpStatus: advice = isRetryable ? "try again later" : "check the URL"
    case .unknownHost: advice = "check the URL and the network"
    case .network, .stalled, .shortBody: advice = "try again"
    case .secureConnection: advice = "check the URL and the server's certificate"
    case .tooManyRedirects, .unexpectedRange, .invalidResponse:
      advice = "check the URL or the server"
    case .checksumMismatch: advice = "check the --sha256 value or the source"
    }
    return "\(subject): \(problem)" + (advice.isEmpty ? "" : "; \(advice)")
  }
}

/// Reason phrases for the HTTP statuses a download is likely to meet.
enum HTTPStatus {
  static func reason(_ status: Int) -> String {
    switch status {
    case 301: "Moved Permanently"
    case 302: "Found"
    case 303: "See Other"
    case 307: "Temporary Redirect"
    case 308: "Permanent Redirect"
    case 400: "Bad Request"
    case 401: "Unauthorized"
    case 403: "Forbidden"
    case 404: "Not Found"
    case 408: "Request Timeout"
    case 410: "Gone"
    case 416: "Range Not Satisfiable"
    case 429: "Too Many Requests"
    case 500: "Internal Server Error"
    case 502: "Bad Gateway"
    case 503: "Service Unavailable"
    case 504: "Gateway Timeout"
    default: ""
    }
  }
}
