import Foundation
import StageKit

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// Counts of a finished download.
package struct FetchSummary: Sendable {
  package var bytes = 0
  package var finalURL: String
}

/// Downloads one URL to a file (atomically) or to standard output.
///
/// http and https go through `URLSession`; `file://` URLs and plain paths
/// are copied, so tests and offline users take the same path through make.
package struct Downloader {
  static let copyBlockSize = 1 << 20

  package var source: String
  /// The output file, or nil for standard output.
  package var outputPath: String?
  package var stallTimeout: TimeInterval = 60

  package init(source: String, outputPath: String?) {
    self.source = source
    self.outputPath = outputPath
  }

  /// Downloads the source.
  ///
  /// - Parameter progress: Called with the bytes so far and the expected total.
  /// - Throws: `FetchError` or `SystemError`; no file is left under the
  ///   output name after a failure.
  package func run(progress: @escaping (Int, Int?) -> Void) throws -> FetchSummary {
    let file = try outputPath.map { try AtomicFile(path: $0, keepPartOnInterrupt: true) }
    let output = file?.output ?? FileOutput.standardOutput()
    do {
      let summary: FetchSummary
      if let url = Self.httpURL(source) {
        summary = try download(url, to: output, progress: progress)
      } else {
        summary = try copyFile(Self.localPath(source), to: output, progress: progress)
      }
      try file?.commit()
      return summary
    } catch {
      file?.discard()
      throw error
    }
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

  private func download(
    _ url: URL,
    to output: FileOutput,
    progress: @escaping (Int, Int?) -> Void
  ) throws -> FetchSummary {
    let transfer = HTTPTransfer(
      url: url,
      stallTimeout: stallTimeout,
      sink: { try output.write($0) },
      progress: progress
    )
    let result = transfer.run()
    if let error = result.error {
      throw Self.fetchError(for: error, url: source)
    }
    if result.status >= 400 {
      throw FetchError.httpStatus(url: source, status: result.status)
    }
    if let expected = result.expectedLength, expected != result.receivedBytes {
      throw FetchError.shortBody(url: source, received: result.receivedBytes, expected: expected)
    }
    return FetchSummary(
      bytes: result.receivedBytes,
      finalURL: result.finalURL?.absoluteString ?? source
    )
  }

  private func copyFile(
    _ path: String,
    to output: FileOutput,
    progress: (Int, Int?) -> Void
  ) throws -> FetchSummary {
    let input = try FileInput(path: path)
    var status = stat()
    let total = fstat(input.descriptor, &status) == 0 ? Int(status.st_size) : nil
    let buffer = UnsafeMutableRawBufferPointer.allocate(
      byteCount: Self.copyBlockSize,
      alignment: 16
    )
    defer { buffer.deallocate() }
    var copied = 0
    while true {
      let count = try input.read(into: buffer)
      if count == 0 { break }
      try output.write(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
      copied += count
      progress(copied, total)
    }
    return FetchSummary(bytes: copied, finalURL: source)
  }

  /// Maps a `URLSession` error to a `FetchError`, keeping our own I/O errors.
  static func fetchError(for error: Error, url: String) -> Error {
    if error is StageError { return error }
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
    case .timedOut:
      return FetchError.network(url: url, detail: "no data received within the stall timeout")
    case .networkConnectionLost:
      return FetchError.network(url: url, detail: "connection lost during the transfer")
    case .unsupportedURL, .badURL:
      return FetchError.invalidURL(url)
    default:
      return FetchError.network(url: url, detail: urlError.localizedDescription)
    }
  }
}
