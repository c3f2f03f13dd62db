import Datasets
import Foundation
import Loading
import StageKit

let datasetNames = Dataset.all.map(\.name).joined(separator: ", ")

let tool = Tool(
  name: "load",
  synopsis: "load [--dataset NAME] [--table NAME] [--create] [CHUNK... | -]",
  help: """
    usage: load [--dataset NAME] [--table NAME] [--create] [CHUNK... | -]

    Streams COPY text chunks (files written by split, or - for standard
    input) into a PostgreSQL table, each chunk in its own transaction. The
    transaction also records the chunk's name and SHA-256 in the table
    stageload_ledger, so a chunk already loaded into the table is skipped:
    running load again never duplicates rows. A chunk listed in a
    manifest.tsv beside it must match the SHA-256 recorded there.

    The connection comes from DATABASE_URL when it is set, else from libpq's
    variables (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD) and ~/.pgpass.

    options:
      --dataset NAME  the chunks' dataset (\(datasetNames)); default: the
                      name of the chunks' directory when it is one, else
                      name.basics
      --table NAME    the target table (default: the dataset with '.' as '_',
                      such as name_basics); quoted, so any name is safe
      --create        create the table (and the ledger) if missing; with no
                      CHUNK, only that
      --quiet         print errors only
      -h, --help      show this help
      --version       show the version

    exit status: 0 done, 64 usage, 65 a row or chunk was rejected,
    66 missing chunk, 69 server unreachable or access denied,
    75 connection lost or transaction conflict (safe to retry), 130 interrupted

    examples:
      load --dataset name.basics --create work/chunks/name.basics/*.copy
      split --dataset name.basics --stdout name.basics.tsv | load --create -
    """,
  options: [
    OptionSpec("--dataset", takesValue: true), OptionSpec("--table", takesValue: true),
    OptionSpec("--create"), OptionSpec("--quiet"),
  ]
)

/// Returns the dataset named by the option, else by the first chunk's
/// directory, else name.basics.
func chooseDataset(_ arguments: Arguments) throws -> Dataset {
  if let name = arguments.value("--dataset") {
    guard let dataset = Dataset.named(name) else {
      throw UsageError("unknown dataset '\(name)'; expected one of \(datasetNames)")
    }
    return dataset
  }
  if let chunk = arguments.positionals.first, chunk != "-" {
    let directory = URL(fileURLWithPath: chunk).deletingLastPathComponent().lastPathComponent
    if let dataset = Dataset.named(directory) { return dataset }
  }
  return Dataset.nameBasics
}

/// Returns each chunk's manifest entry, keyed by chunk path.
///
/// Entries come from the manifest beside each chunk; chunks without a
/// manifest have no entry.
func manifestEntries(of chunks: [String]) -> [String: Manifest.Entry] {
  var entries: [String: Manifest.Entry] = [:]
  var manifests: [String: Manifest?] = [:]
  for chunk in chunks where chunk != "-" {
    let url = URL(fileURLWithPath: chunk)
    let directory = url.deletingLastPathComponent().path
    if manifests[directory] == nil {
      manifests[directory] = try? Manifest.read(from: directory + "/" + Manifest.fileName)
    }
    if let manifest = manifests[directory] ?? nil,
      let entry = manifest.entry(forChunk: url.lastPathComponent)
    {
      entries[chunk] = entry
    }
  }
  return entries
}

tool.run { arguments in
  let chunks = arguments.positionals
  guard !chunks.isEmpty || arguments.has("--create") else {
    throw UsageError("no chunk given; name chunk files, - for standard input, or --create")
  }
  if chunks.contains("-") && chunks.count > 1 {
    throw UsageError("- (standard input) cannot be combined with chunk files")
  }
  let dataset = try chooseDataset(arguments)
  let table = arguments.value("--table") ?? dataset.defaultTableName
  guard !table.isEmpty else { throw UsageError("--table must not be empty") }
  let quiet = arguments.has("--quiet")

  let connection = try Connection.fromEnvironment()
  let loader = try CopyLoader(connection: connection, dataset: dataset, tableName: table)
  try loader.prepare(createTable: arguments.has("--create"))

  let entries = manifestEntries(of: chunks)
  let started = Date()
  var loadedRows = 0
  var loadedChunks = 0
  var skippedChunks = 0
  for chunk in chunks {
    let chunkStarted = Date()
    let name = chunk == "-" ? "stdin" : chunk
    switch try loader.load(chunk: chunk, manifestEntry: entries[chunk]) {
    case .loaded(let rows):
      loadedRows += rows
      loadedChunks += 1
      if !quiet {
        let seconds = Date().timeIntervalSince(chunkStarted)
        tool.note("\(name): loaded \(rows) rows into \(table) (\(Measure.duration(seconds)))")
      }
    case .alreadyLoaded(let rows):
      skippedChunks += 1
      if !quiet {
        tool.note("\(name): already loaded into \(table) (\(rows) rows); skipped")
      }
    }
  }

  if chunks.count > 1 && !quiet {
    let seconds = Date().timeIntervalSince(started)
    tool.note(
      "\(table): \(loadedRows) rows from \(loadedChunks) chunks loaded, "
        + "\(skippedChunks) chunks already loaded (\(Measure.duration(seconds)), "
        + "\(Measure.rate(loadedRows, seconds)) rows/s)"
    )
  }
}
