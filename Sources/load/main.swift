import Datasets
import Foundation
import Loading
import StageKit

let datasetNames = Dataset.all.map(\.name).joined(separator: ", ")

let tool = Tool(
  name: "load",
  synopsis:
    "load [--dataset NAME] [--table NAME] [--create | --publish] [--staging] [--rejects FILE] "
    + "[--max-rejects N] [--jobs N] [CHUNK... | - | --manifest FILE]",
  help: """
    usage: load [--dataset NAME] [--table NAME] [--create] [--staging] [--rejects FILE]
                [--max-rejects N] [--jobs N] [CHUNK... | - | --manifest FILE]
           load [--dataset NAME] [--table NAME] --publish [--rejects FILE]

    Streams COPY text chunks (files written by split, or - for standard
    input) into a PostgreSQL table, each chunk in its own transaction.
    Standard input must be one stream as split --stdout writes it, ending
    with the end-of-data line \\. that split writes last when it succeeds.
    Without that line the writer stopped early, so load loads nothing and
    exits with status 65; it does the same when bytes follow that line. The
    transaction also records the chunk's name and SHA-256 in the table
    stageload_ledger, so a chunk already loaded into the table is skipped:
    running load again never duplicates rows. A chunk listed in a
    manifest.tsv beside it must match the SHA-256 recorded there.

    When the server rejects a row (SQLSTATE class 22, data exception, or 23,
    constraint violation), load rolls the chunk back and loads it again with
    the bad rows set aside: every good row is loaded, and each bad row is
    reported with its chunk line, source line, SQLSTATE and message.

    The connection comes from DATABASE_URL when it is set, else from libpq's
    variables (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD) and ~/.pgpass.

    options:
      --dataset NAME  the chunks' dataset; default: the name of the first
                      chunk's directory (with --manifest FILE, of FILE's
                      directory) when it is one, else the dataset that
                      stageload_ledger records for the chunks already in
                      --table (TABLE__staging with --staging), else
                      name.basics; required with - unless the ledger names
                      it; with --publish, the dataset recorded for the
                      chunks of TABLE__staging. One of:
                      \(datasetNames)
      --table NAME    the target table (default: the dataset with '.' as '_',
                      such as name_basics); quoted, so any name is safe
      --create        create the table (and the ledger) if missing; with no
                      CHUNK, only that
      --staging       load into TABLE__staging instead; with --create, drop and
                      recreate it empty and delete its ledger rows, starting
                      a new load
      --publish       build the primary key on TABLE__staging and swap it in as
                      TABLE in one transaction; rows with a duplicate key are
                      deleted first, all but one per key, and reported; an
                      empty TABLE__staging is not published, and TABLE is
                      left as it was; the ledger rows of TABLE are deleted
                      and those of TABLE__staging renamed to TABLE; fails
                      when TABLE__staging is missing but the ledger still
                      lists chunks for it
      --rejects FILE  append rejected rows to FILE (chunk, chunk_line,
                      source_line, sqlstate, message, row)
      --max-rejects N fail a chunk, loading none of it, when more than N of
                      its rows are rejected (0 fails the chunk at its first
                      bad row); without it there is no limit, but a chunk
                      whose every row is rejected fails
      --manifest FILE load the chunks that FILE lists, a manifest.tsv written by
                      split (chunk names relative to its directory), or - for
                      one read from standard input as it is written, as
                      split --list-chunks does (names relative to the current
                      directory); each chunk loads as soon as its line arrives
      --jobs N        load N chunks at once, each on its own connection
                      (default 1); after a failed chunk no new chunk starts
      --quiet         print errors only
      -h, --help      show this help
      --version       show the version

    exit status: 0 done (rejected rows set aside), 64 usage, 65 a chunk was refused
    or had more rejected rows than --max-rejects allows, or the staging table
    to publish is empty, or standard input did not end with the end-of-data
    line, 66 missing chunk, or neither TABLE nor TABLE__staging exists to
    publish, or TABLE__staging is missing although stageload_ledger lists
    chunks loaded into it, 69 server unreachable or access denied,
    70 any other server error, such as a table without the dataset's columns,
    73 cannot create the rejects file,
    74 read or write error,
    75 connection lost or transaction conflict (safe to retry), 130 interrupted

    examples:
      load --dataset name.basics --create work/chunks/name.basics/*.copy
      load --dataset name.basics --staging --create
      load --dataset name.basics --staging work/chunks/name.basics/*.copy
      load --dataset name.basics --publish
      set -o pipefail; split --dataset name.basics --stdout name.basics.tsv \\
        | load --dataset name.basics --create -
      split --dataset name.basics --out chunks --list-chunks name.basics.tsv \\
        | load --dataset name.basics --create --jobs 2 --manifest -
    """,
  options: [
    OptionSpec("--dataset", takesValue: true), OptionSpec("--table", takesValue: true),
    OptionSpec("--create"), OptionSpec("--staging"), OptionSpec("--publish"),
    OptionSpec("--rejects", takesValue: true),
    OptionSpec("--max-rejects", takesValue: true), OptionSpec("--manifest", takesValue: true),
    OptionSpec("--jobs", takesValue: true), OptionSpec("--quiet"),
  ]
)

