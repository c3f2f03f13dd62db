import Testing

@testable import StageKit

@Suite struct ArgumentsTests {
  let options = [
    OptionSpec("--rows", takesValue: true), OptionSpec("--output", alias: "-o", takesValue: true),
    OptionSpec("--stdout"),
  ]

  @Test("values, flags and positionals")
  func mixedArguments() throws {
    let arguments = try Arguments(
      ["--rows", "10", "-o", "out", "--stdout", "in.tsv", "-"],
      options: options
    )
    #expect(try arguments.integer("--rows", default: 1, range: 1...100) == 10)
    #expect(arguments.value("--output") == "out")
    #expect(arguments.has("--stdout"))
    #expect(arguments.positionals == ["in.tsv", "-"])
  }

  @Test("inline value after equals sign")
  func inlineValue() throws {
    let arguments = try Arguments(["--rows=7"], options: options)
    #expect(arguments.value("--rows") == "7")
  }

  @Test("double dash ends options")
  func doubleDash() throws {
    let arguments = try Arguments(["--", "--rows"], options: options)
    #expect(arguments.positionals == ["--rows"])
    #expect(arguments.value("--rows") == nil)
  }

  @Test("unknown option is a usage error")
  func unknownOption() {
    #expect(throws: UsageError("unknown option '--rwos'")) {
      try Arguments(["--rwos", "1"], options: options)
    }
  }

  @Test("missing value is a usage error")
  func missingValue() {
    #expect(throws: UsageError("option '--rows' requires a value")) {
      try Arguments(["--rows"], options: options)
    }
  }

  @Test("integer out of range is a usage error")
  func integerOutOfRange() throws {
    let arguments = try Arguments(["--rows", "0"], options: options)
    #expect(throws: UsageError.self) {
      try arguments.integer("--rows", default: 1, range: 1...100)
    }
  }
}
