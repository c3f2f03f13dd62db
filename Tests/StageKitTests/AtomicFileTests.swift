import Foundation
import Testing

@testable import StageKit

@Suite struct AtomicFileTests {
  let directory = FileManager.default.temporaryDirectory
    .appendingPathComponent("stageload-atomic-\(UUID().uuidString)").path

  init() throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
  }

  @Test("final name appears only on commit")
  func commitRenames() throws {
    let path = directory + "/out.txt"
    let file = try AtomicFile(path: path)
    try file.output.write("hello\n")
    #expect(!FileManager.default.fileExists(atPath: path))
    #expect(FileManager.default.fileExists(atPath: path + ".part"))
    try file.commit()
    #expect(FileManager.default.contents(atPath: path) == Data("hello\n".utf8))
    #expect(!FileManager.default.fileExists(atPath: path + ".part"))
  }

  @Test("discard leaves no file")
  func discardRemovesPart() throws {
    let path = directory + "/gone.txt"
    let file = try AtomicFile(path: path)
    try file.output.write("partial")
    file.discard()
    #expect(!FileManager.default.fileExists(atPath: path))
    #expect(!FileManager.default.fileExists(atPath: path + ".part"))
  }

  @Test("failed commit keeps old file")
  func commitOverExistingKeepsOldUntilRename() throws {
    let path = directory + "/kept.txt"
    try Data("old\n".utf8).write(to: URL(fileURLWithPath: path))
    let file = try AtomicFile(path: path)
    try file.output.write("new\n")
    #expect(FileManager.default.contents(atPath: path) == Data("old\n".utf8))
    try file.commit()
    #expect(FileManager.default.contents(atPath: path) == Data("new\n".utf8))
  }
}