/// Returns the dataset that --dataset names, or nil without the option.
func namedDataset(_ arguments: Arguments) throws -> Dataset? {
  guard let name = arguments.value("--dataset") else { return nil }
  guard let dataset = Dataset.named(name) else {
    throw UsageError("unknown dataset '\(name)'; expected one of \(datasetNames)")
  }
  return dataset
}

/// Returns the dataset named by the option, else by the directory of
/// `firstChunk`, else by the ledger's rows for the table that --table
/// names, else name.basics.
///
/// Standard input has no directory, and a guessed dataset would create a
/// table of the wrong shape, so for `-` the guess is a usage error.
///
/// `firstChunk` is the first chunk named on the command line, the first
/// chunk that a standard-input manifest lists, or, for a manifest file, the
/// manifest itself, whose chunks sit beside it. The ledger is read from
/// TABLE__staging with --staging, before --create empties it.
func chooseDataset(_ arguments: Arguments, firstChunk: String?) throws -> Dataset {
  if let dataset = try namedDataset(arguments) { return dataset }
  if let chunk = firstChunk, chunk != "-" {
    let directory = URL(fileURLWithPath: chunk).deletingLastPathComponent().lastPathComponent
    if let dataset = Dataset.named(directory) { return dataset }
  }
  // Without --table the table name comes from the dataset, so the ledger
  // can identify the dataset only of a table named on the command line.
  if let table = arguments.value("--table") {
    let target = arguments.has("--staging") ? Publisher.stagingName(of: table) : table
    let connection = try Connection.fromEnvironment()
    if let dataset = try Ledger.dataset(of: target, connection: connection) { return dataset }
  }
  if firstChunk == "-" {
    throw UsageError(
      "standard input does not name its dataset; pass --dataset, one of \(datasetNames)"
    )
  }
  return Dataset.nameBasics
}

/// Reads standard input to its end and discards it.
///
/// A load that fails while it reads a manifest from a pipe calls this
/// before it exits, so that the writer, such as `split --list-chunks`,
/// finishes instead of failing on a broken pipe. A terminal is left alone.
func drainStandardInput() {
  guard isatty(STDIN_FILENO) == 0, let input = try? FileInput(path: "-") else { return }
  let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 1)
  defer { buffer.deallocate() }
  while let count = try? input.read(into: buffer), count > 0 {}
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

/// Publishes the staging table of `table` and reports keys it had to drop.
func publish(
  connection: Connection,
  dataset: Dataset?,
  table: String,
  rejectsPath: String?,
  quiet: Bool
) throws {
  let publisher = Publisher(
    connection: connection,
    dataset: dataset,
    tableName: table,
    rejectsPath: rejectsPath
  )
  let outcome = try publisher.publish()
  guard !quiet else { return }
  switch outcome {
  case .nothingToPublish:
    tool.note("\(table): no staging table to publish; it was published already")
  case .published(let rows, let key, let duplicates):
    var line =
      "\(table): published \(Measure.count(rows, "row")) with primary key "
      + "(\(key.joined(separator: ", ")))"
    if !duplicates.isEmpty {
      line += "; \(Measure.count(duplicates.count, "row")) with a duplicate key rejected"
      line += rejectsPath.map { " (\($0))" } ?? ""
    }
    tool.note(line)
  }
}

