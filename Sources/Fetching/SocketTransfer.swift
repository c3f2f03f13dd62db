import Foundation
import StageKit

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// One HTTP/1.1 GET of a plain http:// URL over a POSIX socket, with the
/// body streamed to a sink on the calling thread.
///
/// Data path, one thread, one 256 KiB buffer allocated per transfer:
///
///     socket --recv(2)--> buffer --(chunked decoding)--> sink
///
/// The socket is read only when the sink has returned, so a slow sink
/// slows the server down through TCP flow control, and memory stays flat.
/// That is why this transport never pauses, unlike `HTTPTransfer`.
///
/// Each request uses its own connection (`Connection: close`). The body
/// ends after Content-Length bytes, at the last chunk of a chunked body, or
/// when the server closes the connection. A body that ends early is not an
/// error here: `receivedBytes` falls short of Content-Length and the caller
/// reports the short body. Redirects are followed up to `redirectLimit`. A
/// redirect to a URL that must go through URLSession (https://, or one
/// covered by a proxy variable) ends the transfer with `handoff`.
///
/// NOTE: a body without Content-Length or chunked framing ends at the
/// close, so a connection that breaks cleanly in the middle of it looks
/// like a complete body. Only `--sha256` detects that truncation.
final class SocketTransfer: HTTPTransport {
  static let bufferSize = 256 << 10

  private let request: URLRequest
  private let stallTimeout: TimeInterval
  private let redirectLimit: Int
  private let environment: [String: String]
  private let decide: (ResponseHead) throws -> TransferDisposition
  private let sink: (UnsafeRawBufferPointer) throws -> Void

  /// - Parameters:
  ///   - request: The GET request: its URL and header fields are sent.
  ///   - stallTimeout: Seconds without progress in connect, send or receive
  ///     after which the transfer fails as stalled.
  ///   - redirectLimit: The number of redirects to follow.
  ///   - environment: The process environment, for the proxy variables.
  ///   - decide: Called with the final response before its body. Throwing
  ///     ends the transfer like `.reject`.
  ///   - sink: Receives the body in order; an error it throws ends the
  ///     transfer.
  init(
    request: URLRequest,
    stallTimeout: TimeInterval,
    redirectLimit: Int = HTTPTransports.maximumRedirects,
    environment: [String: String],
    decide: @escaping (ResponseHead) throws -> TransferDisposition,
    sink: @escaping (UnsafeRawBufferPointer) throws -> Void
  ) {
    self.request = request
    self.stallTimeout = stallTimeout
    self.redirectLimit = redirectLimit
    self.environment = environment
    self.decide = decide
    self.sink = sink
  }

  func run() -> TransferOutcome {
    var outcome = TransferOutcome()
    guard var url = request.url else {
      outcome.error = TransportError.invalidResponse("request has no URL")
      return outcome
    }
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.bufferSize, alignment: 16)
    defer { buffer.deallocate() }

