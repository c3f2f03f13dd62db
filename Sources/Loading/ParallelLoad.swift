import Foundation
import StageKit

/// A chunk for `ParallelLoad`: its file and, when known, its manifest entry.
package struct ChunkJob: Sendable {
  package var path: String
  package var manifestEntry: Manifest.Entry?

  package init(path: String, manifestEntry: Manifest.Entry?) {
    self.path = path
    self.manifestEntry = manifestEntry
  }
}

/// Loads chunks on several connections at once, each chunk in its own
/// transaction, in the order they were added.
///
/// Chunks may be added while earlier ones load, such as when they come
/// from `split --list-chunks` through a pipe. Each worker thread opens its
/// own connection (through `makeLoader`) when it takes its first chunk.
/// After the first failure no new chunk starts: the chunks already loading
/// finish, later ones are skipped, and `finish()` returns the failures.
/// Chunks keep being accepted, and dropped, so that a writer on the other
/// end of a pipe is not cut off.
package final class ParallelLoad: @unchecked Sendable {
  /// The outcome of one chunk, reported from a worker thread.
  package enum Report: Sendable {
    case finished(ChunkJob, ChunkOutcome, seconds: Double)
    case failed(ChunkJob, Error)
  }

  /// The counts and failures of a finished load.
  package struct Totals: Sendable {
    package var loadedChunks = 0
    package var skippedChunks = 0
    package var loadedRows = 0
    package var rejectedRows = 0
    /// Chunks added after a failure, which were not loaded.
    package var droppedChunks = 0
    /// The failures, first one first.
    package var failures: [Error] = []
  }

  private let state = NSCondition()
  private var queue: [ChunkJob] = []
  private var next = 0
  private var closed = false
  private var totals = Totals()
  private var running = 0
  private var threads: [JoinableThread] = []

  private let makeLoader: @Sendable () throws -> CopyLoader
  private let report: @Sendable (Report) -> Void

  /// Starts `jobs` worker threads, which wait for chunks.
  ///
  /// - Parameters:
  ///   - jobs: The number of chunks loaded at once, at least 1.
  ///   - makeLoader: Opens a connection and returns a loader on it; called
  ///     once per worker, on the worker's thread.
  ///   - report: Called on a worker thread after each chunk.
  /// - Throws: `SystemError` when no worker thread can be started.
  package init(
    jobs: Int,
    makeLoader: @escaping @Sendable () throws -> CopyLoader,
    report: @escaping @Sendable (Report) -> Void
  ) throws {
    self.makeLoader = makeLoader
    self.report = report
    let workerCount = max(1, jobs)
    running = workerCount
    var startFailure: Error?
    for _ in 0..<workerCount {
      do {
        threads.append(try JoinableThread { [self] in work() })
      } catch {
        startFailure = error
        state.withLock { running -= 1 }
      }
    }
    // Fewer workers still load every chunk; none cannot.
    if threads.isEmpty, let startFailure { throw startFailure }
  }

  /// Adds a chunk; after a failure it is counted as dropped instead.
  package func add(_ job: ChunkJob) {
    state.withLock {
      if totals.failures.isEmpty {
        queue.append(job)
        state.signal()
      } else {
        totals.droppedChunks += 1
      }
    }
  }

  /// Waits until every added chunk is loaded or dropped and every worker
  /// thread has ended, and returns the totals.
  package func finish() -> Totals {
    let result = state.withLock {
      closed = true
      state.broadcast()
      while running > 0 { state.wait() }
      return totals
    }
    for thread in threads { thread.join() }
    return result
  }

  /// Returns the next chunk, or nil when there is none left or a chunk failed.
  private func take() -> ChunkJob? {
    state.lock()
    defer { state.unlock() }
    while next == queue.count && !closed && totals.failures.isEmpty { state.wait() }
    guard totals.failures.isEmpty, next < queue.count else { return nil }
    let job = queue[next]
    next += 1
    return job
  }

  private func work() {
    var loader: CopyLoader?
    while let job = take() {
      let started = Date()
      do {
        let chunkLoader = try loader ?? makeLoader()
        loader = chunkLoader
        let outcome = try chunkLoader.load(chunk: job.path, manifestEntry: job.manifestEntry)
        state.withLock {
          switch outcome {
          case .loaded(let rows, let rejected):
            totals.loadedChunks += 1
            totals.loadedRows += rows
            totals.rejectedRows += rejected.count
          case .alreadyLoaded:
            totals.skippedChunks += 1
          }
        }
        report(.finished(job, outcome, seconds: Date().timeIntervalSince(started)))
      } catch {
        state.withLock {
          totals.failures.append(error)
          totals.droppedChunks += queue.count - next
          next = queue.count
          state.broadcast()
        }
        report(.failed(job, error))
      }
    }
    state.withLock {
      running -= 1
      state.broadcast()
    }
  }
}
