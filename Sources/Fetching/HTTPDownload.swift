import Foundation
import StageKit

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// One run of `fetch` over HTTP(S): the tries, the resume state and the
/// sidecar files.
///
/// With an output file, the body goes to `FILE.part`, and `FILE.part.meta`
/// stores the validators (ETag, Last-Modified) of the response those bytes
/// came from. A later try or run continues the part with `Range` and
/// `If-Range`, so the server sends the rest only if its copy is unchanged.
/// Otherwise it responds with 200 and the part starts again from zero. After the
/// rename, `FILE.meta` records the validators of the finished file for the
/// next run's `If-None-Match` and `If-Modified-Since`.
///
/// With standard output there is no part file: a try can only be repeated
/// while no byte has been written.
final class HTTPDownload: @unchecked Sendable {
  private let settings: Downloader
  private let url: URL
  private let source: String
  private let part: AtomicFile?
  private let output: FileOutput

  /// The record of the finished file, when a conditional request may use it.
  private let previous: DownloadRecord?
  /// The validators of the bytes in the part file.
  private var partRecord: DownloadRecord?
  /// Bytes of the result written so far.
  private var offset = 0
  /// The SHA-256 of the bytes written to standard output, computed only
  /// when `--sha256` requests a check.
  private var hasher = SHA256()
  /// The SHA-256 of the part file, computed on a second thread as it grows.
  private var partHasher: PartHasher?
  private let hashes: Bool
  /// The offset in the part file up to which writeback has been started.
  private var writebackOffset = 0
  private var expectedTotal: Int?
  private var summary: FetchSummary

  /// The meaning of the last response for the loop in `run()`.
  private enum Verdict {
    case body
    case notModified
    case alreadyComplete
    case restart(reason: String)
    case refused
  }
  private var verdict = Verdict.refused

  /// The bytes written between two calls of `FileOutput.startWriteback`.
  ///
  /// Starting writeback as the file grows leaves little for the `fsync(2)`
  /// before the rename. For a 300 MB download on a 2-core test machine,
  /// strace timed that call at 0.1 s without early writeback, 3.5 ms with.
  static let writebackInterval = 8 << 20

  init(downloader: Downloader, url: URL) throws {
    settings = downloader
    self.url = url
    // Messages and sidecars name the URL without its password.
    source = URLRedaction.redact(downloader.source)
    summary = FetchSummary(finalURL: source)
    hashes = downloader.outputPath != nil || downloader.expectedSHA256 != nil

    guard let path = downloader.outputPath else {
      part = nil
      output = FileOutput.standardOutput(name: downloader.standardOutputName)
      previous = nil
      return
    }
    let part = try AtomicFile(resuming: path)
    self.part = part
    output = part.output
    partHasher = try PartHasher(path: part.partPath)
    previous = Self.usableRecord(for: path, source: source, sha256: downloader.expectedSHA256)
    try adoptPart(path: path)
  }

  deinit {
    partHasher?.stop()
  }

  /// Runs tries until one succeeds, a failure is final or retries run out.
  func run() throws -> FetchSummary {
    var retries = 0
    var restarts = 0
    tries: while true {
      do {
        switch try attempt() {
        case .complete:
          break tries
        case .upToDate:
          return summary
        case .paused:
          continue
        case .restarted(let reason):
          restarts += 1
          if restarts > 1 { throw FetchError.unexpectedRange(url: source, detail: reason) }
        }
      } catch let error as FetchError
        where error.isRetryable && retries < settings.retryPolicy.retries
      {
        guard part != nil || offset == 0 else {
          cleanUp(after: error)
          throw error
        }
        if offset > 0 && partRecord?.rangeValidator == nil {
          // Without a validator, a range request could mix two versions.
          try truncatePart()
        }
        retries += 1
        summary.retries = retries
        let delay = settings.retryPolicy.delay(
          beforeRetry: retries,
          retryAfter: lastRetryAfter.flatMap { RetryPolicy.parseRetryAfter($0) }
        )
        settings.onRetry(
          RetryNotice(
            error: error,
            retry: retries,
            retries: settings.retryPolicy.retries,
            delay: delay
          )
        )
        Thread.sleep(forTimeInterval: delay)
      } catch {
        cleanUp(after: error)
        throw error
      }
    }
    try finish()
    return summary
  }

