import CZlib
import Testing

@testable import Inflating

/// Compresses `bytes` into one gzip member with zlib's `deflate()`.
func gzip(_ bytes: [UInt8]) -> [UInt8] {
  var stream = z_stream()
  // windowBits 15 + 16 asks deflate for a gzip wrapper.
  deflateInit2_(
    &stream,
    6,
    Z_DEFLATED,
    15 + 16,
    8,
    Z_DEFAULT_STRATEGY,
    zlibVersion(),
    Int32(MemoryLayout<z_stream>.size)
  )
  defer { deflateEnd(&stream) }
  var input = bytes
  var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 32)
  input.withUnsafeMutableBufferPointer { source in
    output.withUnsafeMutableBufferPointer { target in
      stream.next_in = source.baseAddress
      stream.avail_in = UInt32(source.count)
      stream.next_out = target.baseAddress
      stream.avail_out = UInt32(target.count)
      deflate(&stream, Z_FINISH)
    }
  }
  return Array(output[..<Int(stream.total_out)])
}

/// Decodes `bytes` in reads of at most `readSize` bytes.
func gunzip(_ bytes: [UInt8], readSize: Int = 7) throws -> [UInt8] {
  var offset = 0
  var output: [UInt8] = []
  _ = try GzipDecoder(name: "test.gz").decode(
    read: { buffer in
      let count = min(readSize, buffer.count, bytes.count - offset)
      for index in 0..<count { buffer[index] = bytes[offset + index] }
      offset += count
      return count
    },
    write: { output.append(contentsOf: $0) }
  )
  return output
}

@Suite struct GzipDecoderTests {
  let text = Array(String(repeating: "nm0000001\tFred Astaire\t1899\t1987\n", count: 500).utf8)

  @Test("single member round trip")
  func singleMember() throws {
    #expect(try gunzip(gzip(text)) == text)
  }

  @Test("concatenated members")
  func concatenatedMembers() throws {
    let second = Array("second member\n".utf8)
    #expect(try gunzip(gzip(text) + gzip(second)) == text + second)
  }

  @Test("empty member decodes to nothing")
  func emptyMember() throws {
    #expect(try gunzip(gzip([])) == [])
  }

  @Test("truncated stream is an error")
  func truncated() {
    let compressed = gzip(text)
    let cut = Array(compressed.prefix(compressed.count - 3))
    #expect(throws: InflateError.truncated(path: "test.gz", offset: cut.count)) {
      try gunzip(cut)
    }
  }

  // A gzip trailer is the CRC-32 (bytes 8 to 5 from the end), then the
  // data length (bytes 4 to 1).
  @Test(
    "bad trailer is an error",
    arguments: [(6, 0xff, "incorrect data check"), (2, 0x01, "incorrect length check")]
      as [(Int, UInt8, String)]
  )
  func badTrailer(offsetFromEnd: Int, flippedBits: UInt8, expectedDetail: String) {
    var compressed = gzip(text)
    compressed[compressed.count - offsetFromEnd] ^= flippedBits
    #expect {
      try gunzip(compressed)
    } throws: { error in
      guard case InflateError.corrupt(_, _, let detail) = error else { return false }
      return detail == expectedDetail
    }
  }

  @Test("corrupt deflate data is an error")
  func corruptBody() {
    var compressed = gzip(text)
    for index in 12..<40 { compressed[index] = 0xff }
    #expect(throws: InflateError.self) {
      try gunzip(compressed)
    }
  }

  @Test("plain text is not gzip")
  func notGzip() {
    #expect(throws: InflateError.notGzip(path: "test.gz")) {
      try gunzip(text)
    }
  }

  @Test("not gzip message names byte 0")
  func notGzipMessage() {
    #expect(
      InflateError.notGzip(path: "test.gz").description
        == "test.gz: not in gzip format: no gzip magic number (1f 8b) at byte 0"
    )
  }

  @Test("empty input is an error")
  func emptyInput() {
    #expect(throws: InflateError.empty(path: "test.gz")) {
      try gunzip([])
    }
  }

  @Test("trailing garbage names its offset")
  func trailingGarbage() {
    let compressed = gzip(text)
    #expect(throws: InflateError.trailingGarbage(path: "test.gz", offset: compressed.count)) {
      try gunzip(compressed + Array("junk".utf8), readSize: 4096)
    }
  }

  @Test("trailing zero bytes are garbage too")
  func trailingZeros() {
    let compressed = gzip(text)
    #expect(throws: InflateError.trailingGarbage(path: "test.gz", offset: compressed.count)) {
      try gunzip(compressed + [0, 0, 0, 0], readSize: 4096)
    }
  }
}
