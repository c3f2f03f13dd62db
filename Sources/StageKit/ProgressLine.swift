import Foundation

/// A one-line status on standard error, redrawn with `\r` at most four times a
/// second and ended with a newline.
///
/// It draws only when enabled: by `--progress`, or by default when standard
/// error is an interactive terminal; `--quiet` turns it off.
package final class ProgressLine {
  package let isEnabled: Bool
  private var lastDraw = Date.distantPast
  private var lastWidth = 0
  private var drewAnything = false

  package init(isEnabled: Bool) {
    self.isEnabled = isEnabled
  }

  /// Chooses the setting from the `--progress` and `--quiet` flags.
  package convenience init(arguments: Arguments) {
    let wanted = arguments.has("--progress") || Terminal.standardErrorIsInteractive
    self.init(isEnabled: wanted && !arguments.has("--quiet"))
  }

  /// Redraws the line with `text` unless the last redraw was under 250 ms ago.
  ///
  /// `text` is built only when a redraw happens.
  package func update(_ text: @autoclosure () -> String) {
    guard isEnabled else { return }
    let now = Date()
    guard now.timeIntervalSince(lastDraw) >= 0.25 else { return }
    lastDraw = now
    draw(text())
  }

  /// Draws `text` one last time, if anything was drawn, and ends the line.
  package func finish(_ text: String? = nil) {
    guard isEnabled, drewAnything || text != nil else { return }
    if let text { draw(text) }
    Terminal.printError("\n")
    drewAnything = false
  }

  private func draw(_ text: String) {
    let padding = String(repeating: " ", count: max(0, lastWidth - text.count))
    Terminal.printError("\r" + text + padding)
    lastWidth = text.count
    drewAnything = true
  }
}