  private var lastRetryAfter: String?
  /// Whether the body may continue with a Range request on standard
  /// output, which is true only after the sink fell behind and the
  /// transfer paused.
  private var continuesAfterPause = false
  /// Whether a transfer may pause.
  ///
  /// It turns false once the server sent a whole body in reply to a range
  /// request. Each later pause would start the file over.
  private var mayPause = true

  /// The result of one try that did not throw.
  private enum TryResult {
    case complete
    case upToDate
    /// The sink fell behind; the next request continues at `offset`.
    case paused
    /// The part was emptied; the next request starts from zero.
    case restarted(reason: String)
  }

  // MARK: - One try

  /// Sends one request and streams its body.
  ///
  /// - Returns: Whether the result is complete, or why the loop must send
  ///   another request at once.
  /// - Throws: `FetchError` for a failed try, `SystemError` for a write error.
  private func attempt() throws -> TryResult {
    let resuming = offset > 0 && (part != nil || continuesAfterPause)
    verdict = .refused
    lastRetryAfter = nil
    let outcome = HTTPTransports.run(
      makeRequest(resuming: resuming),
      stallTimeout: settings.stallTimeout,
      decide: { [unowned self] head in try decide(head, resuming: resuming) },
      sink: { [unowned self] bytes in try write(bytes) }
    )
    let head = outcome.head
    lastRetryAfter = head?.retryAfter
    if let finalURL = head?.url { summary.finalURL = URLRedaction.redact(finalURL) }

    if outcome.paused && outcome.error == nil {
      continuesAfterPause = true
      summary.pauses += 1
      return .paused
    }
    continuesAfterPause = false
    if outcome.tooManyRedirects {
      throw FetchError.tooManyRedirects(url: source, limit: HTTPTransports.maximumRedirects)
    }
    if let error = outcome.error {
      if outcome.stalled {
        throw FetchError.stalled(url: source, seconds: settings.stallTimeout)
      }
      throw Self.fetchError(for: error, url: source)
    }
    if outcome.stalled {
      throw FetchError.stalled(url: source, seconds: settings.stallTimeout)
    }

    switch verdict {
    case .body:
      if let expectedTotal, offset != expectedTotal {
        throw FetchError.shortBody(url: source, received: offset, expected: expectedTotal)
      }
      return .complete
    case .alreadyComplete:
      return .complete
    case .notModified:
      summary.upToDate = true
      part?.discard()
      if let path = settings.outputPath { unlink(path + ".part.meta") }
      return .upToDate
    case .restart(let reason):
      guard part != nil else {
        throw FetchError.unexpectedRange(url: source, detail: reason)
      }
      try truncatePart()
      return .restarted(reason: reason)
    case .refused:
      throw FetchError.httpStatus(url: source, status: head?.status ?? 0)
    }
  }

  private func makeRequest(resuming: Bool) -> URLRequest {
    var request = URLRequest(url: url)
    request.setValue("stageload-fetch/\(Tool.version)", forHTTPHeaderField: "User-Agent")
    // Byte ranges and Content-Length must refer to the stored bytes, so no
    // content coding may be applied on the way.
    request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
    if resuming, let validator = partRecord?.rangeValidator {
      request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range")
      request.setValue(validator, forHTTPHeaderField: "If-Range")
    } else if offset == 0, let previous {
      if let etag = previous.etag {
        request.setValue(etag, forHTTPHeaderField: "If-None-Match")
      }
      if let lastModified = previous.lastModified {
        request.setValue(lastModified, forHTTPHeaderField: "If-Modified-Since")
      }
    }
    return request
  }

