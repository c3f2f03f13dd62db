import Glibc

/// Creation of output directories, reporting the `errno` of the step that
/// failed.
package enum Directory {
  /// Creates `path` and its missing parents with `mkdir(2)`, like `mkdir -p`.
  ///
  /// An existing directory, or a symbolic link to one, is accepted as it is.
  ///
  /// - Throws: `SystemError` "cannot create directory" with the error of
  ///   the failed `mkdir(2)`, and `ENOTDIR` when `path` exists but is not a
  ///   directory.
  package static func create(_ path: String) throws {
    var trimmed = Substring(path)
    while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
    try create(String(trimmed), reportedAs: path)
  }

  private static func create(_ path: String, reportedAs reported: String) throws {
    if mkdir(path, 0o755) == 0 { return }
    var code = errno
    if code == ENOENT, let slash = path.lastIndex(of: "/"), slash != path.startIndex {
      // A parent is missing: create it, then try again.
      try create(String(path[..<slash]), reportedAs: reported)
      if mkdir(path, 0o755) == 0 { return }
      code = errno
    }
    if code == EEXIST {
      var status = stat()
      if stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR { return }
      code = ENOTDIR
    }
    throw SystemError("cannot create directory", path: reported, code: code)
  }
}
