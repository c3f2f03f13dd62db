import Foundation
import StageKit

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// One HTTP(S) GET through `URLSession`, with the body streamed to a sink
/// as it arrives instead of collected in memory.
///
/// `URLSession` follows redirects itself. The transfer fails when no byte
/// arrives for `stallTimeout` seconds, not after a fixed total time, so a
/// slow but steady download of any size completes.
final class HTTPTransfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
  /// The outcome of a transfer.
  struct Result {
    var status = 0
    var expectedLength: Int?
    var receivedBytes = 0
    var finalURL: URL?
    var error: Error?
  }

  private let request: URLRequest
  private let sink: (UnsafeRawBufferPointer) throws -> Void
  private let progress: (Int, Int?) -> Void
  private let finished = DispatchSemaphore(value: 0)
  private let lock = NSLock()
  private var result = Result()

  /// - Parameters:
  ///   - sink: Receives the body in order; an error it throws cancels the transfer.
  ///   - progress: Called with the bytes received so far and the expected total.
  init(
    url: URL,
    stallTimeout: TimeInterval,
    sink: @escaping (UnsafeRawBufferPointer) throws -> Void,
    progress: @escaping (Int, Int?) -> Void
  ) {
    var request = URLRequest(url: url)
    request.timeoutInterval = stallTimeout
    request.setValue("stageload-fetch/\(Tool.version)", forHTTPHeaderField: "User-Agent")
    self.request = request
    self.sink = sink
    self.progress = progress
  }

  /// Runs the transfer to its end and returns what happened.
  func run() -> Result {
    let configuration = URLSessionConfiguration.ephemeral
    configuration.timeoutIntervalForRequest = request.timeoutInterval
    configuration.timeoutIntervalForResource = .infinity
    configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
    let queue = OperationQueue()
    queue.maxConcurrentOperationCount = 1
    let session = URLSession(configuration: configuration, delegate: self, delegateQueue: queue)
    let task = session.dataTask(with: request)

    let cancel = Interruption.onInterrupt { task.cancel() }
    task.resume()
    finished.wait()
    Interruption.remove(cancel)
    session.finishTasksAndInvalidate()
    return lock.withLock { result }
  }

  func urlSession(
    _ session: URLSession,
    dataTask: URLSessionDataTask,
    didReceive response: URLResponse,
    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
  ) {
    let http = response as? HTTPURLResponse
    let status = http?.statusCode ?? 200
    lock.withLock {
      result.status = status
      result.finalURL = response.url
      result.expectedLength =
        response.expectedContentLength >= 0
        ? Int(response.expectedContentLength) : nil
    }
    completionHandler(status >= 400 ? .cancel : .allow)
  }

  func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
    do {
      try data.withUnsafeBytes { try sink($0) }
    } catch {
      lock.withLock { result.error = error }
      dataTask.cancel()
      return
    }
    let (received, expected) = lock.withLock {
      result.receivedBytes += data.count
      return (result.receivedBytes, result.expectedLength)
    }
    progress(received, expected)
  }

  func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
    lock.withLock {
      if result.error == nil, let error, result.status < 400 { result.error = error }
    }
    finished.signal()
  }
}
