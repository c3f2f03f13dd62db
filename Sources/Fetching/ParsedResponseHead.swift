/// The status line and header fields of an HTTP/1.x response, parsed from
/// the bytes a server sent.
///
/// The parser follows RFC 9112 and accepts what servers send in practice:
/// lines ended by LF alone, header names in any case, whitespace before
/// the colon, and obsolete line folding (a line that starts with a space or
/// tab continues the previous field's value).
struct ParsedResponseHead: Equatable {
  /// A header field with its name in lowercase and its value trimmed.
  struct Field: Equatable {
    var name: String
    var value: String
  }

  /// The HTTP version, such as "HTTP/1.1".
  var version: String
  var status: Int
  var reason: String
  /// The fields in the order received.
  var fields: [Field]

  /// The largest head accepted, in bytes, counting the empty line at its end.
  static let maximumLength = 64 << 10

  /// Returns the field `name` (lowercase), with the values of repeated
  /// fields joined by ", " as RFC 9110 allows; nil when it is absent.
  func value(_ name: String) -> String? {
    let values = fields.filter { $0.name == name }.map(\.value)
    return values.isEmpty ? nil : values.joined(separator: ", ")
  }

  /// The fields as a dictionary by name, for `ResponseHead`.
  var fieldsByName: [String: String] {
    var result: [String: String] = [:]
    for field in fields {
      result[field.name] = result[field.name].map { $0 + ", " + field.value } ?? field.value
    }
    return result
  }

  /// Returns the length of the head at the start of `bytes`, up to and
  /// including the empty line that ends it, or nil when `bytes` ends first.
  static func headLength(in bytes: UnsafeRawBufferPointer) -> Int? {
    var index = 0
    while let newline = firstNewline(in: bytes, from: index) {
      // An empty line is LF or CR LF right after the previous LF.
      var next = newline + 1
      if next < bytes.count && bytes[next] == UInt8(ascii: "\r") { next += 1 }
      if next < bytes.count && bytes[next] == UInt8(ascii: "\n") { return next + 1 }
      if next >= bytes.count { return nil }
      index = next
    }
    return nil
  }

  /// Parses a complete head, as measured by `headLength(in:)`.
  ///
  /// - Throws: `TransportError.invalidResponse` for a malformed status
  ///   line or header line.
  init(parsing bytes: UnsafeRawBufferPointer) throws {
    var lines = Self.lines(of: bytes)
    while lines.last?.isEmpty == true { lines.removeLast() }
    guard let statusLine = lines.first else {
      throw TransportError.invalidResponse("empty response head")
    }
    (version, status, reason) = try Self.parseStatusLine(statusLine)

    fields = []
    for line in lines.dropFirst() {
      if let first = line.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
        guard !fields.isEmpty else {
          throw TransportError.invalidResponse(
            "header line \(Self.quoted(line)) continues no header field"
          )
        }
        let continuation = Self.trimmed(line)
        if !continuation.isEmpty {
          fields[fields.count - 1].value += " " + Self.text(continuation)
        }
        continue
      }
      guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
        throw TransportError.invalidResponse("header line \(Self.quoted(line)) has no colon")
      }
      let name = Self.trimmed(line[..<colon])
      guard !name.isEmpty, name.allSatisfy(Self.isTokenCharacter) else {
        throw TransportError.invalidResponse("invalid header name in \(Self.quoted(line))")
      }
      fields.append(
        Field(
          name: Self.text(name).lowercased(),
          value: Self.text(Self.trimmed(line[(colon + 1)...]))
        )
      )
    }
  }

  // MARK: - Helpers

  private static func firstNewline(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
    var index = start
    while index < bytes.count {
      if bytes[index] == UInt8(ascii: "\n") { return index }
      index += 1
    }
    return nil
  }

  /// Splits `bytes` at LF and removes a CR before each LF.
  private static func lines(of bytes: UnsafeRawBufferPointer) -> [ArraySlice<UInt8>] {
    let all = Array(bytes)
    var lines: [ArraySlice<UInt8>] = []
    var start = 0
    for index in all.indices where all[index] == UInt8(ascii: "\n") {
      var end = index
      if end > start && all[end - 1] == UInt8(ascii: "\r") { end -= 1 }
      lines.append(all[start..<end])
      start = index + 1
    }
    if start < all.count { lines.append(all[start...]) }
    return lines
  }

  /// Parses `HTTP/1.x SP status [SP reason]`.
  private static func parseStatusLine(
    _ line: ArraySlice<UInt8>
  ) throws -> (version: String, status: Int, reason: String) {
    let malformed = TransportError.invalidResponse("malformed status line \(quoted(line))")
    let parts = line.split(
      separator: UInt8(ascii: " "),
      maxSplits: 2,
      omittingEmptySubsequences: true
    )
    guard parts.count >= 2 else { throw malformed }
    let version = text(parts[0])
    let digits = parts[1]
    guard version.hasPrefix("HTTP/1."), version.count == 8, version.last?.isNumber == true,
      digits.count == 3, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
      let status = Int(text(digits)), (100...599).contains(status)
    else {
      throw malformed
    }
    let reason = parts.count > 2 ? text(trimmed(parts[2])) : ""
    return (version, status, reason)
  }

  private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
    guard let first = bytes.firstIndex(where: { !isSpace($0) }),
      let last = bytes.lastIndex(where: { !isSpace($0) })
    else {
      return []
    }
    return bytes[first...last]
  }

  /// Decodes bytes as ISO 8859-1, which never fails, the way HTTP treats
  /// bytes above 0x7F in field values.
  private static func text(_ bytes: ArraySlice<UInt8>) -> String {
    String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
  }

  /// Returns a line for an error message: quoted, at most 80 characters,
  /// with control characters shown as `?`.
  private static func quoted(_ line: ArraySlice<UInt8>) -> String {
    let shown = line.prefix(80).map { $0 < 0x20 || $0 == 0x7F ? UInt8(ascii: "?") : $0 }
    return "'" + text(shown[...]) + (line.count > 80 ? "..." : "") + "'"
  }

  /// Returns whether `byte` may appear in a field name (RFC 9110 `tchar`).
  private static func isTokenCharacter(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
      UInt8(ascii: "0")...UInt8(ascii: "9"):
      return true
    default:
      return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
    }
  }
}
