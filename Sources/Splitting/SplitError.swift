import StageKit

/// An error that stops split.
package enum SplitError: StageError, Equatable {
  /// The input has no header line at all.
  case emptyInput(path: String, dataset: String)
  /// The first line is not the dataset's header.
  case headerMismatch(path: String, expected: String, found: String)
  /// A row is invalid and no rejects file was given to take it.
  case invalidRow(path: String, line: Int, rejection: Rejection)
  /// A line has `limit` bytes or more, which the reader does not hold.
  case lineTooLong(path: String, line: Int, limit: Int)

  package var exitStatus: ExitStatus { .dataError }

  package var description: String {
    switch self {
    case .emptyInput(let path, let dataset):
      return "\(path): empty input; expected the \(dataset) header line"
    case .headerMismatch(let path, let expected, let found):
      let shown = { (text: String) in text.replacingTabs() }
      return
        "\(path): line 1: header does not match; expected '\(shown(expected))', found '\(shown(found))'; "
        + "check --dataset and the input file"
    case .invalidRow(let path, let line, let rejection):
      let column = rejection.column.map { "column \($0): " } ?? ""
      return
        "\(path): line \(line): \(column)\(rejection.reason); pass --rejects FILE to skip bad rows"
    case .lineTooLong(let path, let line, let limit):
      // An overlong header stops split even with --rejects.
      let hint = line == 1 ? "is this a TSV file?" : "pass --rejects FILE to skip such rows"
      return "\(path): line \(line): line is \(limit >> 20) MiB or longer; \(hint)"
    }
  }
}

extension String {
  fileprivate func replacingTabs() -> String {
    split(separator: "\t", omittingEmptySubsequences: false).joined(separator: " | ")
  }
}
