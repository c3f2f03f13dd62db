import Foundation
import StageKit

/// The facts fetch stores about a download: the sidecar `FILE.meta` of a finished
/// file, or `FILE.part.meta` of a partial one.
///
/// The text form is one `key<TAB>value` line per known field, with the keys
/// `url`, `final_url`, `etag`, `last_modified`, `length` and `sha256`.
/// Unknown keys are ignored so that older tools can read newer sidecars.
package struct DownloadRecord: Sendable, Equatable {
  /// The URL given on the command line.
  package var url: String
  /// The URL after redirects.
  package var finalURL: String?
  package var etag: String?
  package var lastModified: String?
  /// The full length of the body in bytes.
  package var length: Int?
  /// The SHA-256 of the finished file, as lowercase hex digits.
  package var sha256: String?

  package init(
    url: String,
    finalURL: String? = nil,
    etag: String? = nil,
    lastModified: String? = nil,
    length: Int? = nil,
    sha256: String? = nil
  ) {
    self.url = url
    self.finalURL = finalURL
    self.etag = etag
    self.lastModified = lastModified
    self.length = length
    self.sha256 = sha256
  }

  /// Parses the text form; returns nil when the `url` line is missing or a
  /// line has no tab.
  package init?(text: String) {
    var fields: [String: String] = [:]
    for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
      guard let tab = line.firstIndex(of: "\t") else { return nil }
      fields[String(line[..<tab])] = String(line[line.index(after: tab)...])
    }
    guard let url = fields["url"] else { return nil }
    self.url = url
    finalURL = fields["final_url"]
    etag = fields["etag"]
    lastModified = fields["last_modified"]
    length = fields["length"].flatMap { Int($0) }
    sha256 = fields["sha256"]
  }

  /// The text form, ending with a newline.
  package var text: String {
    let fields: [(String, String?)] = [
      ("url", url), ("final_url", finalURL), ("etag", etag),
      ("last_modified", lastModified), ("length", length.map(String.init)), ("sha256", sha256),
    ]
    return fields.compactMap { key, value in
      value.map { "\(key)\t\(Self.singleLine($0))\n" }
    }.joined()
  }

  /// The validator to send in `If-Range`.
  ///
  /// It is the ETag when that is strong, or else the Last-Modified date,
  /// because RFC 9110 forbids a weak ETag in `If-Range`.
  package var rangeValidator: String? {
    if let etag, !etag.hasPrefix("W/") { return etag }
    return lastModified
  }

  /// Reads the record at `path`; returns nil when it is missing or malformed.
  package static func read(from path: String) -> DownloadRecord? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    return DownloadRecord(text: String(decoding: data, as: UTF8.self))
  }

  /// Writes the record to `path` atomically (via `path.part` and a rename).
  ///
  /// - Throws: `SystemError` when the file cannot be written.
  package func write(to path: String) throws {
    let file = try AtomicFile(path: path)
    try file.output.write(text)
    try file.commit()
  }

  /// Replaces tabs and line breaks, which would break the line format.
  private static func singleLine(_ value: String) -> String {
    String(value.map { $0 == "\t" || $0.isNewline ? " " : $0 })
  }
}
