import Foundation
import Glibc
import StageKit
import Testing

@Suite struct DirectoryTests {
  let root: String

  init() throws {
    root =
      FileManager.default.temporaryDirectory
      .appendingPathComponent("stageload-directory-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    FileManager.default.createFile(atPath: root + "/file", contents: Data())
  }

  func isDirectory(_ path: String) -> Bool {
    var flag: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
  }

  @Test("creates missing parents")
  func createsParents() throws {
    try Directory.create(root + "/a/b/c/")
    #expect(isDirectory(root + "/a/b/c"))
  }

  @Test("accepts an existing directory")
  func acceptsExisting() throws {
    try Directory.create(root)
    #expect(isDirectory(root))
  }

  @Test("regular file is not a directory", arguments: ["/file", "/file/sub", "/file/sub/deeper"])
  func regularFile(suffix: String) {
    let error = #expect(throws: SystemError.self) {
      try Directory.create(root + suffix)
    }
    #expect(error?.operation == "cannot create directory")
    #expect(error?.path == root + suffix)
    #expect(error?.code == ENOTDIR)
  }

  @Test("message gives the real reason")
  func message() {
    let error = SystemError("cannot create directory", path: root + "/file", code: ENOTDIR)
    #expect(error.description == "\(root)/file: cannot create directory: Not a directory")
    #expect(error.exitStatus == .cannotCreate)
  }
}