    do {
      while true {
        let exchange = try Exchange(url: url, request: request, stallTimeout: stallTimeout)
        let head = try exchange.readHead(into: buffer)
        outcome.head = head.response

        if let location = head.redirectLocation {
          guard let next = URL(string: location, relativeTo: url)?.absoluteURL else {
            throw TransportError.invalidResponse(
              "redirect to an invalid URL '\(URLRedaction.redact(location))'"
            )
          }
          outcome.redirects += 1
          if outcome.redirects > redirectLimit {
            outcome.tooManyRedirects = true
            return outcome
          }
          let scheme = next.scheme?.lowercased()
          guard scheme == "http" || scheme == "https" else {
            throw TransportError.invalidResponse(
              "redirect to unsupported URL '\(URLRedaction.redact(next.absoluteString))'"
            )
          }
          if !HTTPTransports.usesSockets(next, environment: environment) {
            outcome.handoff = next
            return outcome
          }
          url = next
          continue
        }

        guard case .accept = try decide(head.response) else { return outcome }
        try exchange.readBody(head, buffer: buffer) { bytes in
          try sink(bytes)
          outcome.receivedBytes += bytes.count
        }
        return outcome
      }
    } catch TransportError.stalled {
      outcome.stalled = true
      outcome.error = TransportError.stalled
    } catch {
      outcome.error = error
    }
    return outcome
  }

  /// Returns the request line and header fields of a GET of `url`.
  static func requestText(url: URL, request: URLRequest) -> String {
    let components = URLComponents(url: url, resolvingAgainstBaseURL: true)
    var target = components?.percentEncodedPath ?? "/"
    if target.isEmpty { target = "/" }
    if let query = components?.percentEncodedQuery { target += "?" + query }

    var host = url.host ?? ""
    if host.contains(":") && !host.hasPrefix("[") { host = "[" + host + "]" }
    if let port = url.port, port != 80 { host += ":\(port)" }

    var fields: [(String, String)] = [("Host", host)]
    let requestFields = request.allHTTPHeaderFields ?? [:]
    let requestNames = Set(requestFields.keys.map { $0.lowercased() })
    if !requestNames.contains("user-agent") {
      fields.append(("User-Agent", "stageload-fetch/\(Tool.version)"))
    }
    if !requestNames.contains("accept-encoding") { fields.append(("Accept-Encoding", "identity")) }
    if let user = components?.user, !requestNames.contains("authorization") {
      let credentials = Data((user + ":" + (components?.password ?? "")).utf8)
      fields.append(("Authorization", "Basic " + credentials.base64EncodedString()))
    }
    let reserved: Set<String> = ["host", "connection", "content-length", "transfer-encoding"]
    for (name, value) in requestFields.sorted(by: { $0.key < $1.key })
    where !reserved.contains(name.lowercased()) {
      fields.append((name, value))
    }
    fields.append(("Connection", "close"))

    var text = "GET \(target) HTTP/1.1\r\n"
    for (name, value) in fields {
      // A CR or LF would end the field early and let the value add fields.
      text += name + ": " + value.filter { $0 != "\r" && $0 != "\n" } + "\r\n"
    }
    return text + "\r\n"
  }
}

/// One request and its response on a new connection.
private struct Exchange {
  /// The way a response body ends.
  enum Framing {
    case length(Int)
    case chunked
    /// The body ends when the server closes the connection.
    case close
  }

  /// A response head with what the body reader needs.
  struct Head {
    var response: ResponseHead
    var framing: Framing
    /// The Location of a 301, 302, 303, 307 or 308 response, as sent.
    var redirectLocation: String?
    /// The body bytes that arrived with the head: `buffer[leftover]`.
    var leftover: Range<Int>
  }

  private let connection: SocketConnection
  private let url: URL

  init(url: URL, request: URLRequest, stallTimeout: TimeInterval) throws {
    guard let host = url.host, !host.isEmpty else {
      throw TransportError.invalidResponse("URL has no host")
    }
    self.url = url
    let bareHost = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
    connection = try SocketConnection.connect(
      host: bareHost,
      port: url.port ?? 80,
      stallTimeout: stallTimeout
    )
    try connection.send(Array(SocketTransfer.requestText(url: url, request: request).utf8))
  }

