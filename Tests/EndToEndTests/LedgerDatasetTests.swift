import Foundation
import Testing

/// load without --dataset, on chunks outside a dataset directory: the
/// dataset comes from the ledger's rows for the target table.
@Suite(.serialized, .enabled(if: Harness.isAvailable || Harness.isRequired))
struct LedgerDatasetTests {
  /// Writes title.ratings chunks, one per list of rows, in a directory
  /// that names no dataset, and returns their paths.
  static func writeRatingsChunks(_ chunks: [[String]]) throws -> [String] {
    let directory = try Harness.temporaryDirectory("ledger-dataset")
    return try chunks.enumerated().map { index, rows in
      let path = directory + "/00000\(index + 1).copy"
      try Data(rows.map { $0 + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: path))
      return path
    }
  }

  static let ratings = [["tt1\t7.5\t10", "tt2\t8.1\t20"], ["tt3\t6.0\t5"]]

  /// Loads `ratings` as title.ratings chunks into `ratings__staging`.
  static func loadRatingsIntoStaging(_ database: TestDatabase) throws {
    let chunks = try writeRatingsChunks(ratings)
    let load = try database.runLoad(
      ["--dataset", "title.ratings", "--table", "ratings", "--staging", "--create"] + chunks
    )
    #expect(load.status == 0, "\(load.transcript)")
  }

  @Test("publish takes the dataset from the ledger")
  func publish() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    try Self.loadRatingsIntoStaging(database)

    let result = try database.runLoad(["--table", "ratings", "--publish"])
    #expect(result.status == 0, "\(result.transcript)")
    #expect(
      result.standardError == "load: ratings: published 3 rows with primary key (tconst)\n"
    )
    #expect(try database.scalar("SELECT sum(num_votes) FROM ratings") == "35")
  }

  @Test("staging load takes the dataset from the ledger")
  func stagingLoad() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let chunks = try Self.writeRatingsChunks(Self.ratings)
    let first = try database.runLoad([
      "--dataset", "title.ratings", "--table", "ratings", "--staging", "--create", chunks[0],
    ])
    #expect(first.status == 0, "\(first.transcript)")

    let second = try database.runLoad(["--table", "ratings", "--staging", chunks[1]])
    #expect(second.status == 0, "\(second.transcript)")
    #expect(try database.scalar("SELECT count(*) FROM ratings__staging") == "3")
    #expect(
      try database.scalar("SELECT string_agg(DISTINCT dataset, ',') FROM stageload_ledger")
        == "title.ratings"
    )
  }

  @Test("direct load takes the dataset from the ledger")
  func directLoad() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let chunks = try Self.writeRatingsChunks(Self.ratings)
    let first = try database.runLoad([
      "--dataset", "title.ratings", "--table", "ratings", "--create", chunks[0],
    ])
    #expect(first.status == 0, "\(first.transcript)")

    let second = try database.runLoad(["--table", "ratings", chunks[1]])
    #expect(second.status == 0, "\(second.transcript)")
    #expect(try database.scalar("SELECT count(*) FROM ratings") == "3")
  }

  @Test("ledger with two datasets fails publish")
  func twoDatasets() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    try Self.loadRatingsIntoStaging(database)
    _ = try database.query(
      "UPDATE stageload_ledger SET dataset = 'title.basics' WHERE chunk = '000002.copy'"
    )

    let result = try database.runLoad(["--table", "ratings", "--publish"])
    #expect(result.status == 65, "\(result.transcript)")
    #expect(
      result.standardError
        == "load: ratings__staging: stageload_ledger lists chunks of several datasets "
        + "(title.basics, title.ratings); pass --dataset\n"
    )
    #expect(try database.scalar("SELECT to_regclass('ratings') IS NULL") == "t")
  }

  @Test("ledger without chunks fails publish")
  func noLedgerRows() throws {
    guard Harness.checkAvailable() else { return }
    let database = try TestDatabase()
    let create = try database.runLoad([
      "--dataset", "title.ratings", "--table", "ratings", "--staging", "--create",
    ])
    #expect(create.status == 0, "\(create.transcript)")
    _ = try database.query("INSERT INTO ratings__staging VALUES ('tt1', 7.5, 10)")

    let result = try database.runLoad(["--table", "ratings", "--publish"])
    #expect(result.status == 64, "\(result.transcript)")
    #expect(
      result.standardError
        == "load: ratings__staging: the dataset is unknown, because stageload_ledger lists "
        + "no chunk loaded into it; pass --dataset\n"
    )
    #expect(try database.scalar("SELECT to_regclass('ratings') IS NULL") == "t")
  }
}
