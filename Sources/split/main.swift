import Datasets
import Foundation
import Splitting
import StageKit

let datasetNames = Dataset.all.map(\.name).joined(separator: ", ")

let tool = Tool(
  name: "split",
  synopsis:
    "split --dataset NAME [--rows N] (--out DIR [--list-chunks] | --stdout) [--rejects FILE]"
    + " [--input-name NAME] [FILE]",
  help: """
    usage: split --dataset NAME [--rows N] (--out DIR [--list-chunks] | --stdout)
                 [--rejects FILE] [--input-name NAME] [FILE]

    Converts an IMDb dataset's TSV (FILE, or standard input) into PostgreSQL
    COPY text. The first line must be the dataset's header. Each row is
    checked: field count, UTF-8, and each value against its column type. A
    key column (such as nconst) must not be empty or \\N, and a list must not
    have an empty element (such as the second one of 'actor,').

    options:
      --dataset NAME    the dataset, one of:
                        \(datasetNames)
      --out DIR         write chunk files DIR/000001.copy ..., then
                        DIR/chunks.mk and DIR/manifest.tsv (chunk, first
                        source line, rows, sha256, last source line)
      --rows N          rows per chunk file (default 100000)
      --list-chunks     with --out, also print each chunk's manifest line to
                        standard output as soon as the chunk is written, with
                        DIR/ before the chunk's name, after a header line; load
                        --manifest - reads it, to load chunks during the split.
                        When its reader goes away, the list stops and the split
                        goes on
      --stdout          write one COPY stream to standard output instead; after
                        the last row of a successful split it writes the
                        end-of-data line \\., which load - requires
      --rejects FILE    write invalid rows to FILE (line, column, reason, row)
                        and go on; without it the first invalid row is an error
      --input-name NAME name standard input NAME in messages (default stdin),
                        such as the file that the pipe into split reads
      --progress        show progress on standard error (default when it is a terminal)
      --quiet           no progress and no summary
      -h, --help        show this help
      --version         show the version

    A line of 64 MiB or more is not read whole, to keep memory bounded: with
    --rejects its row is rejected, and the rejects file holds its first 1024
    bytes; without it, or when it is the header, split stops with status 65.

    exit status: 0 done, 64 usage, 65 bad input, 66 missing input,
    73 cannot create output, 74 read or write error, 130 interrupted

    examples:
      inflate name.basics.tsv.gz | split --dataset name.basics --out work/chunks/name.basics
      set -o pipefail; inflate name.basics.tsv.gz \\
        | split --dataset name.basics --stdout | load --create -
      inflate name.basics.tsv.gz \\
        | split --dataset name.basics --out work/chunks/name.basics --list-chunks \\
        | load --dataset name.basics --create --manifest -
    """,
  options: [
    OptionSpec("--dataset", takesValue: true), OptionSpec("--rows", takesValue: true),
    OptionSpec("--out", takesValue: true), OptionSpec("--stdout"), OptionSpec("--list-chunks"),
    OptionSpec("--rejects", takesValue: true), OptionSpec("--input-name", takesValue: true),
    OptionSpec("--progress"), OptionSpec("--quiet"),
  ]
)

tool.run { arguments in
  guard let name = arguments.value("--dataset") else {
    throw UsageError("missing --dataset NAME; one of \(datasetNames)")
  }
  guard let dataset = Dataset.named(name) else {
    throw UsageError("unknown dataset '\(name)'; expected one of \(datasetNames)")
  }
  let rows = try arguments.integer("--rows", default: 100_000, range: 1...100_000_000)
  let destination: SplitDestination
  switch (arguments.value("--out"), arguments.has("--stdout")) {
  case (let directory?, false):
    destination = .chunks(directory: directory, rowsPerChunk: rows)
  case (nil, true):
    destination = .standardOutput
  case (_?, true):
    throw UsageError("--out and --stdout cannot be used together")
  case (nil, false):
    throw UsageError("missing --out DIR or --stdout")
  }
  if arguments.has("--list-chunks") && arguments.has("--stdout") {
    throw UsageError("--list-chunks needs --out DIR; with --stdout there are no chunks")
  }
  guard arguments.positionals.count <= 1 else {
    throw UsageError("expected at most one input FILE, got \(arguments.positionals.count)")
  }

  let inputName = arguments.value("--input-name")
  if inputName != nil, let path = arguments.positionals.first, path != "-" {
    throw UsageError("--input-name names standard input, but FILE '\(path)' is given")
  }
  let input = try FileInput(
    path: arguments.positionals.first,
    standardInputName: inputName ?? "stdin"
  )
  let progress = ProgressLine(arguments: arguments)
  let started = Date()
  let splitter = TSVSplitter(
    dataset: dataset,
    destination: destination,
    rejectsPath: arguments.value("--rejects")
  )
  if arguments.has("--list-chunks"), case .chunks(let directory, _) = destination {
    // The list only lets a reader start early, so a reader that goes away
    // ends the list, not the split: every chunk is still written, and the
    // manifest lists them all at the end.
    var listing: FileOutput? = FileOutput.standardOutput()
    let list = { (line: String) throws in
      do {
        try listing?.write(line + "\n")
      } catch let error as SystemError where error.code == EPIPE {
        listing = nil
        tool.note("stdout: the chunk list's reader has gone; the list stops, the chunks go on")
      }
    }
    try list(Manifest.header)
    splitter.onChunk = { entry in
      var listed = entry
      listed.chunk = directory + "/" + entry.chunk
      try list(listed.line)
    }
  }
  let summary = try splitter.run(input: input) { summary in
    progress.update(
      "split: \(dataset.name): \(Measure.count(summary.rowsRead, "row")), "
        + "\(Measure.bytes(summary.bytesRead)) read, \(summary.rowsRejected) rejected"
    )
  }
  progress.finish()

  guard !arguments.has("--quiet") else { return }
  let seconds = Date().timeIntervalSince(started)
  var line =
    "\(dataset.name): \(Measure.count(summary.rowsRead, "row")) read, \(summary.rowsWritten) written, "
    + "\(summary.rowsRejected) rejected"
  if case .chunks(let directory, _) = destination {
    line += ", \(Measure.count(summary.chunks, "chunk")) in \(directory)"
  }
  line += " (\(Measure.duration(seconds)), \(Measure.rate(summary.rowsRead, seconds)) rows/s)"
  tool.note(line)
}
