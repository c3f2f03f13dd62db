import CLinux
import Glibc

/// A readable file descriptor: an opened file or standard input.
package final class FileInput {
  package let descriptor: Int32
  /// The name used in messages: the path, or `standardInputName`.
  package let name: String
  private let ownsDescriptor: Bool

  /// Opens `path` for reading; `nil` or "-" means standard input.
  ///
  /// - Parameters:
  ///   - path: The file to open, or `nil` or "-" for standard input.
  ///   - standardInputName: The name that messages give standard input,
  ///     such as the file that a pipe reads from.
  /// - Throws: `SystemError` when `open(2)` fails.
  package init(path: String?, standardInputName: String = "stdin") throws {
    if let path, path != "-" {
      let fd = retryingOnInterrupt { open(path, O_RDONLY | O_CLOEXEC) }
      guard fd >= 0 else { throw SystemError("cannot open", path: path) }
      descriptor = fd
      name = path
      ownsDescriptor = true
    } else {
      descriptor = STDIN_FILENO
      name = standardInputName
      ownsDescriptor = false
    }
  }

  deinit {
    if ownsDescriptor { close(descriptor) }
  }

  /// Reads up to `buffer.count` bytes with `read(2)`.
  ///
  /// - Returns: The number of bytes read; 0 at end of file.
  package func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    let count = retryingOnInterrupt { Glibc.read(descriptor, buffer.baseAddress, buffer.count) }
    guard count >= 0 else { throw SystemError("read failed", path: name) }
    return count
  }

  /// Fills `buffer` unless the input ends first, calling `read(2)` as often
  /// as needed, so that short reads from pipes do not leave it half empty.
  ///
  /// - Returns: The number of bytes read; less than `buffer.count` only at
  ///   end of file.
  package func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    var filled = 0
    while filled < buffer.count {
      let count = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
      if count == 0 { break }
      filled += count
    }
    return filled
  }
}

/// A writable file descriptor: standard output or a file this process opened.
package final class FileOutput {
  package let descriptor: Int32
  /// The name used in messages: the path, or "stdout".
  package let name: String
  private var ownsDescriptor: Bool

  /// Wraps standard output.
  ///
  /// - Parameter name: The name used in messages: "stdout", or the path of
  ///   the device or FIFO that standard output was redirected to.
  /// - Returns: An output that does not close standard output.
  package static func standardOutput(name: String = "stdout") -> FileOutput {
    FileOutput(descriptor: STDOUT_FILENO, name: name, ownsDescriptor: false)
  }

  /// Creates or truncates `path` with `open(2)` and mode 0644.
  package convenience init(creating path: String) throws {
    let flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC
    let fd = retryingOnInterrupt { open(path, flags, 0o644) }
    guard fd >= 0 else { throw SystemError("cannot create", path: path) }
    self.init(descriptor: fd, name: path, ownsDescriptor: true)
  }

  /// Opens an existing device, FIFO or file for writing, without creating
  /// or truncating it.
  package convenience init(writingTo path: String) throws {
    let fd = retryingOnInterrupt { open(path, O_WRONLY | O_CLOEXEC) }
    guard fd >= 0 else { throw SystemError("cannot create", path: path) }
    self.init(descriptor: fd, name: path, ownsDescriptor: true)
  }

  /// Opens `path` for appending, creating it with mode 0644 when missing.
  package convenience init(appendingTo path: String) throws {
    let flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC
    let fd = retryingOnInterrupt { open(path, flags, 0o644) }
    guard fd >= 0 else { throw SystemError("cannot create", path: path) }
    self.init(descriptor: fd, name: path, ownsDescriptor: true)
  }

  private init(descriptor: Int32, name: String, ownsDescriptor: Bool) {
    self.descriptor = descriptor
    self.name = name
    self.ownsDescriptor = ownsDescriptor
  }

  deinit {
    if ownsDescriptor { Glibc.close(descriptor) }
  }

  /// Writes all of `bytes` with `write(2)`, continuing after short writes.
  package func write(_ bytes: UnsafeRawBufferPointer) throws {
    guard let base = bytes.baseAddress else { return }
    var offset = 0
    while offset < bytes.count {
      let count = retryingOnInterrupt {
        Glibc.write(descriptor, base + offset, bytes.count - offset)
      }
      guard count >= 0 else { throw SystemError("write failed", path: name) }
      offset += count
    }
  }

  /// Writes the bytes of `text`.
  package func write(_ text: String) throws {
    var text = text
    try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
  }

  /// Flushes the file to disk with `fsync(2)`.
  ///
  /// Pipes and terminals, which cannot be synced, are accepted as they are.
  package func sync() throws {
    if fsync(descriptor) != 0 && errno != EINVAL && errno != EROFS {
      throw SystemError("fsync failed", path: name)
    }
  }

  /// Starts writing a byte range of the file to disk without waiting for
  /// it, with `sync_file_range(2)` and `SYNC_FILE_RANGE_WRITE`.
  ///
  /// It makes nothing durable by itself, so errors are ignored: it only
  /// leaves less for a later `sync()` to write.
  package func startWriteback(offset: Int, count: Int) {
    _ = stageload_sync_file_range(
      descriptor,
      Int64(offset),
      Int64(count),
      UInt32(STAGELOAD_SYNC_FILE_RANGE_WRITE)
    )
  }

  /// Closes the descriptor with `close(2)`, reporting a delayed write error.
  package func close() throws {
    guard ownsDescriptor else { return }
    ownsDescriptor = false
    if Glibc.close(descriptor) != 0 && errno != EINTR {
      throw SystemError("close failed", path: name)
    }
  }
}
