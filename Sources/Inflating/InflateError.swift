import StageKit

/// An error that stops the decompression of a gzip stream.
package enum InflateError: StageError, Equatable {
  /// The input is empty.
  case empty(path: String)
  /// The input does not start with a gzip header.
  case notGzip(path: String)
  /// zlib found corrupt data, a bad CRC-32 or a bad length in a member.
  case corrupt(path: String, offset: Int, detail: String)
  /// The input ends inside a member.
  case truncated(path: String, offset: Int)
  /// Bytes after the last member are not another gzip member.
  case trailingGarbage(path: String, offset: Int)

  package var exitStatus: ExitStatus { .dataError }

  package var description: String {
    switch self {
    case .empty(let path):
      return "\(path): empty input; expected gzip data"
    case .notGzip(let path):
      return "\(path): not in gzip format: no gzip magic number (1f 8b) at byte 0"
    case .corrupt(let path, let offset, let detail):
      return "\(path): corrupt gzip data near byte \(offset): \(detail); download the file again"
    case .truncated(let path, let offset):
      return "\(path): truncated gzip stream: input ends at byte \(offset) inside a member; "
        + "download the file again"
    case .trailingGarbage(let path, let offset):
      return "\(path): trailing garbage after the last gzip member at byte \(offset)"
    }
  }
}
