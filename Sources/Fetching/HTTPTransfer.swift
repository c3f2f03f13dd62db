import Foundation
import StageKit

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// One HTTP(S) GET through `URLSession`, with the body streamed to a sink
/// as it arrives instead of collected in memory.
///
/// Data path and threads:
///
///     libcurl (URLSession's work queue)
///       -> delegate queue: `didReceive data`, one `Data` of up to 16 KiB each
///       -> `pending`, a FIFO of `Data` guarded by `state`
///       -> writer thread: `sink`, which writes the file or standard output
///
/// URLSession on Linux has no backpressure: libcurl reads the socket as fast
/// as it can and queues every piece on the delegate queue, so a slow sink
/// would let memory grow with the body. A watcher thread therefore estimates
/// the bytes waiting in both queues every 2 ms and suspends the task above
/// `highWater`, which takes libcurl's handle off the socket, and resumes it
/// below `lowWater`. The same thread is the stall watchdog: it cancels the
/// task when no byte arrived for `stallTimeout` seconds while not suspended.
/// URLSession's own request timeout is not used for that, because on Linux
/// it keeps running while the task is suspended.
///
/// `URLSession` follows redirects itself, up to `maximumRedirects`.
final class HTTPTransfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
  /// The outcome of a transfer.
  struct Outcome {
    /// The final response, or nil when none arrived.
    var head: ResponseHead?
    /// Body bytes handed to the sink.
    var receivedBytes = 0
    /// A network error, or an error thrown by the sink or by `decide`.
    var error: Error?
    /// The stall watchdog cancelled the transfer.
    var stalled = false
    /// A redirect chain was longer than `maximumRedirects`.
    var tooManyRedirects = false
  }

  static let maximumRedirects = 10
  static let highWater = 4 << 20
  static let lowWater = 1 << 20
  /// The largest piece libcurl hands over at once (its default
  /// CURL_MAX_WRITE_SIZE), used to estimate the bytes in queued callbacks.
  static let pieceSize = 16 << 10
  static let watchInterval: useconds_t = 2000

  private let request: URLRequest
  private let stallTimeout: TimeInterval
  private let decide: (ResponseHead) throws -> Bool
  private let sink: (UnsafeRawBufferPointer) throws -> Void

  private let delegateQueue = OperationQueue()
  private let state = NSCondition()
  /// Serializes suspend, resume and cancel with the completion callback,
  /// because corelibs Foundation stops with a fatal error when a suspend it
  /// has queued runs after the task completed.
  private let flowLock = NSLock()
  private let writerDone = DispatchSemaphore(value: 0)
  private let watcherDone = DispatchSemaphore(value: 0)

  private var task: URLSessionDataTask?
  private var outcome = Outcome()
  private var pending: [Data] = []
  private var pendingBytes = 0
  private var completed = false
  private var cancelled = false
  private var paused = false
  private var resumeScheduled = false
  private var lastActivity = Date()
  private var redirects = 0

  /// - Parameters:
  ///   - request: The GET request, with any `Range` and conditional headers.
  ///   - stallTimeout: Seconds without a byte after which the transfer fails.
  ///   - decide: Called with the final response before its body; returns
  ///     whether to read the body. Returning false or throwing cancels.
  ///   - sink: Receives the body in order; an error it throws cancels the
  ///     transfer.
  init(
    request: URLRequest,
    stallTimeout: TimeInterval,
    decide: @escaping (ResponseHead) throws -> Bool,
    sink: @escaping (UnsafeRawBufferPointer) throws -> Void
  ) {
    var request = request
    request.timeoutInterval = Self.disabledTimeout
    self.request = request
    self.stallTimeout = stallTimeout
    self.decide = decide
    self.sink = sink
    delegateQueue.maxConcurrentOperationCount = 1
  }

  /// Runs the transfer to its end and returns what happened.
  func run() -> Outcome {
    let configuration = URLSessionConfiguration.ephemeral
    configuration.timeoutIntervalForRequest = Self.disabledTimeout
    configuration.timeoutIntervalForResource = Self.disabledTimeout
    configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
    configuration.urlCache = nil
    let session = URLSession(
      configuration: configuration,
      delegate: self,
      delegateQueue: delegateQueue
    )
    let task = session.dataTask(with: request)
    self.task = task
    lastActivity = Date()

    Thread { [self] in writeBody() }.start()
    Thread { [self] in watch() }.start()
    task.resume()
    writerDone.wait()
    watcherDone.wait()
    session.finishTasksAndInvalidate()
    return state.withLock { outcome }
  }

  /// A timeout long enough never to fire, in seconds, because the stall
  /// watchdog replaces URLSession's timeouts.
  private static let disabledTimeout: TimeInterval = 7 * 24 * 3600

  // MARK: - URLSessionDataDelegate

  func urlSession(
    _ session: URLSession,
    task: URLSessionTask,
    willPerformHTTPRedirection response: HTTPURLResponse,
    newRequest: URLRequest,
    completionHandler: @escaping (URLRequest?) -> Void
  ) {
    let allowed = state.withLock {
      redirects += 1
      lastActivity = Date()
      if redirects > Self.maximumRedirects { outcome.tooManyRedirects = true }
      return !outcome.tooManyRedirects
    }
    guard allowed else {
      completionHandler(nil)
      return
    }
    // Keep Range, If-Range and the conditional headers on the next hop.
    var next = newRequest
    for (name, value) in request.allHTTPHeaderFields ?? [:]
    where next.value(forHTTPHeaderField: name) == nil {
      next.setValue(value, forHTTPHeaderField: name)
    }
    next.timeoutInterval = request.timeoutInterval
    completionHandler(next)
  }

  func urlSession(
    _ session: URLSession,
    dataTask: URLSessionDataTask,
    didReceive response: URLResponse,
    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
  ) {
    let head = ResponseHead(response)
    state.withLock {
      outcome.head = head
      lastActivity = Date()
    }
    var accepted = false
    do {
      accepted = try decide(head)
    } catch {
      state.withLock { outcome.error = error }
    }
    if !accepted { state.withLock { cancelled = true } }
    completionHandler(accepted ? .allow : .cancel)
  }

  func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
    state.withLock {
      lastActivity = Date()
      guard !cancelled else { return }
      pending.append(data)
      pendingBytes += data.count
      state.signal()
    }
  }

  func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
    flowLock.withLock {
      state.withLock {
        if outcome.error == nil, !cancelled, let error { outcome.error = error }
        completed = true
        state.broadcast()
      }
    }
  }

  // MARK: - Writer and watcher threads

  /// Hands the queued body to the sink until the task completed and the
  /// queue is empty.
  private func writeBody() {
    while true {
      state.lock()
      while pending.isEmpty && !completed { state.wait() }
      guard !pending.isEmpty else {
        state.unlock()
        break
      }
      let data = pending.removeFirst()
      state.unlock()

      do {
        try data.withUnsafeBytes { try sink($0) }
        state.withLock {
          pendingBytes -= data.count
          outcome.receivedBytes += data.count
        }
      } catch {
        state.withLock {
          if outcome.error == nil { outcome.error = error }
          pending.removeAll()
          pendingBytes = 0
        }
        cancel()
      }
    }
    writerDone.signal()
  }

  /// Suspends and resumes the task to bound the queued bytes.
  ///
  /// It also cancels the task when it stalls, and returns when the task
  /// completed.
  private func watch() {
    while true {
      usleep(Self.watchInterval)
      flowLock.lock()
      let (isDone, isPaused, isResumeScheduled, idle) = state.withLock {
        (completed, paused, resumeScheduled, Date().timeIntervalSince(lastActivity))
      }
      if isDone {
        flowLock.unlock()
        break
      }
      let queued = state.withLock { pendingBytes } + delegateQueue.operationCount * Self.pieceSize
      if !isPaused && queued > Self.highWater {
        suspendTask()
      } else if isPaused && !isResumeScheduled && queued <= Self.lowWater {
        scheduleResume()
      } else if !isPaused && idle > stallTimeout {
        state.withLock { outcome.stalled = true }
        cancelLocked()
      }
      flowLock.unlock()
    }
    watcherDone.signal()
  }

  /// Suspends the task; call it with `flowLock` locked.
  private func suspendTask() {
    guard let task, !state.withLock({ cancelled }) else { return }
    task.suspend()
    // NOTE: suspend() only queues the real work on the session's internal
    // queue. Reading `priority` waits for that queue, so the suspend has
    // taken effect before the completion callback can run.
    _ = task.priority
    state.withLock { paused = true }
  }

  /// Resumes the task from the delegate queue, behind every callback queued
  /// so far.
  ///
  /// If the transfer completed meanwhile, its completion callback runs
  /// first, and the task is left alone.
  private func scheduleResume() {
    state.withLock { resumeScheduled = true }
    delegateQueue.addOperation { [self] in
      flowLock.withLock {
        let resumable = state.withLock { !completed && !cancelled }
        if resumable { task?.resume() }
        state.withLock {
          paused = false
          resumeScheduled = false
          lastActivity = Date()
        }
      }
    }
  }

  /// Cancels the task, for a sink error.
  private func cancel() {
    flowLock.withLock { cancelLocked() }
  }

  /// Cancels the task; call it with `flowLock` locked.
  private func cancelLocked() {
    let alreadyDone = state.withLock {
      let done = completed || cancelled
      cancelled = true
      return done
    }
    if !alreadyDone { task?.cancel() }
  }
}
