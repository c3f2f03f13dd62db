import Foundation
import Testing

@testable import Fetching

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

@Suite struct ProxySettingsTests {
  @Test("no proxy variable means direct")
  func noProxy() {
    let settings = ProxySettings(environment: ["no_proxy": "example.org"])
    #expect(!settings.coversHost("example.com"))
  }

  @Test(
    "proxy variables cover hosts",
    arguments: ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
  )
  func proxyVariables(name: String) {
    let settings = ProxySettings(environment: [name: "http://proxy:3128"])
    #expect(settings.coversHost("example.org"))
  }

  @Test(
    "no_proxy exempts hosts and domains",
    arguments: [
      ("example.org", false), ("www.example.org", false), ("EXAMPLE.ORG", false),
      ("notexample.org", true), ("127.0.0.1", false), ("::1", false), ("10.0.0.1", true),
    ]
  )
  func exceptions(host: String, proxied: Bool) {
    let settings = ProxySettings(environment: [
      "http_proxy": "http://proxy:3128", "no_proxy": " .example.org, 127.0.0.1,[::1]",
    ])
    #expect(settings.coversHost(host) == proxied)
  }

  @Test("no_proxy star exempts every host")
  func star() {
    let settings = ProxySettings(environment: ["http_proxy": "http://p:1", "NO_PROXY": "*"])
    #expect(!settings.coversHost("example.org"))
  }

  @Test(
    "transport by URL",
    arguments: [
      ("http://example.org/a", true), ("HTTP://example.org/a", true),
      ("https://example.org/a", false), ("http://proxied.test/a", false),
    ]
  )
  func transportChoice(url: String, sockets: Bool) throws {
    let environment = ["http_proxy": "http://p:1", "no_proxy": "example.org"]
    let parsed = try #require(URL(string: url))
    #expect(HTTPTransports.usesSockets(parsed, environment: environment) == sockets)
  }
}

@Suite struct SocketRequestTests {
  /// Returns the request text for `url` with the header fields `fields`.
  func requestText(_ url: String, _ fields: [String: String] = [:]) throws -> String {
    var request = URLRequest(url: try #require(URL(string: url)))
    for (name, value) in fields { request.setValue(value, forHTTPHeaderField: name) }
    return SocketTransfer.requestText(url: try #require(request.url), request: request)
  }

  @Test("request line and default fields")
  func defaults() throws {
    let text = try requestText("http://example.org/a%20b?x=1&y=2#fragment")
    #expect(text.hasPrefix("GET /a%20b?x=1&y=2 HTTP/1.1\r\nHost: example.org\r\n"))
    #expect(text.contains("\r\nUser-Agent: stageload-fetch/"))
    #expect(text.contains("\r\nAccept-Encoding: identity\r\n"))
    #expect(text.hasSuffix("\r\nConnection: close\r\n\r\n"))
    #expect(!text.contains("Authorization"))
  }

  @Test("empty path becomes a slash")
  func emptyPath() throws {
    #expect(try requestText("http://example.org").hasPrefix("GET / HTTP/1.1\r\n"))
  }

  @Test("Host has the port unless 80, and brackets for IPv6")
  func hostField() throws {
    #expect(try requestText("http://example.org:8080/").contains("\r\nHost: example.org:8080\r\n"))
    #expect(try requestText("http://example.org:80/").contains("\r\nHost: example.org\r\n"))
    #expect(try requestText("http://[::1]:8080/").contains("\r\nHost: [::1]:8080\r\n"))
  }

  @Test("user information becomes Basic authorization")
  func basicAuthorization() throws {
    let text = try requestText("http://user:se%40cret@example.org/")
    let expected = Data("user:se@cret".utf8).base64EncodedString()
    #expect(text.contains("\r\nAuthorization: Basic \(expected)\r\n"))
    #expect(!text.contains("se@cret"))
    #expect(!text.contains("user:"))
  }

  @Test("request fields are sent without line breaks")
  func requestFields() throws {
    let text = try requestText(
      "http://example.org/",
      ["Range": "bytes=5-", "If-Range": "\"e\r\nX-Injected: 1\""]
    )
    #expect(text.contains("\r\nRange: bytes=5-\r\n"))
    // URLRequest drops such a value itself; a CR or LF that got through
    // would be removed before sending.
    #expect(!text.contains("\r\nX-Injected"))
  }
}

@Suite struct TransportErrorMappingTests {
  @Test(
    "socket errors map like URLSession errors",
    arguments: [
      (TransportError.unknownHost("Name or service not known"), Int32(69)),
      (TransportError.cannotConnect(code: ECONNREFUSED), Int32(75)),
      (TransportError.cannotConnect(code: ENETUNREACH), Int32(75)),
      (TransportError.connectionLost("connection reset by the server"), Int32(75)),
      (TransportError.stalled, Int32(75)),
      (TransportError.invalidResponse("malformed status line 'x'"), Int32(76)),
    ]
  )
  func exitStatus(error: TransportError, status: Int32) throws {
    let mapped = try #require(HTTPDownload.fetchError(for: error, url: "u") as? FetchError)
    #expect(mapped.exitStatus.rawValue == status)
  }

  @Test("connection refused reads as before")
  func refusedMessage() {
    let mapped = HTTPDownload.fetchError(
      for: TransportError.cannotConnect(code: ECONNREFUSED),
      url: "http://h/"
    )
    #expect(mapped as? FetchError == .network(url: "http://h/", detail: "connection refused"))
  }
}
