import Fetching
import Foundation
import Glibc
import StageKit

let tool = Tool(
  name: "fetch",
  synopsis:
    "fetch URL [-o FILE] [--retries N] [--retry-delay SECONDS] [--stall-timeout SECONDS] "
    + "[--sha256 HEX]",
  help: """
    usage: fetch URL [-o FILE] [--retries N] [--retry-delay SECONDS]
                 [--stall-timeout SECONDS] [--sha256 HEX] [--progress | --quiet]

    Downloads URL (http://, https://, file:// or a plain file path) to
    standard output, or to FILE atomically: the bytes go to FILE.part, which
    is renamed to FILE only when the whole body has arrived, matches the
    Content-Length and, with --sha256, the checksum. After a failure FILE is
    left as it was.

    With -o, fetch keeps what it knows in two sidecar files of key<TAB>value
    lines. FILE.part.meta holds the ETag and Last-Modified of the response
    that FILE.part came from: a later try or run continues FILE.part with a
    Range request and If-Range, and starts again from zero when the server
    ignores the range or its copy changed. FILE.meta describes the finished
    file (url, final_url, etag, last_modified, length, sha256): the next run
    sends If-None-Match and If-Modified-Since, and on 304 Not Modified leaves
    FILE untouched and reports it up to date.

    Connection failures, resets, stalls, short bodies and HTTP 408, 429 and
    5xx are retried after 1, 2, 4 ... times --retry-delay seconds (at most
    60, with random jitter), or after the server's Retry-After (at most 10
    minutes; a longer Retry-After waits 10 minutes). A retry after a broken
    body resumes from the bytes already in FILE.part. On standard
    output, a try is repeated only while no byte has been written. Redirects
    are followed up to 10 times. Ctrl-C or SIGTERM stops at once and keeps
    FILE.part for the next run.

    options:
      -o, --output FILE          write to FILE instead of standard output (a device
                                 or FIFO is written in place, like standard output)
      --retries N                retries after the first try (default 5; 0 turns them off)
      --retry-delay SECONDS      wait before the first retry, doubled each time (default 1)
      --stall-timeout SECONDS    fail a try when no byte arrives for this long (default 60)
      --sha256 HEX               fail with status 65 unless the result has this SHA-256
      --progress                 show progress on standard error (default when it is a terminal)
      --quiet                    show neither progress, retries nor the summary
      -h, --help                 show this help
      --version                  show the version

    exit status: 0 done or up to date, 64 usage, 65 SHA-256 mismatch,
    66 not found (HTTP 404 or 410, missing file), 69 unknown host or TLS
    failure, 73 cannot create FILE, 74 write error, 75 temporary failure after
    the last retry (connection, stall, short body, HTTP 408, 429 or 5xx; try
    again), 76 other HTTP error status or a broken range reply, 130 interrupted

    example:
      fetch https://datasets.imdbws.com/name.basics.tsv.gz -o work/download/name.basics.tsv.gz
    """,
  options: [
    OptionSpec("--output", alias: "-o", takesValue: true),
    OptionSpec("--retries", takesValue: true),
    OptionSpec("--retry-delay", takesValue: true),
    OptionSpec("--stall-timeout", takesValue: true),
    OptionSpec("--sha256", takesValue: true),
    OptionSpec("--progress"), OptionSpec("--quiet"),
  ]
)

/// Returns option `name` as seconds, possibly fractional, within `range`.
func seconds(
  _ arguments: Arguments,
  _ name: String,
  default defaultValue: Double,
  range: ClosedRange<Double>
) throws -> Double {
  guard let text = arguments.value(name) else { return defaultValue }
  guard let value = Double(text), value.isFinite, range.contains(value) else {
    throw UsageError(
      "option '\(name)': invalid value '\(text)'; expected seconds from "
        + "\(range.lowerBound) to \(range.upperBound)"
    )
  }
  return value
}

