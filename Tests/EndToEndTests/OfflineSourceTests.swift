import Foundation
import Glibc
import Testing

/// make with its default SOURCE, IMDb's site, when that cannot be reached,
/// and the bundled excerpts it then suggests.
@Suite(.serialized, .enabled(if: Harness.isAvailable || Harness.isRequired))
struct OfflineSourceTests {
  static let hint =
    "is out of reach; without network, make SOURCE='Tests/Fixtures/$(dataset).sample.tsv.gz' "
    + "loads the excerpts bundled with stageload"

  /// Returns a loopback URL whose port refuses connections: a port the
  /// kernel handed out and that is closed again.
  static func refusingURL() throws -> String {
    let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socketFD >= 0 else { throw HarnessError("socket failed") }
    defer { close(socketFD) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
        bind(socketFD, generic, length) == 0 && getsockname(socketFD, generic, &length) == 0
      }
    }
    guard bound else { throw HarnessError("bind failed") }
    return "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
  }

  func make(_ arguments: [String], database: TestDatabase) throws -> ProcessOutput {
    let work = try Harness.temporaryDirectory("offline") + "/work"
    return try run(
      ["make", "--no-print-directory", "-C", Harness.projectRoot, "WORK=\(work)"] + arguments,
      environment: database.environment
    )
  }

  @Test("unreachable default source suggests the excerpts")
  func unreachableDefaultSource() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let base = try Self.refusingURL()
    let result = try make(
      ["IMDB_BASE_URL=\(base)", "FETCH_OPTIONS=--retries 0"],
      database: database
    )
    #expect(result.status != 0, "\(result.transcript)")
    #expect(result.standardError.contains("connection refused"), "\(result.transcript)")
    #expect(result.standardError.contains("make: \(base) \(Self.hint)"), "\(result.transcript)")
  }

  @Test("unreachable given source has no hint")
  func unreachableGivenSource() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let base = try Self.refusingURL()
    let result = try make(
      ["SOURCE=\(base)/name.basics.tsv.gz", "FETCH_OPTIONS=--retries 0"],
      database: database
    )
    #expect(result.status != 0, "\(result.transcript)")
    #expect(result.standardError.contains("connection refused"), "\(result.transcript)")
    #expect(!result.standardError.contains(Self.hint), "\(result.transcript)")
  }

  @Test("bundled excerpts load every dataset")
  func bundledExcerptsLoad() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let result = try make(
      ["-j2", "DATASETS=all", "SOURCE=Tests/Fixtures/$(dataset).sample.tsv.gz"],
      database: database
    )
    #expect(result.status == 0, "\(result.transcript)")
    let datasets = [
      "name.basics", "title.basics", "title.akas", "title.crew", "title.episode",
      "title.principals", "title.ratings",
    ]
    for dataset in datasets {
      let text = try String(
        contentsOfFile: Harness.fixtures + "/\(dataset).sample.tsv",
        encoding: .utf8
      )
      let rows = text.split(separator: "\n").count - 1
      let table = dataset.replacingOccurrences(of: ".", with: "_")
      #expect(try database.scalar("SELECT count(*) FROM \(table)") == String(rows), "\(dataset)")
    }
  }
}
