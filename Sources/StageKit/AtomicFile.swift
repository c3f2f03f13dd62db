import Glibc

/// An output file that appears under its final name only when complete.
///
/// Bytes go to `PATH.part`; `commit()` syncs it, renames it to `PATH` and
/// syncs the directory, so a reader or a make rule sees either no file or the
/// whole file. A `.part` left by an interrupted run is removed on SIGINT or
/// SIGTERM unless `keepPartOnInterrupt` is set (fetch keeps it to resume).
///
/// A path that is a symbolic link is followed, so the link stays and its
/// target is replaced. A path that names a device, FIFO or socket, such as
/// `/dev/null`, is written directly: renaming a file over it would replace
/// the device.
package final class AtomicFile {
  package let path: String
  package let partPath: String
  package let output: FileOutput
  /// Whether `path` is a device, FIFO or socket written in place.
  package let isDirect: Bool
  private var cleanup: Interruption.Token?
  private var finished = false

  /// The way an output path is written.
  package enum Target: Equatable, Sendable {
    /// A regular file, or none yet: written atomically at this path, with
    /// symbolic links resolved.
    case file(String)
    /// A device, FIFO or socket: written in place.
    case direct(String)
  }

  /// Returns how `path` must be written, from `realpath(3)` and `stat(2)`.
  package static func target(for path: String) -> Target {
    guard let resolved = realpath(path, nil) else { return .file(path) }
    defer { free(resolved) }
    let resolvedPath = String(cString: resolved)
    var status = stat()
    guard stat(resolvedPath, &status) == 0, status.st_mode & S_IFMT != S_IFREG else {
      return .file(resolvedPath)
    }
    return .direct(path)
  }

  /// Creates `path.part`, truncating a leftover one.
  ///
  /// - Throws: `SystemError` when the part file cannot be created.
  package init(path: String, keepPartOnInterrupt: Bool = false) throws {
    switch Self.target(for: path) {
    case .direct(let device):
      self.path = device
      self.partPath = device
      self.isDirect = true
      self.output = try FileOutput(writingTo: device)
      return
    case .file(let resolved):
      self.path = resolved
      self.partPath = resolved + ".part"
      self.isDirect = false
    }
    self.output = try FileOutput(creating: partPath)
    if !keepPartOnInterrupt {
      let partPath = self.partPath
      cleanup = Interruption.onInterrupt { unlink(partPath) }
    }
  }

  /// Wraps an existing `path.part` opened for appending, to resume it.
  package init(resuming path: String) throws {
    self.path = path
    self.partPath = path + ".part"
    self.isDirect = false
    self.output = try FileOutput(appendingTo: partPath)
  }

  deinit {
    if !finished { discard() }
  }

  /// Syncs the part file and renames it to the final name with `rename(2)`.
  ///
  /// - Parameter durable: Whether to `fsync` the file and its directory.
  ///   Pass false only when a later, durable file vouches for this one, as
  ///   split's manifest vouches for its chunks after syncing them itself.
  /// - Throws: `SystemError` when syncing, closing or renaming fails.
  package func commit(durable: Bool = true) throws {
    if isDirect {
      finished = true
      try output.close()
      return
    }
    if durable { try output.sync() }
    try output.close()
    guard rename(partPath, path) == 0 else {
      throw SystemError("cannot rename \(partPath) to final name", path: path)
    }
    finished = true
    if let cleanup { Interruption.remove(cleanup) }
    if durable { Self.syncDirectory(of: path) }
  }

  /// Flushes the file at `path` to disk with `fsync(2)`.
  package static func sync(path: String) throws {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw SystemError("cannot open", path: path) }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw SystemError("fsync failed", path: path) }
  }

  /// Closes and removes the part file.
  package func discard() {
    finished = true
    try? output.close()
    if !isDirect { unlink(partPath) }
    if let cleanup { Interruption.remove(cleanup) }
  }

  /// Closes the part file and leaves it in place, for a later resume.
  package func keepPart() {
    finished = true
    try? output.close()
    if let cleanup { Interruption.remove(cleanup) }
  }

  /// Syncs the directory that contains `path`, making a rename durable.
  package static func syncDirectory(of path: String) {
    var directory = "."
    if let slash = path.lastIndex(of: "/") {
      directory = slash == path.startIndex ? "/" : String(path[..<slash])
    }
    let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if fd >= 0 {
      fsync(fd)
      close(fd)
    }
  }
}
