/// Removes the password from a URL's user information, so that messages
/// and sidecar files never contain it.
enum URLRedaction {
  /// Returns `url` with the password of `scheme://user:password@host/...`
  /// replaced by `***`; a URL without one is returned unchanged.
  static func redact(_ url: String) -> String {
    guard let schemeEnd = url.range(of: "://") else { return url }
    let authorityStart = schemeEnd.upperBound
    let authorityEnd =
      url[authorityStart...].firstIndex { $0 == "/" || $0 == "?" || $0 == "#" }
      ?? url.endIndex
    let authority = url[authorityStart..<authorityEnd]
    guard let at = authority.lastIndex(of: "@"),
      let colon = authority[..<at].firstIndex(of: ":")
    else { return url }
    return String(url[..<authority.index(after: colon)]) + "***" + String(url[at...])
  }
}
