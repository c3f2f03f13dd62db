import Foundation
import StageKit

/// Writes COPY text into numbered chunk files in one directory, each
/// created atomically, and records them in a manifest.
///
/// Chunk files are `000001.copy`, `000002.copy` and so on. Each chunk,
/// once complete, is synced to disk by a `ChunkSyncQueue` while split goes
/// on. `finish()` waits for those syncs, then writes `chunks.mk`, a
/// makefile line naming the chunks, and then `manifest.tsv`. The manifest
/// appears last, so its presence means the whole set is there and durable;
/// a crash before the manifest leaves chunks that no manifest lists, and
/// the next split deletes them.
///
/// With `WriteBehind`, `write(_:)` and `endChunk` run on the writer thread;
/// the splitting thread reads `manifest` only after `WriteBehind.drain()`.
final class ChunkWriter: ByteSink, @unchecked Sendable {
  let directory: String
  let datasetName: String
  private(set) var manifest = Manifest()
  /// A handler for each chunk's manifest entry, called as soon as the chunk
  /// file is complete under its final name (not yet synced to disk).
  var onChunk: ((Manifest.Entry) throws -> Void)?
  /// The open chunk file and its name.
  private var current: (file: AtomicFile, name: String)?
  private var digest = SHA256()
  private let syncQueue = ChunkSyncQueue()

  /// Prepares `directory`: creates it when missing and removes the chunk
  /// files, manifest and makefile fragment of an earlier split.
  init(directory: String, datasetName: String) throws {
    self.directory = directory
    self.datasetName = datasetName
    let files = FileManager.default
    try Directory.create(directory)
    for name in (try? files.contentsOfDirectory(atPath: directory)) ?? [] {
      let isOurs =
        name.hasSuffix(".copy") || name.hasSuffix(".copy.part") || name == Manifest.fileName
        || name == "chunks.mk"
      if isOurs { try? files.removeItem(atPath: directory + "/" + name) }
    }
  }

  /// Appends bytes to the current chunk, opening the next chunk file first
  /// when none is open.
  func write(_ bytes: UnsafeRawBufferPointer) throws {
    guard bytes.count > 0 else { return }
    let file: AtomicFile
    if let current {
      file = current.file
    } else {
      let name = Self.chunkName(number: manifest.entries.count + 1)
      file = try AtomicFile(path: directory + "/" + name)
      current = (file, name)
      digest = SHA256()
    }
    try file.output.write(bytes)
    digest.update(bytes)
  }

  /// Commits the current chunk file and adds its manifest entry.
  func endChunk(firstLine: Int, lastLine: Int, rows: Int) throws {
    guard let (file, name) = current else { return }
    try file.commit(durable: false)
    syncQueue.sync(path: file.path)
    let entry = Manifest.Entry(
      chunk: name,
      firstLine: firstLine,
      rows: rows,
      sha256: digest.finalizeHex(),
      lastLine: lastLine
    )
    manifest.entries.append(entry)
    current = nil
    try onChunk?(entry)
  }

  /// Waits until every chunk is on disk, then writes `chunks.mk` and then
  /// `manifest.tsv`, each atomically.
  func finish() throws {
    try syncQueue.waitForAll()
    let numbers = manifest.entries.map { $0.chunk.replacingOccurrences(of: ".copy", with: "") }
    let makefile =
      "# Chunks of \(datasetName) written by split; read by the Makefile's load phase.\n"
      + "\(datasetName).chunks := \(numbers.joined(separator: " "))\n"
    try Self.writeAtomically(makefile, to: directory + "/chunks.mk")
    try Self.writeAtomically(manifest.text, to: directory + "/" + Manifest.fileName)
  }

  /// Returns the file name of chunk `number`: `000001.copy` for 1.
  static func chunkName(number: Int) -> String {
    let digits = String(number)
    return String(repeating: "0", count: max(0, 6 - digits.count)) + digits + ".copy"
  }

  private static func writeAtomically(_ text: String, to path: String) throws {
    let file = try AtomicFile(path: path)
    try file.output.write(text)
    try file.commit()
  }
}
