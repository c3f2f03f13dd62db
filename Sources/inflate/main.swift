import Foundation
import Inflating
import StageKit

let tool = Tool(
  name: "inflate",
  synopsis: "inflate [--test] [-o FILE] [FILE]",
  help: """
    usage: inflate [--test] [-o FILE] [FILE]

    Decompresses a gzip file (FILE, or standard input) to standard output.
    Concatenated gzip members are decompressed in turn. Each member's CRC-32
    and length are checked; corrupt, truncated or non-gzip input is an error
    with exit status 65, never a silently short output.

    options:
      -o, --output FILE  write to FILE atomically (FILE.part, then renamed)
      -t, --test         check the file and write nothing, like gzip -t
      --progress         show progress on standard error (default when it is a terminal)
      --quiet            no progress
      -h, --help         show this help
      --version          show the version

    exit status: 0 done, 64 usage, 65 corrupt or truncated input,
    66 missing input, 73 cannot create output, 74 read or write error,
    130 interrupted

    examples:
      inflate --test work/download/name.basics.tsv.gz
      inflate work/download/name.basics.tsv.gz | wc -l
    """,
  options: [
    OptionSpec("--output", alias: "-o", takesValue: true), OptionSpec("--test", alias: "-t"),
    OptionSpec("--progress"), OptionSpec("--quiet"),
  ]
)

tool.run { arguments in
  guard arguments.positionals.count <= 1 else {
    throw UsageError("expected at most one input FILE, got \(arguments.positionals.count)")
  }
  if arguments.has("--test") && arguments.value("--output") != nil {
    throw UsageError("--test writes nothing; drop -o")
  }
  let input = try FileInput(path: arguments.positionals.first)
  let file = try arguments.value("--output").map { try AtomicFile(path: $0) }
  let output = file?.output ?? FileOutput.standardOutput()
  let testOnly = arguments.has("--test")
  let progress = ProgressLine(arguments: arguments)
  let started = Date()

  var written = 0
  let summary = try GzipDecoder(name: input.name).decode(
    read: { try input.read(into: $0) },
    write: { bytes in
      if !testOnly { try output.write(bytes) }
      written += bytes.count
      progress.update("inflate: \(Measure.bytes(written)) written")
    }
  )
  try file?.commit()
  progress.finish()

  if testOnly && !arguments.has("--quiet") {
    let seconds = Date().timeIntervalSince(started)
    tool.note(
      "\(input.name): ok, \(Measure.count(summary.members, "member")), "
        + "\(Measure.bytes(summary.compressedBytes)) -> \(Measure.bytes(summary.decompressedBytes)) "
        + "(\(Measure.duration(seconds)))"
    )
  }
}
