import Foundation

/// Formatting of counts, sizes, durations and rates for progress lines and
/// summaries.
package enum Measure {
  /// Formats a count and a noun, with the noun in the singular for 1:
  /// `1 row`, `0 rows`, `2 retries`.
  ///
  /// - Parameters:
  ///   - count: The number.
  ///   - singular: The noun for one, such as `row`.
  ///   - plural: The noun for other counts; nil means `singular` plus `s`.
  /// - Returns: The count, a space and the noun.
  package static func count(_ count: Int, _ singular: String, plural: String? = nil) -> String {
    "\(count) " + (count == 1 ? singular : plural ?? singular + "s")
  }

  /// Formats a byte count with a binary unit: `512 B`, `3.4 MiB`, `1.2 GiB`.
  package static func bytes(_ count: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(count)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
      value /= 1024
      unit += 1
    }
    return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
  }

  /// Formats seconds as `0.42 s`, `12.3 s` or `4m05s`.
  package static func duration(_ seconds: Double) -> String {
    if seconds < 10 { return String(format: "%.2f s", seconds) }
    if seconds < 60 { return String(format: "%.1f s", seconds) }
    let whole = Int(seconds.rounded())
    return String(format: "%dm%02ds", whole / 60, whole % 60)
  }

  /// Formats `count / seconds` as a whole number, or `-` for no time.
  package static func rate(_ count: Int, _ seconds: Double) -> String {
    guard seconds > 0 else { return "-" }
    return String(Int((Double(count) / seconds).rounded()))
  }
}
