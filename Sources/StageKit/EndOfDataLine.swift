/// PostgreSQL's end-of-data line for COPY text: a backslash and a period
/// on a line of their own.
///
/// `split --stdout` writes it after its last row, and only when it
/// succeeds. `load -` requires it as the last line of standard input, so a
/// stream whose producer stopped early is never loaded as if it were whole.
package enum EndOfDataLine {
  /// The line's bytes, `\.` and a line feed.
  package static let bytes: [UInt8] = Array("\\.\n".utf8)
}
