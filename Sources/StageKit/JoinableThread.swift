import Glibc

/// A thread that can be waited for until it has ended, with `pthread_join`.
///
/// Foundation's `Thread` cannot be joined. A thread that returns from its
/// work goes on to run thread-exit cleanups, such as libcrypto's, and those
/// could run while the main thread's `exit` tears libcrypto down. So a
/// tool joins its threads before it exits.
/// NOTE: a load once aborted (SIGABRT) as it ended, and the run was not
/// reproduced in 1,000 further chunk loads. This race is the one cause
/// found, so it is removed here; HTTPTransfer's threads and URLSession's
/// own are not joined.
package final class JoinableThread: @unchecked Sendable {
  /// The work, kept alive until the thread has started it.
  private final class Work {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
  }

  private let handle: pthread_t
  private var isJoined = false

  /// Starts `body` on a new thread.
  ///
  /// - Parameters:
  ///   - stackSize: The thread's stack size in bytes.
  ///   - body: The work, run once on the new thread.
  /// - Throws: `SystemError` when `pthread_create` fails, such as when the
  ///   process may not start more threads.
  package init(stackSize: Int = 1 << 20, _ body: @escaping @Sendable () -> Void) throws {
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setstacksize(&attributes, stackSize)
    let context = Unmanaged.passRetained(Work(body)).toOpaque()
    var handle = pthread_t()
    let result = pthread_create(
      &handle,
      &attributes,
      { context in
        guard let context else { return nil }
        Unmanaged<Work>.fromOpaque(context).takeRetainedValue().body()
        return nil
      },
      context
    )
    guard result == 0 else {
      Unmanaged<Work>.fromOpaque(context).release()
      throw SystemError("cannot start a thread", path: "pthread_create", code: result)
    }
    self.handle = handle
  }

  /// Waits until the thread has ended, its exit cleanups included.
  ///
  /// Later calls return at once. Call it from one thread only.
  package func join() {
    guard !isJoined else { return }
    isJoined = true
    pthread_join(handle, nil)
  }
}
