import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// One GET request whose response head goes to a `decide` callback and
/// whose body goes to a sink, in order.
///
/// `SocketTransfer` implements it for plain http:// URLs and `HTTPTransfer`
/// (URLSession) for https:// and for URLs that go through a proxy.
/// `HTTPTransports.run` picks one by URL.
protocol HTTPTransport {
  /// Runs the transfer to its end and returns what happened.
  func run() -> TransferOutcome
}

/// The result of a transfer.
struct TransferOutcome {
  /// The final response, or nil when none arrived.
  var head: ResponseHead?
  /// Body bytes handed to the sink.
  var receivedBytes = 0
  /// A network error, or an error thrown by the sink or by `decide`.
  var error: Error?
  /// No byte arrived for the stall timeout.
  var stalled = false
  /// A redirect chain was longer than the limit.
  var tooManyRedirects = false
  /// Whether the sink fell behind and the transfer was cancelled before
  /// the end of the body; only `HTTPTransfer` pauses.
  var paused = false
  /// The redirect target that the caller must continue with, when this
  /// transport does not fetch it (https://, or a URL behind a proxy).
  var handoff: URL?
  /// Redirects followed before the handoff.
  var redirects = 0
}

/// The action `decide` chooses for a response.
enum TransferDisposition {
  /// Close the transfer without reading the body.
  case reject
  /// Read the body. With `pausable`, a transport that cannot slow the
  /// server down (URLSession) may stop early with `TransferOutcome.paused`
  /// when the sink falls behind.
  case accept(pausable: Bool)
}

/// The choice between the two transports.
enum HTTPTransports {
  static let maximumRedirects = 10

  /// Sends `request` through the transport its URL needs, and continues a
  /// handoff with URLSession.
  ///
  /// - Parameters:
  ///   - request: The GET request, with any `Range` and conditional headers.
  ///   - stallTimeout: Seconds without a byte after which the transfer fails.
  ///   - environment: The process environment, for the proxy variables.
  ///   - decide: Called with the final response before its body.
  ///   - sink: Receives the body in order.
  /// - Returns: The outcome of the last transport that ran.
  static func run(
    _ request: URLRequest,
    stallTimeout: TimeInterval,
    environment: [String: String] = ProcessInfo.processInfo.environment,
    decide: @escaping (ResponseHead) throws -> TransferDisposition,
    sink: @escaping (UnsafeRawBufferPointer) throws -> Void
  ) -> TransferOutcome {
    var request = request
    var redirectLimit = maximumRedirects
    while true {
      let transport: any HTTPTransport
      if let url = request.url, usesSockets(url, environment: environment) {
        transport = SocketTransfer(
          request: request,
          stallTimeout: stallTimeout,
          redirectLimit: redirectLimit,
          environment: environment,
          decide: decide,
          sink: sink
        )
      } else {
        transport = HTTPTransfer(
          request: request,
          stallTimeout: stallTimeout,
          redirectLimit: redirectLimit,
          decide: decide,
          sink: sink
        )
      }
      let outcome = transport.run()
      // Only SocketTransfer hands off, and only to a URL that `usesSockets`
      // rejects, so the next round runs HTTPTransfer and this loop ends.
      // The headers of the first request (Range, If-Range, conditionals)
      // go on to the next hop, as HTTPTransfer does with its redirects.
      guard let next = outcome.handoff else { return outcome }
      request.url = next
      redirectLimit -= outcome.redirects
    }
  }

  /// Returns whether `url` goes through `SocketTransfer`: plain http://
  /// without a proxy.
  ///
  /// URLSession (libcurl) reads the proxy variables itself, so a URL that a
  /// proxy variable covers goes to URLSession, and proxies keep working.
  static func usesSockets(_ url: URL, environment: [String: String]) -> Bool {
    guard url.scheme?.lowercased() == "http", let host = url.host, !host.isEmpty else {
      return false
    }
    return !ProxySettings(environment: environment).coversHost(host)
  }
}

/// The proxy variables that decide whether a plain http:// URL goes through
/// a proxy: `http_proxy`, `HTTP_PROXY`, `all_proxy` and `ALL_PROXY`, with
/// the exceptions in `no_proxy` or `NO_PROXY`.
struct ProxySettings {
  var hasProxy: Bool
  /// The `no_proxy` entries in lowercase, without a leading dot, where "*"
  /// matches every host.
  var exceptions: [String]

  init(environment: [String: String]) {
    let names = ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
    hasProxy = names.contains { !(environment[$0] ?? "").isEmpty }
    let list = environment["no_proxy"] ?? environment["NO_PROXY"] ?? ""
    exceptions = list.split(separator: ",").map {
      var entry = $0.trimmingCharacters(in: .whitespaces).lowercased()
      if entry.hasPrefix(".") { entry.removeFirst() }
      if entry.hasPrefix("[") && entry.hasSuffix("]") {
        entry = String(entry.dropFirst().dropLast())
      }
      return entry
    }.filter { !$0.isEmpty }
  }

  /// Returns whether requests to `host` go through a proxy.
  ///
  /// An exception matches the host itself and, for a domain name, every
  /// name under it.
  // NOTE: CIDR ranges and port numbers in no_proxy are not understood, so
  // such an entry never exempts a host here. The URL then goes through
  // URLSession, which applies libcurl's own rules: slower, but correct.
  func coversHost(_ host: String) -> Bool {
    guard hasProxy else { return false }
    var name = host.lowercased()
    if name.hasPrefix("[") && name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
    for exception in exceptions {
      if exception == "*" || name == exception || name.hasSuffix("." + exception) {
        return false
      }
    }
    return true
  }
}
