/// Why one source row cannot be loaded: the column (nil for whole-row
/// problems such as a wrong field count) and the reason in words.
package struct Rejection: Error, Equatable, Sendable {
  package var column: String?
  package var reason: String

  package init(column: String? = nil, reason: String) {
    self.column = column
    self.reason = reason
  }
}