/// Returns the lines that report one chunk's outcome.
func describe(
  _ outcome: ChunkOutcome,
  of job: ChunkJob,
  into target: String,
  seconds: Double,
  rejectsPath: String?
) -> [String] {
  let name = job.path == "-" ? "stdin" : job.path
  switch outcome {
  case .loaded(let rows, let rejected):
    var line = "\(name): loaded \(Measure.count(rows, "row")) into \(target)"
    if !rejected.isEmpty {
      line += ", \(rejected.count) rejected (\(rejectsPath ?? "use --rejects FILE to keep them"))"
    }
    var lines = [line + " (\(Measure.duration(seconds)))"]
    for row in rejected.prefix(rejectsPath == nil ? 10 : 0) {
      lines.append(
        "\(name): line \(row.chunkLine ?? 0): \(row.message) (SQLSTATE \(row.sqlState)); not loaded"
      )
    }
    return lines
  case .alreadyLoaded(let rows):
    return ["\(name): already loaded into \(target) (\(Measure.count(rows, "row"))); skipped"]
  }
}

/// Checks the table name that `dataset` and the options give, and returns it.
func chooseTable(_ arguments: Arguments, dataset: Dataset) throws -> String {
  let table = arguments.value("--table") ?? dataset.defaultTableName
  guard !table.isEmpty else { throw UsageError("--table must not be empty") }
  // PostgreSQL cuts names at 63 bytes, and load derives TABLE__staging,
  // TABLE__old and their _pkey indexes from the name; longer names would
  // collide after the cut.
  guard table.utf8.count <= Publisher.maximumTableNameLength else {
    throw UsageError(
      "table name '\(table)' is \(table.utf8.count) bytes; at most "
        + "\(Publisher.maximumTableNameLength) are allowed"
    )
  }
  return table
}

func parseMaximumRejects(_ arguments: Arguments) throws -> Int? {
  try arguments.value("--max-rejects").map { _ in
    try arguments.integer("--max-rejects", default: 0, range: 0...Int(Int32.max))
  }
}

func parseJobs(_ arguments: Arguments) throws -> Int {
  try arguments.integer("--jobs", default: 1, range: 1...64)
}

/// Creates or checks the target table and starts the workers that load
/// into it.
///
/// - Returns: The pool and the name of the table the chunks go to.
func startLoad(
  _ arguments: Arguments,
  dataset: Dataset,
  table: String
) throws -> (pool: ParallelLoad, target: String) {
  let quiet = arguments.has("--quiet")
  let rejectsPath = arguments.value("--rejects")
  let maximumRejects = try parseMaximumRejects(arguments)
  let jobs = try parseJobs(arguments)

  let target = arguments.has("--staging") ? Publisher.stagingName(of: table) : table
  let settings = (maximumRejects: maximumRejects, rejectsPath: rejectsPath)
  let makeLoader = { @Sendable in
    let loader = try CopyLoader(
      connection: try Connection.fromEnvironment(),
      dataset: dataset,
      tableName: target
    )
    loader.maximumRejects = settings.maximumRejects
    loader.rejectsPath = settings.rejectsPath
    return loader
  }
  let loader = try makeLoader()
  if arguments.has("--staging") && arguments.has("--create") {
    try loader.recreate()
  } else {
    try loader.prepare(createTable: arguments.has("--create"))
  }

  let reporter = tool
  let pool = try ParallelLoad(
    jobs: jobs,
    makeLoader: makeLoader,
    report: { report in
      guard !quiet, case .finished(let job, let outcome, let seconds) = report else { return }
      for line in describe(
        outcome,
        of: job,
        into: target,
        seconds: seconds,
        rejectsPath: rejectsPath
      ) {
        reporter.note(line)
      }
    }
  )
  return (pool, target)
}

