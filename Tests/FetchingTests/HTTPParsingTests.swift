import Foundation
import Testing

@testable import Fetching

/// Parses `text` as a complete response head.
private func parseHead(_ text: String) throws -> ParsedResponseHead {
  try Array(text.utf8).withUnsafeBytes { try ParsedResponseHead(parsing: $0) }
}

/// Returns the head length that `headLength(in:)` finds in `text`.
private func headLength(_ text: String) -> Int? {
  Array(text.utf8).withUnsafeBytes { ParsedResponseHead.headLength(in: $0) }
}

@Suite struct ParsedResponseHeadTests {
  @Test("status line and fields")
  func plainHead() throws {
    let head = try parseHead(
      "HTTP/1.1 206 Partial Content\r\nContent-Length: 10\r\nETag: \"x\"\r\n\r\n"
    )
    #expect(head.version == "HTTP/1.1")
    #expect(head.status == 206)
    #expect(head.reason == "Partial Content")
    #expect(head.value("content-length") == "10")
    #expect(head.value("etag") == "\"x\"")
  }

  @Test("names in any case, LF line ends")
  func oddCaseAndBareLF() throws {
    let head = try parseHead("HTTP/1.0 200 OK\ncOnTeNt-LeNgTh:5\nX-A :  b  \n\n")
    #expect(head.status == 200)
    #expect(head.value("content-length") == "5")
    #expect(head.value("x-a") == "b")
  }

  @Test("folded field joins with a space")
  func foldedField() throws {
    let head = try parseHead("HTTP/1.1 200 OK\r\nX-Folded: first\r\n \t second\r\nA: b\r\n\r\n")
    #expect(head.value("x-folded") == "first second")
    #expect(head.value("a") == "b")
  }

  @Test("repeated fields join with a comma")
  func repeatedField() throws {
    let head = try parseHead("HTTP/1.1 200 OK\r\nVia: a\r\nvia: b\r\n\r\n")
    #expect(head.value("via") == "a, b")
    #expect(head.fieldsByName["via"] == "a, b")
  }

  @Test("status line without reason")
  func noReason() throws {
    let head = try parseHead("HTTP/1.1 304\r\n\r\n")
    #expect(head.status == 304)
    #expect(head.reason == "")
  }

  @Test(
    "malformed status line is rejected",
    arguments: [
      "HTTP/1.1 2OO OK", "HTTP/2 200 OK", "ICY 200 OK", "HTTP/1.1 99 Low", "HTTP/1.1 600 High",
      "HTTP/1.1 2000 OK", "HTTP/1.1", "",
    ]
  )
  func malformedStatusLine(line: String) {
    #expect(throws: TransportError.self) { try parseHead(line + "\r\n\r\n") }
  }

  @Test(
    "malformed header line is rejected",
    arguments: ["no colon here", ": empty name", "bad name: x", " leading fold: x"]
  )
  func malformedHeaderLine(line: String) {
    // A fold right after the status line continues no field.
    #expect(throws: TransportError.self) { try parseHead("HTTP/1.1 200 OK\r\n\(line)\r\n\r\n") }
  }

  @Test("error names the status line")
  func errorMessage() {
    #expect(throws: TransportError.invalidResponse("malformed status line 'HTTP/1.1 2OO OK'")) {
      try parseHead("HTTP/1.1 2OO OK\r\n\r\n")
    }
  }

  @Test(
    "head length finds the empty line",
    arguments: [
      ("HTTP/1.1 200 OK\r\n\r\nbody", 19), ("HTTP/1.1 200 OK\n\nbody", 17),
      ("HTTP/1.1 200 OK\r\nA: b\r\n\r\n", 25), ("HTTP/1.1 200 OK\r\nA: b\n\r\nxy", 24),
    ]
  )
  func headLengthFound(text: String, length: Int) {
    #expect(headLength(text) == length)
  }

  @Test(
    "head length is nil while incomplete",
    arguments: ["", "HTTP/1.1 200 OK", "HTTP/1.1 200 OK\r\n", "HTTP/1.1 200 OK\r\nA: b\r\n\r"]
  )
  func headLengthIncomplete(text: String) {
    #expect(headLength(text) == nil)
  }
}

@Suite struct ChunkedDecoderTests {
  /// Decodes `text` in pieces of `pieceSize` bytes and returns the body.
  func decode(_ text: String, pieceSize: Int) throws -> (body: String, finished: Bool) {
    let bytes = Array(text.utf8)
    var decoder = ChunkedDecoder()
    var body: [UInt8] = []
    var start = 0
    while start < bytes.count && !decoder.isFinished {
      let end = min(bytes.count, start + pieceSize)
      _ = try bytes[start..<end].withUnsafeBytes { piece in
        try decoder.decode(piece) { body.append(contentsOf: $0) }
      }
      start = end
    }
    return (String(decoding: body, as: UTF8.self), decoder.isFinished)
  }

  static let encoded =
    "5\r\nhello\r\n1;name=value\r\n,\r\nA \r\n wonderful\r\n0\r\nX-Trailer: t\r\n\r\n"

  @Test("any piece size gives the same body", arguments: [1, 2, 3, 7, 1000])
  func pieceSizes(pieceSize: Int) throws {
    let result = try decode(Self.encoded, pieceSize: pieceSize)
    #expect(result.body == "hello, wonderful")
    #expect(result.finished)
  }

  @Test("bare LF line ends and uppercase hex")
  func bareLineFeeds() throws {
    let result = try decode("B\nhello world\n0\n\n", pieceSize: 4)
    #expect(result.body == "hello world")
    #expect(result.finished)
  }

  @Test("bytes after the last chunk are not consumed")
  func trailingBytes() throws {
    let bytes = Array("2\r\nab\r\n0\r\n\r\nNEXT".utf8)
    var decoder = ChunkedDecoder()
    let consumed = try bytes.withUnsafeBytes { try decoder.decode($0) { _ in } }
    #expect(consumed == bytes.count - 4)
    #expect(decoder.isFinished)
  }

  @Test("body cut before the last chunk is unfinished")
  func unfinished() throws {
    let result = try decode("5\r\nhello\r\n", pieceSize: 3)
    #expect(result.body == "hello")
    #expect(!result.finished)
  }

  @Test(
    "malformed chunked body is rejected",
    arguments: [
      "x\r\n", "\r\n", "5\r\nhello!\r\n", "-1\r\n", "5 junk\r\n", "1000000000000000\r\n",
      String(repeating: "1", count: 5000),
    ]
  )
  func malformed(text: String) {
    #expect(throws: TransportError.self) { try decode(text, pieceSize: 64) }
  }

  @Test("chunk size allows spaces before an extension")
  func sizeWithExtension() throws {
    #expect(try ChunkedDecoder.chunkSize(Array("1f ; a=b".utf8)[...]) == 31)
  }
}
