/// A decoder of `Transfer-Encoding: chunked` (RFC 9112, section 7.1) that
/// takes the body in pieces of any size and passes the chunk data on
/// without copying it.
///
/// Chunk extensions and trailer fields are read and ignored. Size lines,
/// the line ends after chunk data and trailer lines are collected in
/// `line`, whose capacity is reserved once, so decoding allocates nothing
/// per piece.
struct ChunkedDecoder {
  private enum State: Equatable {
    /// Reading a chunk-size line.
    case size
    /// Passing on chunk data, with this many bytes left.
    case data(Int)
    /// Reading the line end after a chunk's data.
    case dataEnd
    /// Reading trailer lines after the last chunk.
    case trailer
    case finished
  }

  /// The maximum length of a size line or trailer line, in bytes.
  static let maximumLineLength = 4096
  /// The maximum number of trailer bytes after the last chunk.
  static let maximumTrailerLength = 64 << 10

  private var state = State.size
  private var line: [UInt8] = []
  private var trailerLength = 0

  init() {
    line.reserveCapacity(Self.maximumLineLength)
  }

  /// Whether the last chunk and the trailer have been read.
  var isFinished: Bool { state == .finished }

  /// Decodes `input` and calls `body` with each piece of chunk data, in
  /// order.
  ///
  /// - Returns: The number of bytes of `input` consumed: all of them,
  ///   unless the chunked body ended inside `input`.
  /// - Throws: `TransportError.invalidResponse` for a malformed size line,
  ///   a missing line end after chunk data or an oversize line; any error
  ///   from `body`.
  mutating func decode(
    _ input: UnsafeRawBufferPointer,
    body: (UnsafeRawBufferPointer) throws -> Void
  ) throws -> Int {
    var index = 0
    while index < input.count {
      switch state {
      case .data(let remaining):
        let count = min(remaining, input.count - index)
        try body(UnsafeRawBufferPointer(rebasing: input[index..<(index + count)]))
        index += count
        state = remaining == count ? .dataEnd : .data(remaining - count)
      case .size, .dataEnd, .trailer:
        guard let end = try collectLine(input, from: &index) else { return input.count }
        try finishLine(ending: end)
      case .finished:
        return index
      }
    }
    return index
  }

  /// Appends bytes up to the next LF to `line`.
  ///
  /// - Returns: The line without its CR LF when it is complete, or nil when
  ///   `input` ended first.
  private mutating func collectLine(
    _ input: UnsafeRawBufferPointer,
    from index: inout Int
  ) throws -> Int? {
    let start = index
    while index < input.count && input[index] != UInt8(ascii: "\n") { index += 1 }
    let complete = index < input.count
    line.append(contentsOf: input[start..<index])
    if state == .trailer { trailerLength += index - start }
    if complete { index += 1 }
    guard line.count <= Self.maximumLineLength else {
      throw TransportError.invalidResponse("chunked body has a line longer than 4 KiB")
    }
    guard trailerLength <= Self.maximumTrailerLength else {
      throw TransportError.invalidResponse("chunked body has a trailer longer than 64 KiB")
    }
    guard complete else { return nil }
    return line.last == UInt8(ascii: "\r") ? line.count - 1 : line.count
  }

  /// Acts on the complete line in `line[..<end]` and empties `line`.
  private mutating func finishLine(ending end: Int) throws {
    defer { line.removeAll(keepingCapacity: true) }
    switch state {
    case .size:
      let size = try Self.chunkSize(line[..<end])
      state = size == 0 ? .trailer : .data(size)
    case .dataEnd:
      guard end == 0 else {
        throw TransportError.invalidResponse("chunk data is longer than its chunk size")
      }
      state = .size
    case .trailer:
      if end == 0 { state = .finished }
    case .data, .finished:
      break
    }
  }

  /// Parses the hexadecimal size at the start of a chunk-size line, before
  /// any `;` and extensions.
  static func chunkSize(_ line: ArraySlice<UInt8>) throws -> Int {
    var size = 0
    var digits = 0
    var index = line.startIndex
    while index < line.endIndex, let digit = hexValue(line[index]) {
      // 15 hex digits stay below Int.max on 64-bit platforms.
      guard digits < 15 else {
        throw TransportError.invalidResponse("chunk size is too large")
      }
      size = size << 4 | digit
      digits += 1
      index += 1
    }
    while index < line.endIndex && (line[index] == UInt8(ascii: " ") || line[index] == 9) {
      index += 1
    }
    guard digits > 0, index == line.endIndex || line[index] == UInt8(ascii: ";") else {
      let shown = String(decoding: line.prefix(40), as: UTF8.self)
      throw TransportError.invalidResponse("invalid chunk size line '\(shown)'")
    }
    return size
  }

  private static func hexValue(_ byte: UInt8) -> Int? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a")) + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A")) + 10
    default: nil
    }
  }
}
