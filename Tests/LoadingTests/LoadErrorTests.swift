import Testing

@testable import Loading

@Suite struct LoadErrorTests {
  static let rejected = RejectedRow(
    chunk: "000001.copy",
    chunkLine: 1,
    sourceLine: 2,
    sqlState: "22003",
    message: "value out of range",
    row: "nm1"
  )

  @Test("every row rejected, one row")
  func everyRowRejectedOne() {
    let error = LoadError.everyRowRejected(chunk: "000001.copy", rows: 1, first: Self.rejected)
    #expect(
      error.description
        == "chunk 000001.copy: its only row rejected for: value out of range (SQLSTATE 22003); "
        + "check --dataset and --table"
    )
  }

  @Test("every row rejected, two rows")
  func everyRowRejectedTwo() {
    let error = LoadError.everyRowRejected(chunk: "000001.copy", rows: 2, first: Self.rejected)
    #expect(
      error.description.hasPrefix(
        "chunk 000001.copy: all 2 rows rejected, the first for: value out of range"
      )
    )
  }

  @Test(
    "too many rejects names the limit",
    arguments: [(1, "1 rejected row"), (2, "2 rejected rows")]
  )
  func tooManyRejects(limit: Int, phrase: String) {
    let error = LoadError.tooManyRejects(chunk: "000001.copy", limit: limit, last: Self.rejected)
    #expect(error.description.contains("; more than \(phrase) in the chunk, so none of it"))
  }

  @Test(
    "connection hint follows the server in use",
    arguments: [
      (["DATABASE_URL": "postgres://db.example/imdb"], "check DATABASE_URL"),
      (
        ["DATABASE_URL": "postgres://db.example/imdb", "STAGELOAD_EMBEDDED_DB": "1"],
        "check DATABASE_URL"
      ),
      (["STAGELOAD_EMBEDDED_DB": "1"], "is the embedded server running? make db-start starts it"),
      (
        ["DATABASE_URL": "", "STAGELOAD_EMBEDDED_DB": "1"],
        "is the embedded server running? make db-start starts it"
      ),
      (["PGHOST": "/tmp"], "check DATABASE_URL or PGHOST"),
    ]
  )
  func connectionHint(environment: [String: String], hint: String) {
    #expect(LoadError.connectionHint(environment: environment) == hint)
  }

  @Test("lost staging table, two chunks")
  func stagingTableLostTwo() {
    let error = LoadError.stagingTableLost(table: "people", staging: "people__staging", chunks: 2)
    #expect(
      error.description
        == "people: people__staging is missing, but stageload_ledger lists 2 chunks loaded into "
        + "it, so people__staging was dropped or lost and those chunks were never published; "
        + "people was left as it was; run make to load them again"
    )
    #expect(error.exitStatus == .noInput)
  }
}
