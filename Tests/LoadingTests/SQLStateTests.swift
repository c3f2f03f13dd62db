import StageKit
import Testing

@testable import Loading

@Suite struct SQLStateTests {
  @Test(
    "exit status per SQLSTATE",
    arguments: [
      ("22P02", StageKit.ExitStatus.dataError),  // invalid_text_representation
      ("23505", .dataError),  // unique_violation
      ("08006", .temporaryFailure),  // connection_failure
      ("40001", .temporaryFailure),  // serialization_failure
      ("57P01", .temporaryFailure),  // admin_shutdown
      ("28P01", .unavailable),  // invalid_password
      ("3D000", .unavailable),  // invalid_catalog_name
      ("42501", .unavailable),  // insufficient_privilege
      ("42P01", .software),  // undefined_table
      ("42703", .software),  // undefined_column
      ("42804", .software),  // datatype_mismatch
      ("42601", .software),  // syntax_error
      ("XX000", .software),  // internal_error
    ] as [(String, StageKit.ExitStatus)]
  )
  func exitStatus(sqlState: String, status: StageKit.ExitStatus) {
    #expect(LoadError.exitStatus(forSQLState: sqlState) == status)
  }

  @Test("undefined column names the options to check")
  func undefinedColumnMessage() {
    let error = LoadError.server(
      subject: "000001.copy",
      sqlState: "42703",
      message: "column \"nconst\" of relation \"t\" does not exist",
      hint: nil
    )
    #expect(
      error.description
        == "000001.copy: column \"nconst\" of relation \"t\" does not exist (SQLSTATE 42703); "
        + "the table does not have the dataset's columns; check --dataset and --table"
    )
  }

  @Test("undefined table suggests --create")
  func undefinedTableMessage() {
    let error = LoadError.server(
      subject: "000001.copy",
      sqlState: "42P01",
      message: "relation \"t\" does not exist",
      hint: nil
    )
    #expect(error.description.hasSuffix("; check --table, or pass --create to create the table"))
  }

  @Test("access denied gets no table advice")
  func accessDeniedMessage() {
    let error = LoadError.server(
      subject: "t",
      sqlState: "42501",
      message: "permission denied for table t",
      hint: nil
    )
    #expect(error.description == "t: permission denied for table t (SQLSTATE 42501)")
  }
}
