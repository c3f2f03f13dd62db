import StageKit

/// Why a download failed.
package enum FetchError: StageError, Equatable {
  /// The URL is malformed or its scheme is not http, https or file.
  case invalidURL(String)
  /// The server answered with an HTTP error status.
  case httpStatus(url: String, status: Int)
  /// The host name does not resolve.
  case unknownHost(url: String)
  /// No connection could be made, or it broke, or it stalled.
  case network(url: String, detail: String)
  /// TLS failed: a bad certificate or handshake.
  case secureConnection(url: String, detail: String)
  /// The body ended before Content-Length bytes arrived.
  case shortBody(url: String, received: Int, expected: Int)

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
    case .network, .shortBody: .temporaryFailure
    }
  }

  package var description: String {
    switch self {
    case .invalidURL(let url):
      return "\(url): invalid URL; expected http://, https://, file:// or a file path"
    case .httpStatus(let url, let status):
      let reason = HTTPStatus.reason(status)
      let advice = exitStatus == .temporaryFailure ? "; try again later" : "; check the URL"
      return "\(url): server returned HTTP \(status) \(reason)\(advice)"
    case .unknownHost(let url):
      return "\(url): unknown host; check the URL and the network"
    case .network(let url, let detail):
      return "\(url): \(detail); try again"
    case .secureConnection(let url, let detail):
      return "\(url): TLS failed: \(detail)"
    case .shortBody(let url, let received, let expected):
      return "\(url): body ended after \(received) of \(expected) bytes (Content-Length); try again"
    }
  }
}

/// Reason phrases for the HTTP statuses a download is likely to meet.
enum HTTPStatus {
  static func reason(_ status: Int) -> String {
    switch status {
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
