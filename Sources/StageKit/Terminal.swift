import Glibc

/// Facts about the terminal, checked once: whether decoration such as a
/// redrawn progress line makes sense on standard error.
package enum Terminal {
  /// Whether standard error is a terminal that is not `TERM=dumb`.
  package static var standardErrorIsInteractive: Bool {
    guard isatty(STDERR_FILENO) != 0 else { return false }
    if let term = getenv("TERM"), String(cString: term) == "dumb" { return false }
    return true
  }

  /// Writes `text` to standard error unbuffered.
  package static func printError(_ text: String) {
    var text = text
    text.withUTF8 { bytes in
      guard let base = bytes.baseAddress else { return }
      var offset = 0
      while offset < bytes.count {
        let count = write(STDERR_FILENO, base + offset, bytes.count - offset)
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { return }
        offset += count
      }
    }
  }
}
