import Foundation
import Glibc
import Synchronization

/// Clean stopping on SIGINT and SIGTERM.
///
/// `install()` blocks both signals in every thread and starts one thread
/// that waits for them with `sigwait(3)`. When one arrives, that thread runs
/// the registered cleanups (newest first) in ordinary code, not in a signal
/// handler, prints "TOOL: interrupted" and exits 130. Cleanups remove
/// `.part` files and cancel a running COPY.
package enum Interruption {
  /// A registered cleanup, for `remove(_:)`.
  package struct Token: Hashable, Sendable {
    fileprivate let id: Int
  }

  private struct Registry {
    var nextID = 0
    var cleanups: [Int: @Sendable () -> Void] = [:]
  }

  private static let registry = Mutex(Registry())
  /// Set once a stop signal has arrived, before the cleanups run.
  private static let stopping = Atomic<Bool>(false)

  /// Blocks SIGINT and SIGTERM, ignores SIGPIPE and SIGXFSZ, and starts the
  /// waiting thread.
  ///
  /// With SIGPIPE and SIGXFSZ ignored, a closed pipe or a file over the size
  /// limit (`ulimit -f`) makes `write(2)` fail with EPIPE or EFBIG, which
  /// the tool reports in one line, instead of killing it silently.
  ///
  /// Call it first in `main`, before any other thread starts, so that every
  /// thread inherits the blocked mask.
  package static func install(toolName: String) {
    signal(SIGPIPE, SIG_IGN)
    signal(SIGXFSZ, SIG_IGN)
    var stopSignals = sigset_t()
    sigemptyset(&stopSignals)
    sigaddset(&stopSignals, SIGINT)
    sigaddset(&stopSignals, SIGTERM)
    pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

    let waitSet = stopSignals
    let waiter = Thread {
      var received: Int32 = 0
      var signals = waitSet
      while sigwait(&signals, &received) != 0 {}
      stopping.store(true, ordering: .sequentiallyConsistent)
      runCleanups()
      let message = "\(toolName): interrupted by \(received == SIGINT ? "SIGINT" : "SIGTERM")\n"
      _ = message.withCString { write(STDERR_FILENO, $0, strlen($0)) }
      _exit(ExitStatus.interrupted.rawValue)
    }
    waiter.start()
  }

  /// Waits for the exit with status 130 when a stop signal has arrived,
  /// and returns at once otherwise.
  ///
  /// A cleanup such as cancelling a COPY makes the main thread fail with
  /// the consequence ("canceling statement due to user request"). Calling
  /// this before reporting an error keeps that consequence from being
  /// reported, with its own exit status, in place of the interruption.
  package static func waitIfStopping() {
    guard stopping.load(ordering: .sequentiallyConsistent) else { return }
    while true { pause() }
  }

  /// Registers `cleanup` to run if the process is interrupted.
  @discardableResult
  package static func onInterrupt(_ cleanup: @escaping @Sendable () -> Void) -> Token {
    registry.withLock { registry in
      registry.nextID += 1
      registry.cleanups[registry.nextID] = cleanup
      return Token(id: registry.nextID)
    }
  }

  /// Unregisters a cleanup that is no longer needed.
  package static func remove(_ token: Token) {
    _ = registry.withLock { $0.cleanups.removeValue(forKey: token.id) }
  }

  private static func runCleanups() {
    let cleanups = registry.withLock { registry in
      registry.cleanups.sorted { $0.key > $1.key }.map(\.value)
    }
    for cleanup in cleanups { cleanup() }
  }
}
