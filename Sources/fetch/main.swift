import Fetching
import Foundation
import StageKit

let tool = Tool(
  name: "fetch",
  synopsis: "fetch URL [-o FILE] [--stall-timeout SECONDS]",
  help: """
    usage: fetch URL [-o FILE] [--stall-timeout SECONDS]

    Downloads URL (http://, https://, file:// or a plain file path) to
    standard output, or to FILE atomically: the bytes go to FILE.part, which
    is renamed to FILE only when the whole body has arrived and matches the
    Content-Length. An HTTP error status, a refused connection, an unknown
    host or a short body is an error, and FILE is left untouched.

    options:
      -o, --output FILE          write to FILE instead of standard output
      --stall-timeout SECONDS    fail when no byte arrives for this long (default 60)
      --progress                 show progress on standard error (default when it is a terminal)
      --quiet                    no progress and no summary
      -h, --help                 show this help
      --version                  show the version

    exit status: 0 done, 64 usage, 66 not found (HTTP 404 or missing file),
    69 unknown host or TLS failure, 74 write error, 75 temporary failure
    (connection refused or lost, HTTP 5xx or 429; try again), 76 other HTTP
    error status, 130 interrupted

    example:
      fetch https://datasets.imdbws.com/name.basics.tsv.gz -o work/download/name.basics.tsv.gz
    """,
  options: [
    OptionSpec("--output", alias: "-o", takesValue: true),
    OptionSpec("--stall-timeout", takesValue: true),
    OptionSpec("--progress"), OptionSpec("--quiet"),
  ]
)

tool.run { arguments in
  guard arguments.positionals.count == 1, let source = arguments.positionals.first else {
    throw UsageError("expected one URL, got \(arguments.positionals.count)")
  }
  var downloader = Downloader(source: source, outputPath: arguments.value("--output"))
  downloader.stallTimeout = TimeInterval(
    try arguments.integer("--stall-timeout", default: 60, range: 1...86_400)
  )

  let progress = ProgressLine(arguments: arguments)
  let started = Date()
  let summary = try downloader.run { received, expected in
    let seconds = Date().timeIntervalSince(started)
    var line = "fetch: \(Measure.bytes(received))"
    if let expected, expected > 0 {
      line += " of \(Measure.bytes(expected)) (\(received * 100 / expected)%)"
    }
    line += ", \(Measure.bytes(Int(Double(received) / max(seconds, 0.001))))/s"
    progress.update(line)
  }
  progress.finish()

  if !arguments.has("--quiet") && arguments.value("--output") != nil {
    let seconds = Date().timeIntervalSince(started)
    let rate = Measure.bytes(Int(Double(summary.bytes) / max(seconds, 0.001)))
    tool.note(
      "\(arguments.value("--output") ?? "stdout"): \(Measure.bytes(summary.bytes)) from "
        + "\(summary.finalURL) in \(Measure.duration(seconds)) (\(rate)/s)"
    )
  }
}