/// Returns the `--sha256` value in lowercase, checking that it is 64 hex digits.
func expectedDigest(_ arguments: Arguments) throws -> String? {
  guard let text = arguments.value("--sha256") else { return nil }
  let digest = text.lowercased()
  guard digest.count == 64, digest.allSatisfy(\.isHexDigit) else {
    throw UsageError("option '--sha256': invalid value '\(text)'; expected 64 hex digits")
  }
  return digest
}

/// Formats the progress line: bytes, total, rate and time left.
func progressText(_ progress: FetchProgress, seconds: Double) -> String {
  var text = "fetch: \(Measure.bytes(progress.bytes))"
  if let total = progress.total, total > 0 {
    text += " of \(Measure.bytes(total)) (\(progress.bytes * 100 / total)%)"
  }
  let rate = Double(progress.transferredBytes) / max(seconds, 0.001)
  text += ", \(Measure.bytes(Int(rate)))/s"
  if let total = progress.total, rate > 0, total > progress.bytes {
    text += ", \(Measure.duration(Double(total - progress.bytes) / rate)) left"
  }
  return text
}

/// Formats the summary line printed after a download.
func summaryText(_ summary: FetchSummary, output: String, seconds: Double) -> String {
  if summary.upToDate {
    return "\(output): up to date (HTTP 304 Not Modified); kept the existing file"
  }
  let rate = Measure.bytes(Int(Double(summary.transferredBytes) / max(seconds, 0.001)))
  var text =
    "\(output): \(Measure.bytes(summary.bytes)) from \(summary.finalURL) in "
    + "\(Measure.duration(seconds)) (\(rate)/s)"
  if let resumedFrom = summary.resumedFrom {
    text += ", resumed at \(Measure.bytes(resumedFrom))"
  }
  if summary.restarted {
    text += ", restarted from zero because the server ignored the range or its copy changed"
  }
  if summary.pauses > 0 {
    text += ", paused \(Measure.count(summary.pauses, "time")) while the output was slow"
  }
  if summary.retries > 0 {
    text += ", \(Measure.count(summary.retries, "retry", plural: "retries"))"
  }
  return text
}

tool.run { arguments in
  guard arguments.positionals.count == 1, let source = arguments.positionals.first else {
    throw UsageError("expected one URL, got \(arguments.positionals.count)")
  }
  let quiet = arguments.has("--quiet")
  var outputPath = arguments.value("--output")
  var standardOutputName = "stdout"
  if let path = outputPath {
    switch AtomicFile.target(for: path) {
    case .file(let resolved):
      outputPath = resolved
    case .direct(let device):
      // A device or FIFO such as /dev/null is written like standard output:
      // no part file, no sidecar, no resume.
      let output = try FileOutput(writingTo: device)
      guard dup2(output.descriptor, STDOUT_FILENO) >= 0 else {
        throw SystemError("cannot redirect standard output", path: device)
      }
      outputPath = nil
      standardOutputName = path
    }
  }
  var downloader = Downloader(source: source, outputPath: outputPath)
  downloader.standardOutputName = standardOutputName
  downloader.stallTimeout = try seconds(
    arguments,
    "--stall-timeout",
    default: 60,
    range: 0.1...86_400
  )
  downloader.retryPolicy = RetryPolicy(
    retries: try arguments.integer("--retries", default: 5, range: 0...100),
    baseDelay: try seconds(arguments, "--retry-delay", default: 1, range: 0...3600)
  )
  downloader.expectedSHA256 = try expectedDigest(arguments)

  let progress = ProgressLine(arguments: arguments)
  let started = Date()
  downloader.onProgress = { current in
    progress.update(progressText(current, seconds: Date().timeIntervalSince(started)))
  }
  downloader.onRetry = { notice in
    guard !quiet else { return }
    progress.finish()
    tool.note(
      "\(notice.error.subject): \(notice.error.problem); retry \(notice.retry) of "
        + "\(notice.retries) in \(Measure.duration(notice.delay))"
    )
  }

  let summary = try downloader.run()
  progress.finish()
  if !quiet {
    let output = arguments.value("--output") ?? "stdout"
    tool.note(summaryText(summary, output: output, seconds: Date().timeIntervalSince(started)))
  }
}
