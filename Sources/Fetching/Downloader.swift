import Foundation
import StageKit

/// Counts of a finished download.
package struct FetchSummary: Sendable {
  /// The size of the result in bytes.
  package var bytes = 0
  /// The bytes transferred by this run; less than `bytes` after a resume.
  package var transferredBytes = 0
  /// The offset the first resumed request started at, or nil when the
  /// download did not continue a partial file.
  package var resumedFrom: Int?
  /// Whether the server's copy changed, so that bytes kept from an earlier
  /// try were dropped and the download started again from zero.
  package var restarted = false
  /// Whether the server responded with 304 Not Modified and the file was kept.
  package var upToDate = false
  package var retries = 0
  /// The times the transfer was cancelled and continued with a Range
  /// request because the output fell behind.
  package var pauses = 0
  package var finalURL: String
  /// The SHA-256 of the result as hex digits, when it was computed.
  package var sha256: String?

  package init(finalURL: String) {
    self.finalURL = finalURL
  }
}

/// How far a download is.
package struct FetchProgress: Sendable {
  /// Bytes of the result so far, including bytes kept from an earlier try.
  package var bytes: Int
  /// The expected size of the result, when known.
  package var total: Int?
  /// Bytes transferred by this run.
  package var transferredBytes: Int
}

/// A failed try that fetch is about to repeat.
package struct RetryNotice: Sendable {
  package var error: FetchError
  /// The number of this retry, from 1.
  package var retry: Int
  package var retries: Int
  /// The wait before the retry, in seconds.
  package var delay: TimeInterval
}

/// Downloads one URL to a file (atomically) or to standard output.
///
/// `HTTPDownload` handles http and https with resume, conditional requests
/// and retries. It sends each request through `HTTPTransports`: plain
/// http:// over sockets, https:// and proxied URLs through `URLSession`. `file://` URLs and plain paths are
/// copied, so tests and offline users take the same path through make.
package struct Downloader {
  static let copyBlockSize = 1 << 20

  package var source: String
  /// The output file, or nil for standard output.
  package var outputPath: String?
  /// The name of standard output in messages: "stdout", or the device or
  /// FIFO that the caller redirected it to.
  package var standardOutputName = "stdout"
  /// Seconds without a byte after which a try fails.
  package var stallTimeout: TimeInterval = 60
  package var retryPolicy = RetryPolicy()
  /// The SHA-256 the result must have, as hex digits.
  package var expectedSHA256: String?
  /// Called after each piece of the body is written.
  package var onProgress: (FetchProgress) -> Void = { _ in }
  /// Called before each retry.
  package var onRetry: (RetryNotice) -> Void = { _ in }

  package init(source: String, outputPath: String?) {
    self.source = source
    self.outputPath = outputPath
  }

  /// Downloads the source.
  ///
  /// - Throws: `FetchError` or `SystemError`. No file is left under the
  ///   output name after a failure, and an existing one is kept as it was.
  package func run() throws -> FetchSummary {
    if let url = Self.httpURL(source) {
      return try HTTPDownload(downloader: self, url: url).run()
    }
    return try copyFile(Self.localPath(source))
  }

  /// Returns the URL when `source` is an http or https URL.
  static func httpURL(_ source: String) -> URL? {
    let lowered = source.lowercased()
    guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://") else { return nil }
    return URL(string: source)
  }

  /// Returns the file path of a `file://` URL or of a plain path.
  static func localPath(_ source: String) throws -> String {
    guard source.contains("://") else { return source }
    guard source.lowercased().hasPrefix("file://"), let url = URL(string: source), url.isFileURL
    else {
      throw FetchError.invalidURL(source)
    }
    return url.path
  }

  /// Copies a local file, verifying `expectedSHA256` before the rename.
  private func copyFile(_ path: String) throws -> FetchSummary {
    let input = try FileInput(path: path)
    let file = try outputPath.map { try AtomicFile(path: $0) }
    let output = file?.output ?? FileOutput.standardOutput(name: standardOutputName)
    var status = stat()
    let total = fstat(input.descriptor, &status) == 0 ? Int(status.st_size) : nil
    let buffer = UnsafeMutableRawBufferPointer.allocate(
      byteCount: Self.copyBlockSize,
      alignment: 16
    )
    defer { buffer.deallocate() }

    do {
      let hasher = SHA256()
      var copied = 0
      while true {
        let count = try input.read(into: buffer)
        if count == 0 { break }
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[..<count])
        try output.write(bytes)
        hasher.update(bytes)
        copied += count
        onProgress(FetchProgress(bytes: copied, total: total, transferredBytes: copied))
      }
      let digest = hasher.finalizeHex()
      if let expected = expectedSHA256, expected.lowercased() != digest {
        throw FetchError.checksumMismatch(url: source, expected: expected, actual: digest)
      }
      try file?.commit()
      var summary = FetchSummary(finalURL: source)
      summary.bytes = copied
      summary.transferredBytes = copied
      summary.sha256 = digest
      return summary
    } catch {
      file?.discard()
      throw error
    }
  }
}
