import Glibc

/// A failed system call on a file, with the path and the `errno` text.
package struct SystemError: StageError {
  /// The operation that failed, as a verb phrase: "cannot open", "write failed".
  package var operation: String
  package var path: String
  package var code: Int32

  package init(_ operation: String, path: String, code: Int32 = errno) {
    self.operation = operation
    self.path = path
    self.code = code
  }

  package var exitStatus: ExitStatus {
    switch code {
    case ENOENT where operation.hasPrefix("cannot open"): return .noInput
    case EACCES where operation.hasPrefix("cannot open"): return .noInput
    case ENOSPC, EDQUOT, EFBIG: return .ioError
    default: return operation.hasPrefix("cannot create") ? .cannotCreate : .ioError
    }
  }

  package var description: String {
    "\(path): \(operation): \(String(cString: strerror(code)))"
  }
}

/// Calls `body` again while it fails with `EINTR`, the way a blocking system
/// call interrupted by a signal must be restarted.
///
/// - Returns: The first result that is not `-1` with `errno == EINTR`.
@inline(__always)
package func retryingOnInterrupt<T: FixedWidthInteger>(_ body: () -> T) -> T {
  while true {
    let result = body()
    if result == -1 && errno == EINTR { continue }
    return result
  }
}
