import Foundation
import Glibc
import StageKit

/// A TCP connection whose reads and writes wait with `poll(2)`, so that each
/// wait ends after the stall timeout.
///
/// The socket is non-blocking. Every call that would block waits in
/// `poll(2)` for at most `stallTimeout` seconds and then fails with
/// `TransportError.stalled`.
///
/// SIGINT and SIGTERM are blocked in every thread (see `Interruption`), so
/// they never interrupt a wait here. The signal thread runs the cleanups
/// and calls `_exit`, which ends a thread blocked in `poll(2)` too.
final class SocketConnection {
  private let descriptor: Int32
  private let stallTimeout: TimeInterval

  private init(descriptor: Int32, stallTimeout: TimeInterval) {
    self.descriptor = descriptor
    self.stallTimeout = stallTimeout
  }

  deinit {
    Glibc.close(descriptor)
  }

  /// Connects to `host` and `port`, trying each address that
  /// `getaddrinfo(3)` returns (IPv6 and IPv4) in its order.
  ///
  /// - Throws: `TransportError.unknownHost`, `.cannotConnect` or `.stalled`,
  ///   the error of the last address tried.
  static func connect(
    host: String,
    port: Int,
    stallTimeout: TimeInterval
  ) throws -> SocketConnection {
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    hints.ai_flags = AI_NUMERICSERV
    var list: UnsafeMutablePointer<addrinfo>?
    // NOTE: getaddrinfo blocks and has no timeout, so a hanging DNS server
    // delays the stall timeout by the resolver's own timeout.
    let status = getaddrinfo(host, String(port), &hints, &list)
    guard status == 0, let list else {
      let detail =
        status == EAI_SYSTEM
        ? String(cString: strerror(errno)) : String(cString: gai_strerror(status))
      throw TransportError.unknownHost(detail)
    }
    defer { freeaddrinfo(list) }

    var lastError: Error = TransportError.cannotConnect(code: EADDRNOTAVAIL)
    var next: UnsafeMutablePointer<addrinfo>? = list
    while let address = next {
      next = address.pointee.ai_next
      do {
        return try connect(to: address.pointee, stallTimeout: stallTimeout)
      } catch {
        lastError = error
      }
    }
    throw lastError
  }

  /// Connects a new non-blocking socket to one address.
  private static func connect(
    to address: addrinfo,
    stallTimeout: TimeInterval
  ) throws -> SocketConnection {
    let type =
      Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
      | Int32(SOCK_CLOEXEC.rawValue)
    let descriptor = socket(address.ai_family, type, address.ai_protocol)
    guard descriptor >= 0 else { throw TransportError.cannotConnect(code: errno) }
    let connection = SocketConnection(descriptor: descriptor, stallTimeout: stallTimeout)

    if Glibc.connect(descriptor, address.ai_addr, address.ai_addrlen) == 0 { return connection }
    guard errno == EINPROGRESS || errno == EINTR else {
      throw TransportError.cannotConnect(code: errno)
    }
    try connection.wait(for: Int16(POLLOUT))
    var code: Int32 = 0
    var length = socklen_t(MemoryLayout<Int32>.size)
    guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &code, &length) == 0 else {
      throw TransportError.cannotConnect(code: errno)
    }
    guard code == 0 else { throw TransportError.cannotConnect(code: code) }
    return connection
  }

  /// Sends all of `bytes` with `send(2)`.
  func send(_ bytes: [UInt8]) throws {
    var offset = 0
    while offset < bytes.count {
      let count = bytes.withUnsafeBytes { buffer in
        let rest = UnsafeRawBufferPointer(rebasing: buffer[offset...])
        return Glibc.send(descriptor, rest.baseAddress, rest.count, Int32(MSG_NOSIGNAL))
      }
      if count >= 0 {
        offset += count
      } else if errno == EAGAIN || errno == EWOULDBLOCK {
        try wait(for: Int16(POLLOUT))
      } else if errno != EINTR {
        throw TransportError.connectionLost(
          "sending the request failed: " + String(cString: strerror(errno))
        )
      }
    }
  }

  /// Reads up to `buffer.count` bytes with `recv(2)`, waiting when none
  /// has arrived.
  ///
  /// - Returns: The number of bytes read; 0 when the server closed the
  ///   connection.
  func receive(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    while true {
      let count = recv(descriptor, buffer.baseAddress, buffer.count, 0)
      if count >= 0 { return count }
      switch errno {
      case EAGAIN, EWOULDBLOCK: try wait(for: Int16(POLLIN))
      case EINTR: continue
      case ECONNRESET: throw TransportError.connectionLost("connection reset by the server")
      default:
        throw TransportError.connectionLost("receive failed: " + String(cString: strerror(errno)))
      }
    }
  }

  /// Waits with `poll(2)` until the socket is ready for `events`, at most
  /// `stallTimeout` seconds.
  private func wait(for events: Int16) throws {
    let deadline = ContinuousClock.now + .seconds(stallTimeout)
    while true {
      let left = ContinuousClock.now.duration(to: deadline)
      guard left > .zero else { throw TransportError.stalled }
      let (seconds, attoseconds) = left.components
      let milliseconds = min(
        Int64(Int32.max),
        seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1
      )
      var entry = pollfd(fd: descriptor, events: events, revents: 0)
      let ready = poll(&entry, 1, Int32(milliseconds))
      if ready > 0 { return }
      if ready < 0 && errno != EINTR {
        throw TransportError.connectionLost("poll failed: " + String(cString: strerror(errno)))
      }
    }
  }
}
