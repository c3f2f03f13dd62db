import Glibc

/// The command-line frame every executable runs in: `--help`, `--version`,
/// argument parsing, signal handling, and the single place where an error
/// becomes a one-line message and an exit status.
package struct Tool: Sendable {
  package static let version = "0.1.0"

  package var name: String
  /// The one-line synopsis, printed after a usage error.
  package var synopsis: String
  /// The full `--help` text; it starts with the synopsis.
  package var help: String
  package var options: [OptionSpec]

  package init(name: String, synopsis: String, help: String, options: [OptionSpec]) {
    self.name = name
    self.synopsis = synopsis
    self.help = help
    self.options =
      options + [
        OptionSpec("--help", alias: "-h"), OptionSpec("--version"),
      ]
  }

  /// Runs `body` with the parsed command line and exits.
  ///
  /// Help and version go to standard output with status 0. A `StageError`
  /// becomes "NAME: DESCRIPTION" on standard error and its exit status; a
  /// usage error also prints the synopsis. Any other error is a bug (70).
  package func run(_ body: (Arguments) throws -> Void) -> Never {
    Interruption.install(toolName: name)
    let rawArguments = Array(CommandLine.arguments.dropFirst())
    do {
      let arguments = try Arguments(rawArguments, options: options)
      if arguments.has("--help") {
        print(help)
        exit(0)
      }
      if arguments.has("--version") {
        print("\(name) (stageload) \(Tool.version)")
        exit(0)
      }
      try body(arguments)
      exit(0)
    } catch let error as UsageError {
      Terminal.printError(
        "\(name): \(error.message)\nusage: \(synopsis)\nsee '\(name) --help'\n"
      )
      exit(ExitStatus.usage.rawValue)
    } catch let error as StageError {
      fail(error.description, status: error.exitStatus)
    } catch {
      fail("internal error: \(error)", status: .software)
    }
  }

  /// Prints "NAME: message" to standard error and exits with `status`.
  package func fail(_ message: String, status: ExitStatus) -> Never {
    Interruption.waitIfStopping()
    Terminal.printError("\(name): \(message)\n")
    exit(status.rawValue)
  }

  /// Prints "NAME: message" to standard error and goes on.
  package func note(_ message: String) {
    Terminal.printError("\(name): \(message)\n")
  }
}
