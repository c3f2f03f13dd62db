/// A mistake on the command line; the tool prints it with its synopsis and
/// exits 64.
package struct UsageError: StageError, Equatable {
  package var message: String

  package init(_ message: String) {
    self.message = message
  }

  package var exitStatus: ExitStatus { .usage }
  package var description: String { message }
}
