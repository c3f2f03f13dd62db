/// A failure of `SocketTransfer`, which `HTTPDownload.fetchError(for:url:)`
/// turns into a `FetchError`.
enum TransportError: Error, Equatable {
  /// `getaddrinfo(3)` did not resolve the host, with its message.
  case unknownHost(String)
  /// `connect(2)` failed for every address, with the last `errno`.
  case cannotConnect(code: Int32)
  /// The connection broke or closed early, with where it happened.
  case connectionLost(String)
  /// No byte arrived for the stall timeout.
  case stalled
  /// The server sent something that is not valid HTTP/1.1.
  case invalidResponse(String)
}
