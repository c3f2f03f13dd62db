import CZlib
import StageKit

/// A streaming gunzip over zlib's `inflate()`.
///
/// It accepts one or more concatenated gzip members (RFC 1952), as `gzip`
/// and IMDb's files may contain. zlib checks each member's CRC-32 and
/// ISIZE trailer; an early end of input, corrupt data or bytes after the
/// last member that do not start a new member are errors, so the output is
/// never silently short. Memory is the two fixed buffers and zlib's 32 KiB
/// window.
package final class GzipDecoder {
  /// Counts of one decompression.
  package struct Summary: Sendable, Equatable {
    package var compressedBytes = 0
    package var decompressedBytes = 0
    package var members = 0
  }

  static let inputSize = 256 << 10
  static let outputSize = 1 << 20

  /// The input's name for messages.
  private let name: String

  package init(name: String) {
    self.name = name
  }

  /// Decompresses everything `read` returns and passes the output to `write`.
  ///
  /// - Parameters:
  ///   - read: Fills a buffer and returns the byte count, 0 at end of input.
  ///   - write: Receives each block of decompressed bytes.
  /// - Returns: The byte and member counts.
  /// - Throws: `InflateError` for invalid input, or what `read` and `write` throw.
  package func decode(
    read: (UnsafeMutableRawBufferPointer) throws -> Int,
    write: (UnsafeRawBufferPointer) throws -> Void
  ) throws -> Summary {
    let inputBase = UnsafeMutablePointer<UInt8>.allocate(capacity: Self.inputSize)
    let outputBase = UnsafeMutablePointer<UInt8>.allocate(capacity: Self.outputSize)
    let input = UnsafeMutableRawBufferPointer(start: inputBase, count: Self.inputSize)
    defer {
      inputBase.deallocate()
      outputBase.deallocate()
    }
    var stream = z_stream()
    // windowBits 15 + 16: a gzip wrapper only, with the largest window.
    guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK
    else {
      throw InflateError.corrupt(path: name, offset: 0, detail: "zlib initialization failed")
    }
    defer { inflateEnd(&stream) }

    var summary = Summary()
    var inMember = false
    var atEndOfInput = false

    while true {
      if stream.avail_in == 0 && !atEndOfInput {
        let count = try read(input)
        summary.compressedBytes += count
        stream.next_in = inputBase
        stream.avail_in = UInt32(count)
        if count == 0 { atEndOfInput = true }
      }
      let consumed = summary.compressedBytes - Int(stream.avail_in)

      if stream.avail_in == 0 && atEndOfInput {
        if inMember { throw InflateError.truncated(path: name, offset: consumed) }
        if summary.members == 0 { throw InflateError.empty(path: name) }
        return summary
      }
      if !inMember {
        // A member must start with the gzip magic bytes 1f 8b; anything else
        // after a complete member is trailing garbage.
        if stream.next_in[0] != 0x1f || (stream.avail_in > 1 && stream.next_in[1] != 0x8b) {
          if summary.members == 0 { throw InflateError.notGzip(path: name) }
          throw InflateError.trailingGarbage(path: name, offset: consumed)
        }
        inMember = true
      }

      stream.next_out = outputBase
      stream.avail_out = UInt32(Self.outputSize)
      let status = CZlib.inflate(&stream, Z_NO_FLUSH)
      let produced = Self.outputSize - Int(stream.avail_out)
      if produced > 0 {
        summary.decompressedBytes += produced
        try write(UnsafeRawBufferPointer(start: outputBase, count: produced))
      }

      switch status {
      case Z_OK, Z_BUF_ERROR:
        continue
      case Z_STREAM_END:
        summary.members += 1
        inMember = false
        inflateReset(&stream)
      default:
        let offset = summary.compressedBytes - Int(stream.avail_in)
        let detail = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
        if summary.members == 0 && detail == "incorrect header check" {
          throw InflateError.notGzip(path: name)
        }
        throw InflateError.corrupt(path: name, offset: offset, detail: detail)
      }
    }
  }
}