  /// Reads the final response head, skipping 1xx interim responses.
  ///
  /// - Throws: `TransportError.invalidResponse` for a malformed head or one
  ///   over `ParsedResponseHead.maximumLength` bytes, `.connectionLost`
  ///   when the connection ends before it.
  func readHead(into buffer: UnsafeMutableRawBufferPointer) throws -> Head {
    var filled = 0
    while true {
      let window = UnsafeRawBufferPointer(rebasing: buffer[..<filled])
      if let length = ParsedResponseHead.headLength(in: window),
        length <= ParsedResponseHead.maximumLength
      {
        let parsed = try ParsedResponseHead(
          parsing: UnsafeRawBufferPointer(rebasing: buffer[..<length])
        )
        if (100...199).contains(parsed.status) {
          // An interim response: the final head follows it.
          buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[length..<filled]))
          filled -= length
          continue
        }
        return try makeHead(parsed, leftover: length..<filled)
      }
      guard filled < ParsedResponseHead.maximumLength else {
        throw TransportError.invalidResponse("response head is larger than 64 KiB")
      }
      let space = buffer[filled..<ParsedResponseHead.maximumLength]
      let count = try connection.receive(into: UnsafeMutableRawBufferPointer(rebasing: space))
      guard count > 0 else {
        throw TransportError.connectionLost(
          filled == 0
            ? "server closed the connection without a response"
            : "server closed the connection inside the response head"
        )
      }
      filled += count
    }
  }

  private func makeHead(_ parsed: ParsedResponseHead, leftover: Range<Int>) throws -> Head {
    var fields = parsed.fieldsByName
    var framing = Framing.close
    if try Self.isChunked(parsed) {
      // Transfer-Encoding overrides Content-Length (RFC 9112, section 6.3).
      fields["content-length"] = nil
      framing = .chunked
    } else if let text = fields["content-length"] {
      framing = .length(try Self.contentLength(text))
    }
    var contentLength: Int?
    if case .length(let length) = framing { contentLength = length }
    var redirectLocation: String?
    if [301, 302, 303, 307, 308].contains(parsed.status), let location = fields["location"] {
      redirectLocation = location
    }
    return Head(
      response: ResponseHead(
        status: parsed.status,
        url: url.absoluteString,
        contentLength: contentLength,
        headers: fields
      ),
      framing: framing,
      redirectLocation: redirectLocation,
      leftover: leftover
    )
  }

  /// Returns whether the body is chunked; rejects other transfer codings,
  /// whose bytes would not be the file.
  private static func isChunked(_ parsed: ParsedResponseHead) throws -> Bool {
    guard let text = parsed.value("transfer-encoding") else { return false }
    let codings = text.split(separator: ",").map {
      $0.trimmingCharacters(in: .whitespaces).lowercased()
    }.filter { !$0.isEmpty && $0 != "identity" }
    if codings.isEmpty { return false }
    guard codings == ["chunked"] else {
      throw TransportError.invalidResponse("unsupported Transfer-Encoding '\(text)'")
    }
    return true
  }

  /// Parses a Content-Length value; repeated equal values ("10, 10") are
  /// allowed, as RFC 9110 permits.
  private static func contentLength(_ text: String) throws -> Int {
    let values = Set(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    guard values.count == 1, let value = values.first, !value.isEmpty,
      value.allSatisfy({ $0.isASCII && $0.isNumber }), let length = Int(value)
    else {
      throw TransportError.invalidResponse("invalid Content-Length '\(text)'")
    }
    return length
  }

  /// Reads the body after `head` and passes it to `sink`, starting with the
  /// bytes in `buffer[head.leftover]`.
  ///
  /// - Throws: `TransportError` for a broken connection or chunked body,
  ///   and any error from `sink`. An early end of a Content-Length body is
  ///   not an error.
  func readBody(
    _ head: Head,
    buffer: UnsafeMutableRawBufferPointer,
    sink: (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    var pending = head.leftover
    var remaining = Int.max
    switch head.framing {
    case .length(let length): remaining = length
    case .close: break
    case .chunked:
      var decoder = ChunkedDecoder()
      while true {
        _ = try decoder.decode(UnsafeRawBufferPointer(rebasing: buffer[pending]), body: sink)
        if decoder.isFinished { return }
        let count = try connection.receive(into: buffer)
        guard count > 0 else {
          throw TransportError.connectionLost("server closed the connection inside a chunked body")
        }
        pending = 0..<count
      }
    }

    while remaining > 0 {
      let count = min(remaining, pending.count)
      if count > 0 {
        try sink(
          UnsafeRawBufferPointer(
            rebasing: buffer[pending.lowerBound..<(pending.lowerBound + count)]
          )
        )
        remaining -= count
      }
      if remaining == 0 { return }
      let received = try connection.receive(into: buffer)
      if received == 0 { return }
      pending = 0..<received
    }
  }
}
