import Glibc
import StageKit
import Synchronization
import Testing

/// Set by the thread-exit destructor of `JoinableThreadTests.exitKey`.
private let exitCleanupRan = Atomic<Bool>(false)

struct JoinableThreadTests {
  /// What a thread's work saw, read after the join.
  final class Observations: Sendable {
    let runs = Mutex(0)
    let ranOnCaller = Mutex(true)
  }

  /// A thread-specific key whose destructor, run as a thread ends, records
  /// that it ran, the way libcrypto cleans up after its threads.
  static let exitKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { _ in exitCleanupRan.store(true, ordering: .sequentiallyConsistent) }
    return key
  }()

  @Test("join waits for the thread's exit cleanups")
  func joinWaitsForExitCleanups() throws {
    let key = Self.exitKey
    let thread = try JoinableThread {
      pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1))
      usleep(50_000)
    }
    thread.join()
    let cleanupRan = exitCleanupRan.load(ordering: .sequentiallyConsistent)
    #expect(cleanupRan)
  }

  @Test("work runs once on another thread")
  func workRunsOnceElsewhere() throws {
    let observations = Observations()
    let caller = pthread_self()
    let thread = try JoinableThread {
      observations.ranOnCaller.withLock { $0 = pthread_equal(pthread_self(), caller) != 0 }
      observations.runs.withLock { $0 += 1 }
    }
    thread.join()
    thread.join()
    #expect(observations.runs.withLock { $0 } == 1)
    #expect(!observations.ranOnCaller.withLock { $0 })
  }
}
