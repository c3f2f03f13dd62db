import Foundation
import Testing

/// The Makefile's checks of the variables that take a number: a bad value
/// stops make with one line before any step runs.
@Suite(.enabled(if: Harness.isAvailable || Harness.isRequired))
struct MakeVariableTests {
  /// A variable setting and the error that make must stop with.
  struct InvalidCase: CustomTestStringConvertible, Sendable {
    let setting: String
    let message: String
    var testDescription: String { setting }
  }

  static let invalidCases = [
    InvalidCase(
      setting: "LOAD_JOBS=abc",
      message: "LOAD_JOBS: invalid value 'abc'; expected an integer from 0 to 64"
    ),
    InvalidCase(
      setting: "LOAD_JOBS=65",
      message: "LOAD_JOBS: invalid value '65'; expected an integer from 0 to 64"
    ),
    // Too long for 64-bit arithmetic: must not wrap around into the range.
    InvalidCase(
      setting: "LOAD_JOBS=18446744073709551617",
      message: "LOAD_JOBS: invalid value '18446744073709551617'; expected an integer from 0 to 64"
    ),
    InvalidCase(
      setting: "LOAD_JOBS=1 2",
      message: "LOAD_JOBS: invalid value '1 2'; expected an integer from 0 to 64"
    ),
    InvalidCase(
      setting: "CHUNK_ROWS=abc",
      message: "CHUNK_ROWS: invalid value 'abc'; expected an integer from 1 to 100000000"
    ),
    InvalidCase(
      setting: "CHUNK_ROWS=0",
      message: "CHUNK_ROWS: invalid value '0'; expected an integer from 1 to 100000000"
    ),
    InvalidCase(
      setting: "CHUNK_ROWS=",
      message: "CHUNK_ROWS: invalid value ''; expected an integer from 1 to 100000000"
    ),
    InvalidCase(
      setting: "MAX_REJECTS=-1",
      message: "MAX_REJECTS: invalid value '-1'; expected an integer from 0 to 2147483647, "
        + "or empty for no limit"
    ),
    InvalidCase(
      setting: "MAX_REJECTS=2147483648",
      message: "MAX_REJECTS: invalid value '2147483648'; expected an integer from 0 to "
        + "2147483647, or empty for no limit"
    ),
    InvalidCase(
      setting: "BENCH_ROWS=0",
      message: "BENCH_ROWS: invalid value '0'; expected an integer of at least 1"
    ),
    InvalidCase(
      setting: "BENCH_RUNS=two",
      message: "BENCH_RUNS: invalid value 'two'; expected an integer of at least 1"
    ),
    InvalidCase(
      setting: "BENCH_SEED=-1",
      message: "BENCH_SEED: invalid value '-1'; expected an integer of at least 0"
    ),
    InvalidCase(
      setting: "FAULT_ROUNDS=0",
      message: "FAULT_ROUNDS: invalid value '0'; expected an integer of at least 1"
    ),
    InvalidCase(
      setting: "EMBEDDED_PGPORT=65536",
      message: "EMBEDDED_PGPORT: invalid value '65536'; expected an integer from 1 to 65535"
    ),
  ]

  /// Runs make's default goal with `arguments` added, in a new WORK and
  /// on a new database, so that a value that slips through loads nothing
  /// into a database that other tests use.
  static func make(
    _ arguments: [String],
    environment: [String: String] = [:]
  ) throws -> (result: ProcessOutput, work: String) {
    let work = try Harness.temporaryDirectory("variables") + "/work"
    let database = try TestDatabase()
    let result = try run(
      [
        "make", "--no-print-directory", "-C", Harness.projectRoot, "WORK=\(work)",
        "SOURCE=\(Harness.fixtures)/name.basics.sample.tsv.gz",
      ] + arguments,
      environment: database.environment.merging(environment) { _, new in new }
    )
    return (result, work)
  }

  @Test("invalid value stops make first", arguments: invalidCases)
  func invalidValue(_ invalid: InvalidCase) throws {
    guard Harness.checkAvailable() else { return }
    let (result, work) = try Self.make([invalid.setting])
    #expect(result.status == 2, "\(result.transcript)")
    #expect(
      result.standardError.contains("*** \(invalid.message).  Stop.\n"),
      "\(result.transcript)"
    )
    #expect(result.standardError.split(separator: "\n").count == 1, "\(result.transcript)")
    // Nothing ran: no build, fetch or split output and no spool.
    #expect(result.standardOutput.isEmpty, "\(result.transcript)")
    #expect(!FileManager.default.fileExists(atPath: work))
  }

  @Test("invalid value in the environment stops make")
  func invalidEnvironmentValue() throws {
    guard Harness.checkAvailable() else { return }
    let (result, work) = try Self.make([], environment: ["LOAD_JOBS": "abc"])
    #expect(result.status == 2, "\(result.transcript)")
    #expect(
      result.standardError.contains(
        "LOAD_JOBS: invalid value 'abc'; expected an integer from 0 to 64"
      ),
      "\(result.transcript)"
    )
    #expect(!FileManager.default.fileExists(atPath: work))
  }

  @Test(
    "valid values pass the check",
    arguments: [
      "LOAD_JOBS=0", "LOAD_JOBS=64", "LOAD_JOBS=007", "CHUNK_ROWS=1", "CHUNK_ROWS=100000000",
      "MAX_REJECTS=", "MAX_REJECTS=0", "MAX_REJECTS=2147483647",
      "BENCH_ROWS=123456789012345678901234567890", "BENCH_SEED=0", "EMBEDDED_PGPORT=65535",
    ]
  )
  func validValue(_ setting: String) throws {
    let result = try run([
      "make", "--no-print-directory", "-C", Harness.projectRoot, "help", setting,
    ])
    #expect(result.status == 0, "\(result.transcript)")
    #expect(result.standardError.isEmpty, "\(result.transcript)")
  }
}