  /// Decides on a response before its body.
  ///
  /// A 200 to a range request means the server ignored the range or its
  /// copy changed (the `If-Range` validator no longer matched), so the part
  /// is truncated before the first new byte is written.
  private func decide(
    _ head: ResponseHead,
    resuming: Bool
  ) throws -> TransferDisposition {
    switch head.status {
    case 200:
      if offset > 0 {
        guard part != nil else {
          verdict = .restart(reason: "server sent the whole body again instead of the rest")
          return .reject
        }
        try truncatePart()
        summary.restarted = true
        mayPause = false
      }
      expectedTotal = head.contentLength
      try storePartRecord(head)
      verdict = .body
      return .accept(pausable: mayPause && head.acceptsRanges && partRecord?.rangeValidator != nil)
    case 206 where resuming:
      guard let range = head.contentRange, range.first == offset else {
        verdict = .restart(reason: "206 response does not start at byte \(offset)")
        return .reject
      }
      if let recorded = partRecord?.length, let total = range.total, recorded != total {
        verdict = .restart(reason: "206 response has length \(total), expected \(recorded)")
        return .reject
      }
      expectedTotal = range.total ?? partRecord?.length
      if summary.resumedFrom == nil && !continuesAfterPause { summary.resumedFrom = offset }
      verdict = .body
      return .accept(pausable: true)
    case 304 where previous != nil && offset == 0:
      verdict = .notModified
      return .reject
    case 416 where resuming:
      if let total = head.contentRange?.total, total == offset, total == partRecord?.length {
        verdict = .alreadyComplete
        expectedTotal = total
        summary.resumedFrom = offset
      } else {
        verdict = .restart(reason: "server rejected the range starting at byte \(offset)")
      }
      return .reject
    default:
      verdict = .refused
      return .reject
    }
  }

  /// Appends body bytes to the output.
  private func write(_ bytes: UnsafeRawBufferPointer) throws {
    try output.write(bytes)
    offset += bytes.count
    if let partHasher {
      partHasher.advance(to: offset)
      if offset - writebackOffset >= Self.writebackInterval {
        output.startWriteback(offset: writebackOffset, count: offset - writebackOffset)
        writebackOffset = offset
      }
    } else if hashes {
      hasher.update(bytes)
    }
    summary.transferredBytes += bytes.count
    settings.onProgress(
      FetchProgress(
        bytes: offset,
        total: expectedTotal,
        transferredBytes: summary.transferredBytes
      )
    )
  }

  // MARK: - Part file and sidecars

  /// Takes over a part file left by an earlier run when its record names
  /// the validator of its bytes, and otherwise starts it from zero.
  private func adoptPart(path: String) throws {
    guard let part else { return }
    let size = Self.fileSize(part.partPath) ?? 0
    let record = DownloadRecord.read(from: path + ".part.meta")
    let usable =
      size > 0 && record?.url == source && record?.rangeValidator != nil
      && size <= (record?.length ?? Int.max)
    guard usable, let record else {
      try truncatePart()
      return
    }
    partRecord = record
    expectedTotal = record.length
    offset = size
    writebackOffset = size
    partHasher?.advance(to: size)
  }

  /// Empties the part file and removes its record.
  private func truncatePart() throws {
    hasher = SHA256()
    partHasher?.reset()
    offset = 0
    writebackOffset = 0
    expectedTotal = nil
    partRecord = nil
    guard let part, let path = settings.outputPath else { return }
    unlink(path + ".part.meta")
    guard ftruncate(part.output.descriptor, 0) == 0 else {
      throw SystemError("cannot truncate", path: part.partPath)
    }
  }

  /// Writes `FILE.part.meta` for the response whose body goes to the part,
  /// before any of its bytes.
  private func storePartRecord(_ head: ResponseHead) throws {
    let record = DownloadRecord(
      url: source,
      finalURL: head.url.map(URLRedaction.redact),
      etag: head.etag,
      lastModified: head.lastModified,
      length: head.contentLength
    )
    partRecord = record
    guard let path = settings.outputPath else { return }
    if record.rangeValidator != nil {
      try record.write(to: path + ".part.meta")
    }
  }

  /// Checks the SHA-256, renames the part and writes `FILE.meta`.
  private func finish() throws {
    summary.bytes = offset
    guard hashes else { return }
    let digest = try partHasher?.finalizeHex() ?? hasher.finalizeHex()
    summary.sha256 = digest
    if let expected = settings.expectedSHA256, expected.lowercased() != digest {
      let error = FetchError.checksumMismatch(url: source, expected: expected, actual: digest)
      cleanUp(after: error)
      throw error
    }
    guard let part, let path = settings.outputPath else { return }

    // The old record goes first, so that no crash can leave it beside the
    // new file and make the next run skip a download it needs.
    unlink(path + ".meta")
    try part.commit()
    let record = DownloadRecord(
      url: source,
      finalURL: summary.finalURL,
      etag: partRecord?.etag,
      lastModified: partRecord?.lastModified,
      length: offset,
      sha256: digest
    )
    try record.write(to: path + ".meta")
    unlink(path + ".part.meta")
  }

