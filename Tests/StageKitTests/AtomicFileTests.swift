import Foundation
import Glibc
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

  @Test("symbolic link is followed, not replaced")
  func symbolicLinkFollowed() throws {
    let target = directory + "/target.txt"
    let link = directory + "/link.txt"
    try Data("old\n".utf8).write(to: URL(fileURLWithPath: target))
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "target.txt")
    let file = try AtomicFile(path: link)
    try file.output.write("new\n")
    try file.commit()
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "target.txt")
    #expect(FileManager.default.contents(atPath: target) == Data("new\n".utf8))
  }

  @Test("device is written in place", .enabled(if: getuid() == 0, "mknod needs root"))
  func deviceWrittenInPlace() throws {
    // A private null device (major 1, minor 3, encoded as major << 8 | minor
    // as the kernel reads small numbers), so that a regression
    // replaces this node and not the system's /dev/null.
    let device = directory + "/null"
    #expect(mknod(device, S_IFCHR | 0o666, 1 << 8 | 3) == 0)
    let file = try AtomicFile(path: device)
    #expect(file.isDirect)
    try file.output.write("discarded\n")
    try file.commit()
    var status = stat()
    #expect(stat(device, &status) == 0)
    #expect(status.st_mode & S_IFMT == S_IFCHR)
    #expect(!FileManager.default.fileExists(atPath: device + ".part"))
  }

  @Test("FIFO target is written in place")
  func fifoTarget() throws {
    let fifo = directory + "/fifo"
    #expect(mkfifo(fifo, 0o644) == 0)
    #expect(AtomicFile.target(for: fifo) == .direct(fifo))
    #expect(AtomicFile.target(for: directory + "/missing") == .file(directory + "/missing"))
  }
}
