import Dispatch
import StageKit
import Synchronization

/// Flushes finished chunk files to disk with `fsync(2)` on one background
/// thread, in order, while split converts the next chunk.
///
/// Syncing every chunk only at the end would make split wait after the
/// last row until the disk has written all of them. Queued as each chunk is
/// renamed, the disk writes overlap the conversion, and at the end only the
/// last chunks remain. The thread waits on the disk, so it takes little CPU
/// time from the conversion, which stays on the calling thread.
final class ChunkSyncQueue: Sendable {
  private let queue = DispatchQueue(label: "stageload.split.chunk-sync")
  private let firstError = Mutex<(any Error)?>(nil)

  /// Queues an `fsync(2)` of the file at `path`.
  func sync(path: String) {
    queue.async { [self] in
      do {
        try AtomicFile.sync(path: path)
      } catch {
        firstError.withLock { $0 = $0 ?? error }
      }
    }
  }

  /// Waits until every queued sync has finished.
  ///
  /// - Throws: The first error of a queued sync, such as `SystemError` for
  ///   a failed `fsync`.
  func waitForAll() throws {
    queue.sync {}
    if let error = firstError.withLock({ $0 }) { throw error }
  }
}
