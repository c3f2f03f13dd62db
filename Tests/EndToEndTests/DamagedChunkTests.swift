import Foundation
import Testing

/// A chunk file damaged before the load stage reaches it: load rejects it,
/// make deletes the manifest, and the next make splits again instead of
/// loading the damaged bytes.
@Suite(.serialized, .enabled(if: Harness.isAvailable || Harness.isRequired))
struct DamagedChunkTests {
  @Test("damaged chunk is split again, not loaded")
  func damagedChunkIsSplitAgain() throws {
    guard Harness.checkAvailable() else { return }
    let setup = try MainJobTests.Setup()
    let manifest = setup.work + "/chunks/name.basics/manifest.tsv"
    let split = try setup.make(["CHUNK_ROWS=100", manifest])
    #expect(split.status == 0, "\(split.transcript)")

    // Change one letter of chunk 4 in place, keeping its size and time,
    // as a bad disk sector would.
    let chunk = setup.work + "/chunks/name.basics/000004.copy"
    let attributes = try FileManager.default.attributesOfItem(atPath: chunk)
    var bytes = try Data(contentsOf: URL(fileURLWithPath: chunk))
    let letter = try #require(bytes.firstIndex(of: UInt8(ascii: "a")))
    bytes[letter] = UInt8(ascii: "b")
    try bytes.write(to: URL(fileURLWithPath: chunk))
    try FileManager.default.setAttributes(
      [.modificationDate: attributes[.modificationDate] as Any],
      ofItemAtPath: chunk
    )
    // The split step loads chunks as they are written and marks them. Chunk
    // 4's marker is taken away, as if that early load had failed on it, so
    // that the load stage reads the damaged file.
    try FileManager.default.removeItem(atPath: setup.work + "/loaded/name.basics/000004.ok")

    let failed = try setup.make(["CHUNK_ROWS=100", "-j2"])
    #expect(failed.status != 0, "\(failed.transcript)")
    #expect(
      failed.standardError.contains(
        "000004.copy: chunk does not match the SHA-256 in its manifest"
      ),
      "\(failed.transcript)"
    )
    #expect(failed.standardError.contains("] Error 65"), "\(failed.transcript)")
    #expect(
      failed.standardError.contains("so the next make splits name.basics again"),
      "\(failed.transcript)"
    )
    #expect(!FileManager.default.fileExists(atPath: manifest))
    #expect(try setup.database.scalar("SELECT to_regclass('name_basics') IS NULL") == "t")

    let rerun = try setup.make(["CHUNK_ROWS=100", "-j2"])
    #expect(rerun.status == 0, "\(rerun.transcript)")
    #expect(
      rerun.standardError.contains("split: name.basics: 999 rows read"),
      "\(rerun.transcript)"
    )
    let source = try String(contentsOfFile: MainJobTests.sample, encoding: .utf8)
      .split(separator: "\n").dropFirst().map(String.init).sorted()
    #expect(try MainJobTests.exportAsSource(setup.database, table: "name_basics") == source)
    #expect(try setup.database.scalar("SELECT count(*) FROM stageload_ledger") == "10")
  }
}