  /// Keeps the part for a later run when its bytes can be resumed after
  /// `error`; removes it otherwise.
  private func cleanUp(after error: Error) {
    guard let part, let path = settings.outputPath else { return }
    let resumable =
      (error as? FetchError)?.isRetryable == true && offset > 0 && partRecord?.rangeValidator != nil
    if resumable {
      part.keepPart()
    } else {
      part.discard()
      unlink(path + ".part.meta")
    }
  }

  /// Returns the record of the finished file at `path` when it describes
  /// that file, came from `source` and can make a request conditional.
  private static func usableRecord(
    for path: String,
    source: String,
    sha256: String?
  ) -> DownloadRecord? {
    guard let record = DownloadRecord.read(from: path + ".meta"), record.url == source,
      record.etag != nil || record.lastModified != nil,
      let size = fileSize(path), record.length == size
    else {
      return nil
    }
    if let sha256, record.sha256 != sha256.lowercased() { return nil }
    return record
  }

  private static func fileSize(_ path: String) -> Int? {
    var status = stat()
    return stat(path, &status) == 0 ? Int(status.st_size) : nil
  }

  /// Maps a `URLSession` or `SocketTransfer` error to a `FetchError`,
  /// keeping our own I/O errors.
  static func fetchError(for error: Error, url: String) -> Error {
    if error is StageError { return error }
    if let transportError = error as? TransportError {
      return fetchError(for: transportError, url: url)
    }
    guard let urlError = error as? URLError else {
      return FetchError.network(url: url, detail: "\(error)")
    }
    switch urlError.code {
    case .cannotFindHost, .dnsLookupFailed:
      return FetchError.unknownHost(url: url)
    case .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateNotYetValid,
      .serverCertificateHasUnknownRoot, .secureConnectionFailed, .clientCertificateRejected:
      return FetchError.secureConnection(url: url, detail: urlError.localizedDescription)
    case .cannotConnectToHost:
      return FetchError.network(url: url, detail: "connection refused")
    case .networkConnectionLost:
      return FetchError.network(url: url, detail: "connection lost during the transfer")
    case .unsupportedURL, .badURL:
      return FetchError.invalidURL(url)
    default:
      let detail = urlError.localizedDescription
      if isCertificateFailure(detail) {
        return FetchError.secureConnection(url: url, detail: detail)
      }
      return FetchError.network(url: url, detail: detail)
    }
  }

  /// Returns whether a URLSession error message reports a server
  /// certificate that failed verification.
  ///
  /// On Linux, URLSession reports libcurl's certificate failures with the
  /// unknown code (-1), so only libcurl's message distinguishes them from a
  /// network failure. They are not retried: another try meets the same
  /// certificate.
  static func isCertificateFailure(_ message: String) -> Bool {
    let prefixes = [
      "SSL certificate problem", "SSL: no alternative certificate subject name",
      "SSL peer certificate", "SSL: certificate subject name",
    ]
    return prefixes.contains { message.hasPrefix($0) }
  }

  /// Maps a `SocketTransfer` error to the `FetchError` that URLSession's
  /// error for the same failure maps to, so that exit statuses and retries
  /// do not depend on the transport.
  private static func fetchError(for error: TransportError, url: String) -> FetchError {
    switch error {
    case .unknownHost:
      return .unknownHost(url: url)
    case .cannotConnect(let code) where code == ECONNREFUSED:
      return .network(url: url, detail: "connection refused")
    case .cannotConnect(let code):
      return .network(url: url, detail: "cannot connect: " + String(cString: strerror(code)))
    case .connectionLost(let detail):
      return .network(url: url, detail: detail)
    case .stalled:
      return .network(url: url, detail: "timed out")
    case .invalidResponse(let detail):
      return .invalidResponse(url: url, detail: detail)
    }
  }
}
