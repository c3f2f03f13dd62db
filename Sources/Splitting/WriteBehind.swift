import Dispatch
import StageKit
import Synchronization

/// A destination of output bytes, written on `WriteBehind`'s thread.
protocol ByteSink: AnyObject {
  func write(_ bytes: UnsafeRawBufferPointer) throws
}

extension FileOutput: ByteSink {}

/// Writes full output buffers on one background thread while the calling
/// thread fills the next one.
///
/// The converting thread takes an empty buffer with `takeEmptyBuffer()`,
/// moves the bytes it has converted into it with
/// `ByteBuffer.swapContents(with:)` and hands it over with `submit(_:)`.
/// With `bufferCount` buffers, it waits only when the writer thread is that
/// many buffers behind.
/// Jobs queued with `enqueue(_:)` run on the same thread, in order with the
/// writes. For chunk files the writer thread also computes the SHA-256, so
/// only the conversion itself stays on the calling thread.
///
/// After the first failure the writer thread skips all further work, and
/// the calling thread receives that error from the next
/// `takeEmptyBuffer()`, `enqueue(_:)` or `drain()`.
final class WriteBehind: @unchecked Sendable {
  // `sink` is used only on `queue`, which makes the class safe to share.
  private let sink: any ByteSink
  private let queue = DispatchQueue(label: "stageload.split.write-behind")
  private let emptyBuffers: Mutex<[ByteBuffer]>
  private let emptyCount: DispatchSemaphore
  private let failure = Mutex<(any Error)?>(nil)

  /// - Parameters:
  ///   - sink: The destination of the bytes.
  ///   - bufferCount: The buffers that take turns.
  ///   - capacity: The initial size of each buffer in bytes.
  init(sink: any ByteSink, bufferCount: Int, capacity: Int) {
    self.sink = sink
    emptyBuffers = Mutex((0..<bufferCount).map { _ in ByteBuffer(capacity: capacity) })
    // libdispatch traps when a semaphore is freed with a count below the
    // one it was created with, so start at zero and count the buffers up.
    emptyCount = DispatchSemaphore(value: 0)
    for _ in 0..<bufferCount { emptyCount.signal() }
  }

  /// Returns an empty buffer, waiting until the writer thread has emptied
  /// one when all of them are in use.
  ///
  /// - Throws: The writer thread's first error.
  func takeEmptyBuffer() throws -> ByteBuffer {
    try checkFailure()
    emptyCount.wait()
    return emptyBuffers.withLock { $0.removeLast() }
  }

  /// Queues the bytes of `buffer` for writing; the calling thread must not
  /// touch `buffer` afterwards.
  func submit(_ buffer: ByteBuffer) {
    queue.async { [self] in
      run { try sink.write(buffer.bytes) }
      giveBack(buffer)
    }
  }

  /// Queues `job` to run on the writer thread after the writes queued so far.
  ///
  /// - Throws: The writer thread's first error.
  func enqueue(_ job: @escaping @Sendable () throws -> Void) throws {
    try checkFailure()
    queue.async { [self] in run(job) }
  }

  /// Waits until every queued write and job has run.
  ///
  /// - Throws: The writer thread's first error.
  func drain() throws {
    queue.sync {}
    try checkFailure()
  }

  private func giveBack(_ buffer: ByteBuffer) {
    buffer.count = 0
    emptyBuffers.withLock { $0.append(buffer) }
    emptyCount.signal()
  }

  private func run(_ job: () throws -> Void) {
    guard failure.withLock({ $0 == nil }) else { return }
    do {
      try job()
    } catch {
      failure.withLock { $0 = error }
    }
  }

  private func checkFailure() throws {
    if let error = failure.withLock({ $0 }) { throw error }
  }
}