/// Runs load with parsed arguments.
func runLoad(_ arguments: Arguments) throws {
  let chunks = arguments.positionals
  let manifest = arguments.value("--manifest")
  guard
    !chunks.isEmpty || manifest != nil || arguments.has("--create")
      || arguments.has("--publish")
  else {
    throw UsageError(
      "no chunk given; name chunk files, - for standard input, --manifest, --create or --publish"
    )
  }
  if arguments.has("--publish") && (!chunks.isEmpty || manifest != nil || arguments.has("--create"))
  {
    throw UsageError("--publish takes no chunk and no --create; run it after the last chunk")
  }
  if manifest != nil && !chunks.isEmpty {
    throw UsageError("--manifest lists the chunks; name no chunk files with it")
  }
  if chunks.contains("-") && chunks.count > 1 {
    throw UsageError("- (standard input) cannot be combined with chunk files")
  }
  let quiet = arguments.has("--quiet")
  // Checked before anything is read or connected, although a manifest on
  // standard input starts the load only at its first line.
  _ = try parseMaximumRejects(arguments)
  _ = try parseJobs(arguments)
  if arguments.value("--dataset") != nil || arguments.value("--table") != nil {
    _ = try chooseTable(arguments, dataset: try namedDataset(arguments) ?? .nameBasics)
  }

  if arguments.has("--publish") {
    // Without --dataset the publisher reads the dataset from the ledger.
    let dataset = try namedDataset(arguments)
    let table = try chooseTable(arguments, dataset: dataset ?? .nameBasics)
    try publish(
      connection: try Connection.fromEnvironment(),
      dataset: dataset,
      table: table,
      rejectsPath: arguments.value("--rejects"),
      quiet: quiet
    )
    return
  }

  let started = Date()
  var load: (pool: ParallelLoad, target: String)?
  /// Returns the running load, starting it for the dataset of `firstChunk`
  /// when this is the first call.
  func running(firstChunk: String?) throws -> (pool: ParallelLoad, target: String) {
    if let load { return load }
    let dataset = try chooseDataset(arguments, firstChunk: firstChunk)
    let started = try startLoad(
      arguments,
      dataset: dataset,
      table: try chooseTable(arguments, dataset: dataset)
    )
    load = started
    return started
  }

  var listed = 0
  if let manifest {
    // Chunk names in a manifest file are relative to its directory, and
    // its directory names the dataset. On standard input they are relative
    // to the current directory, and the load starts at the first line,
    // whose chunk's directory names the dataset.
    var directory = ""
    if manifest != "-" {
      directory = URL(fileURLWithPath: manifest).deletingLastPathComponent().path + "/"
      _ = try running(firstChunk: manifest)
    }
    let input = try FileInput(path: manifest)
    do {
      try Manifest.forEachEntry(in: input) { entry in
        let path = entry.chunk.hasPrefix("/") ? entry.chunk : directory + entry.chunk
        try running(firstChunk: path).pool.add(ChunkJob(path: path, manifestEntry: entry))
        listed += 1
      }
    } catch {
      _ = load?.pool.finish()
      throw error
    }
  } else {
    let pool = try running(firstChunk: chunks.first).pool
    let entries = manifestEntries(of: chunks)
    for chunk in chunks {
      pool.add(ChunkJob(path: chunk, manifestEntry: entries[chunk]))
    }
    listed = chunks.count
  }
  // A manifest without entries still creates or checks the table.
  let (pool, target) = try running(firstChunk: nil)
  let totals = pool.finish()
  if let failure = totals.failures.first {
    for other in totals.failures.dropFirst() {
      tool.note((other as? StageError)?.description ?? "\(other)")
    }
    if totals.droppedChunks > 0 && !quiet {
      let chunks = Measure.count(totals.droppedChunks, "chunk")
      tool.note("\(chunks) not loaded after the failure below")
    }
    throw failure
  }

  if listed > 1 && !quiet {
    let seconds = Date().timeIntervalSince(started)
    tool.note(
      "\(target): \(Measure.count(totals.loadedRows, "row")) from "
        + "\(Measure.count(totals.loadedChunks, "chunk")) loaded, \(totals.rejectedRows) rejected, "
        + "\(Measure.count(totals.skippedChunks, "chunk")) already loaded "
        + "(\(Measure.duration(seconds)), \(Measure.rate(totals.loadedRows, seconds)) rows/s)"
    )
  }
}

tool.run { arguments in
  do {
    try runLoad(arguments)
  } catch let error where !(error is UsageError) && arguments.value("--manifest") == "-" {
    drainStandardInput()
    throw error
  }
}
