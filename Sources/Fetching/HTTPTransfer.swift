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
/// as it can and queues every piece on the delegate queue. Its `suspend()`
/// does not help, because it takes the handle off libcurl's multi handle,
/// which aborts the transfer, and `resume()` sends the request again. So a
/// watcher thread estimates the bytes waiting in both queues every 2 ms and,
/// when `decide` allowed it, pauses by cancelling the task above
/// `highWater`. The caller then continues the body with a Range request
/// once the sink has drained. The same thread is the stall watchdog: it
/// cancels the task when no byte arrived for `stallTimeout` seconds, and
/// marks the outcome as stalled. (With Swift 6.3.1 on Linux, URLSession's
/// request timeout also restarts with every piece, but its error does not
/// tell a stall from other timeouts.)
///
/// `URLSession` follows redirects itself, up to `redirectLimit`.
///
/// fetch uses it for https:// and for URLs that go through a proxy; plain
/// http:// goes through `SocketTransfer`, which needs none of this.
final class HTTPTransfer: NSObject, URLSessionDataDelegate, HTTPTransport, @unchecked Sendable {
  static let highWater = 8 << 20
  /// The largest piece libcurl hands over at once (its default
  /// CURL_MAX_WRITE_SIZE), used to estimate the bytes in queued callbacks.
  static let pieceSize = 16 << 10
  static let watchInterval: useconds_t = 2000

  private let request: URLRequest
  private let stallTimeout: TimeInterval
  private let redirectLimit: Int
  private let decide: (ResponseHead) throws -> TransferDisposition
  private let sink: (UnsafeRawBufferPointer) throws -> Void

  private let delegateQueue = OperationQueue()
  private let state = NSCondition()
  private let writerDone = DispatchSemaphore(value: 0)
  private let watcherDone = DispatchSemaphore(value: 0)

  private var task: URLSessionDataTask?
  private var outcome = TransferOutcome()
  private var pending: [Data] = []
  private var pendingBytes = 0
  private var completed = false
  private var cancelled = false
  private var pausable = false
  private var lastActivity = Date()
  private var redirects = 0

  /// - Parameters:
  ///   - request: The GET request, with any `Range` and conditional headers.
  ///   - stallTimeout: Seconds without a byte after which the transfer fails.
  ///   - redirectLimit: The number of redirects to follow.
  ///   - decide: Called with the final response before its body. Throwing
  ///     cancels the task like `.reject`.
  ///   - sink: Receives the body in order; an error it throws cancels the
  ///     transfer.
  init(
    request: URLRequest,
    stallTimeout: TimeInterval,
    redirectLimit: Int = HTTPTransports.maximumRedirects,
    decide: @escaping (ResponseHead) throws -> TransferDisposition,
    sink: @escaping (UnsafeRawBufferPointer) throws -> Void
  ) {
    var request = request
    request.timeoutInterval = Self.disabledTimeout
    self.request = request
    self.stallTimeout = stallTimeout
    self.redirectLimit = redirectLimit
    self.decide = decide
    self.sink = sink
    delegateQueue.maxConcurrentOperationCount = 1
  }

  /// Runs the transfer to its end and returns what happened.
  func run() -> TransferOutcome {
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
      if redirects > redirectLimit { outcome.tooManyRedirects = true }
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
    var disposition = TransferDisposition.reject
    do {
      disposition = try decide(head)
    } catch {
      state.withLock { outcome.error = error }
    }
    state.withLock {
      switch disposition {
      case .reject: cancelled = true
      case .accept(let canPause): pausable = canPause
      }
    }
    completionHandler(cancelled ? .cancel : .allow)
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
    state.withLock {
      if outcome.error == nil, !cancelled, let error { outcome.error = error }
      completed = true
      state.broadcast()
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

  /// Pauses the task when the sink falls behind and cancels it when it
  /// stalls.
  ///
  /// It returns when the task completed.
  private func watch() {
    while true {
      usleep(Self.watchInterval)
      let (isDone, canPause, idle) = state.withLock {
        (completed, pausable && !cancelled, Date().timeIntervalSince(lastActivity))
      }
      if isDone { break }
      let queued = state.withLock { pendingBytes } + delegateQueue.operationCount * Self.pieceSize
      if canPause && queued > Self.highWater {
        state.withLock { outcome.paused = true }
        cancel()
      } else if idle > stallTimeout {
        state.withLock { outcome.stalled = true }
        cancel()
      }
    }
    watcherDone.signal()
  }

  /// Cancels the task once; the body bytes that arrive afterwards are dropped.
  private func cancel() {
    let alreadyDone = state.withLock {
      let done = completed || cancelled
      cancelled = true
      return done
    }
    if !alreadyDone { task?.cancel() }
  }
}
