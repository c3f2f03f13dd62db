import Foundation
import Glibc
import Testing

/// The socket transport against responses that URLSession used to absorb:
/// other body framings, odd heads, relative redirects and broken replies.
extension FetchCommandTests {
  @Test("chunked body arrives exactly")
  func chunkedBody() throws {
    let server = try server
    let run = try fetch(server.url("data.bin", "id=\(id)&framing=chunked"))
    #expect(run.status == 0)
    #expect(digest(of: "out.bin") == sha256(server.contents(of: "data.bin")))
    #expect(recordedDigest() == digest(of: "out.bin"))
  }

  @Test("reset inside chunked body resumes")
  func chunkedBodyReset() throws {
    let server = try server
    let run = try fetch(server.url("data.bin", "id=\(id)&framing=chunked&drop=300000"))
    #expect(run.status == 0)
    #expect(digest(of: "out.bin") == sha256(server.contents(of: "data.bin")))
    #expect(server.requests(id: id).last?.first == "206")
  }

  @Test("body ended by close arrives exactly")
  func bodyEndedByClose() throws {
    let server = try server
    let run = try fetch(server.url("data.bin", "id=\(id)&framing=close"))
    #expect(run.status == 0)
    #expect(digest(of: "out.bin") == sha256(server.contents(of: "data.bin")))
  }

  @Test("odd header case, folding and 100 Continue")
  func oddHead() throws {
    let server = try server
    let run = try fetch(server.url("data.bin", "id=\(id)&odd_headers=1&interim=1"))
    #expect(run.status == 0)
    #expect(digest(of: "out.bin") == sha256(server.contents(of: "data.bin")))
    let text = try String(contentsOfFile: path("out.bin.meta"), encoding: .utf8)
    #expect(text.contains("etag\t\""))
  }

  @Test(
    "relative and absolute redirects",
    arguments: ["relative", "absolute", "path"]
  )
  func redirectForms(form: String) throws {
    let server = try server
    let run = try fetch(server.url("data.bin", "id=\(id)&redirect=2&location=\(form)"))
    #expect(run.status == 0)
    #expect(digest(of: "out.bin") == sha256(server.contents(of: "data.bin")))
    let text = try String(contentsOfFile: path("out.bin.meta"), encoding: .utf8)
    let finalURL = server.url("data.bin", "id=\(id)&redirect=0&location=\(form)")
    #expect(text.contains("final_url\t\(finalURL)\n"))
  }

  @Test("oversize head exits 76 without retry")
  func oversizeHead() throws {
    let server = try server
    let run = try FetchCommand.run([
      server.url("data.bin", "id=\(id)&head_padding=70000&times=99"), "-o", path("out.bin"),
    ])
    #expect(run.status == 76)
    #expect(run.stderr.contains("response head is larger than 64 KiB"))
    // The server logs a request only after sending the whole response,
    // which fails here, so the retry notes show that none was made.
    #expect(!run.stderr.contains("; retry "))
    #expect(!exists("out.bin"))
    #expect(!exists("out.bin.part"))
  }

  @Test("malformed status line exits 76")
  func malformedStatusLine() throws {
    let server = try server
    let run = try fetch(server.url("data.bin", "id=\(id)&bad_status=1&times=99"))
    #expect(run.status == 76)
    #expect(run.stderr.contains("malformed status line 'HTTP/1.1 2OO OK'"))
    #expect(!exists("out.bin"))
  }

  @Test("redirect to a closed port is retried")
  func redirectToClosedPort() throws {
    let server = try server
    let closed = "http://127.0.0.1:\(try Self.closedPort())/data.bin"
    let run = try FetchCommand.run([
      server.url("data.bin", "id=\(id)&times=99&redirect_to=\(closed)"), "-o", path("out.bin"),
      "--retries", "1", "--retry-delay", "0.05",
    ])
    #expect(run.status == 75)
    #expect(run.stderr.contains("connection refused; retry 1 of 1"))
    #expect(server.requests(id: id).count == 2)
    #expect(!exists("out.bin"))
  }

  @Test("redirect to a proxied URL goes on with URLSession")
  func redirectHandoff() throws {
    let server = try server
    // The first hop is exempt from the proxy and goes through the socket
    // transport. The redirect target is not, so URLSession fetches it
    // through the fault server standing in for the proxy.
    let target = "http://proxied.invalid/data.bin?id=\(id)-target"
    let run = try FetchCommand.run(
      [server.url("data.bin", "id=\(id)&redirect_to=\(target)"), "-o", path("out.bin")],
      environment: ["http_proxy": "http://127.0.0.1:\(server.port)", "no_proxy": "127.0.0.1"]
    )
    #expect(run.status == 0)
    #expect(digest(of: "out.bin") == sha256(server.contents(of: "data.bin")))
    #expect(server.requests(id: id).first?.last == "origin")
    #expect(server.requests(id: "\(id)-target").first?.last == "absolute")
    let text = try String(contentsOfFile: path("out.bin.meta"), encoding: .utf8)
    #expect(text.contains("final_url\t\(target)\n"))
  }

  @Test("password stays out of messages and sidecars")
  func passwordRedacted() throws {
    let server = try server
    let url = "http://user:secret@127.0.0.1:\(server.port)/data.bin?id=\(id)&status=500"
    let run = try FetchCommand.run([url, "-o", path("out.bin"), "--retry-delay", "0.05"])
    #expect(run.status == 0)
    #expect(run.stderr.contains("http://user:***@127.0.0.1"))
    #expect(!run.stderr.contains("secret"))
    let text = try String(contentsOfFile: path("out.bin.meta"), encoding: .utf8)
    #expect(!text.contains("secret"))
  }

  /// Returns a port on 127.0.0.1 that nothing listens on: one that the
  /// kernel just handed out and that was closed again.
  static func closedPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    try #require(descriptor >= 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
      }
    }
    try #require(bound)
    return Int(UInt16(bigEndian: address.sin_port))
  }
}
