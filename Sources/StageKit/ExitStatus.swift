/// A process exit status from sysexits(3), shared by all four tools so that
/// make and wrappers see the same code for the same kind of failure.
package enum ExitStatus: Int32, Sendable {
  case success = 0
  /// The command line is wrong.
  case usage = 64
  /// The input data is malformed: corrupt gzip, a wrong header, a bad row.
  case dataError = 65
  /// An input file does not exist or cannot be opened.
  case noInput = 66
  /// A server is unreachable or rejects the request for good.
  case unavailable = 69
  /// A bug in stageload itself.
  case software = 70
  /// An output file cannot be created.
  case cannotCreate = 73
  /// A read or write failed.
  case ioError = 74
  /// A temporary failure: running the same command again may succeed.
  case temporaryFailure = 75
  /// A server sent a reply that breaks its protocol or an HTTP 4xx status.
  case protocolError = 76
  /// The configuration is invalid: a bad connection string, for example.
  case configuration = 78
  /// SIGINT or SIGTERM stopped the tool.
  case interrupted = 130
}

/// An error that a tool reports as one line and turns into an exit status.
///
/// `description` is the text after the tool's name: subject, problem and,
/// after a semicolon, what the user can do.
package protocol StageError: Error, CustomStringConvertible {
  /// The exit status the tool ends with when this error stops it.
  var exitStatus: ExitStatus { get }
}
