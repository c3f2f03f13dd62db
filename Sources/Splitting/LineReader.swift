import Glibc
import StageKit

/// Reads an input in large blocks and hands out its lines in place.
///
/// A line is passed without its `\n` and without one `\r` before it, so
/// CRLF files read like LF files. The last line needs no newline. A line
/// that does not fit the buffer makes the buffer grow, up to
/// `maximumLineLength`. A line that still does not fit, because it has
/// `maximumLineLength` bytes or more, is handed out cut to that length,
/// and the reader skips the rest, so memory stays bounded.
///
/// At least `readablePastLine` bytes after each line handed out may be
/// read: they are the rest of the buffer (the newline, the next lines) or
/// zero bytes of padding after its end. The first of them is LF, CR (of a
/// CRLF) or, after the last line, NUL.
final class LineReader {
  static let blockSize = 1 << 20
  static let defaultMaximumLineLength = 64 << 20
  static let readablePastLine = 16

  private let input: FileInput
  /// The length, in bytes, from which a line is cut; at least `blockSize`.
  let maximumLineLength: Int
  private var storage: UnsafeMutablePointer<UInt8>
  private var capacity: Int
  /// The number of bytes read from the input so far.
  private(set) var bytesRead = 0

  init(input: FileInput, maximumLineLength: Int = defaultMaximumLineLength) {
    self.input = input
    self.maximumLineLength = max(maximumLineLength, Self.blockSize)
    capacity = Self.blockSize
    storage = Self.allocateStorage(capacity: capacity)
  }

  /// Allocates room for `capacity` bytes of input and `readablePastLine`
  /// zero bytes after them.
  private static func allocateStorage(capacity: Int) -> UnsafeMutablePointer<UInt8> {
    let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity + readablePastLine)
    (storage + capacity).initialize(repeating: 0, count: readablePastLine)
    return storage
  }

  deinit {
    storage.deallocate()
  }

  /// Calls `body` with each line and its 1-based line number.
  ///
  /// - Parameters:
  ///   - overlong: Called instead of `body` for a line of
  ///     `maximumLineLength` bytes or more, with its first
  ///     `maximumLineLength` bytes and its line number. When it returns, the rest of the line is read
  ///     and dropped, and reading goes on with the next line.
  ///   - body: Called with each other line and its line number.
  /// - Throws: A read error, or what `body` or `overlong` throws.
  func forEachLine(
    overlong: (UnsafeBufferPointer<UInt8>, Int) throws -> Void,
    _ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Void
  ) throws {
    var lineNumber = 0
    var start = 0
    var end = 0
    var atEndOfInput = false
    // Whether the bytes read are the rest of an overlong line, up to and
    // including its newline.
    var skipping = false

    while true {
      let base = storage
      if skipping {
        if let hit = memchr(base + start, 0x0a, end - start) {
          start = UnsafeRawPointer(hit) - UnsafeRawPointer(base) + 1
          skipping = false
        } else {
          start = end
        }
      }
      var scanFrom = start
      while let hit = memchr(base + scanFrom, 0x0a, end - scanFrom) {
        let newline = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
        lineNumber += 1
        try body(Self.trimmingCR(base + start, count: newline - start), lineNumber)
        start = newline + 1
        scanFrom = start
      }

      if atEndOfInput {
        if start < end {
          lineNumber += 1
          try body(Self.trimmingCR(base + start, count: end - start), lineNumber)
        }
        return
      }

      // Move the partial line to the front, growing the buffer when the
      // partial line already fills it.
      let partial = end - start
      if partial >= maximumLineLength {
        lineNumber += 1
        try overlong(
          UnsafeBufferPointer(start: storage + start, count: maximumLineLength),
          lineNumber
        )
        skipping = true
        start = 0
        end = 0
      } else if partial == capacity {
        let larger = Self.allocateStorage(capacity: min(capacity * 2, maximumLineLength))
        larger.update(from: storage, count: capacity)
        storage.deallocate()
        storage = larger
        capacity = min(capacity * 2, maximumLineLength)
      } else {
        if start > 0 { memmove(storage, storage + start, partial) }
        start = 0
        end = partial
      }

      let free = UnsafeMutableRawBufferPointer(start: storage + end, count: capacity - end)
      let count = try input.read(into: free)
      bytesRead += count
      end += count
      // The NUL after the input read so far ends a last line that has no
      // newline. When the buffer is full, it goes into the padding.
      storage[end] = 0
      if count == 0 { atEndOfInput = true }
    }
  }

  @inline(__always)
  private static func trimmingCR(_ start: UnsafePointer<UInt8>, count: Int)
    -> UnsafeBufferPointer<UInt8>
  {
    let trimmed = count > 0 && start[count - 1] == 0x0d ? count - 1 : count
    return UnsafeBufferPointer(start: start, count: trimmed)
  }
}
