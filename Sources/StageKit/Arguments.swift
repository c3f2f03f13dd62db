/// One command-line option: its long name, an optional short alias and
/// whether it takes a value (`--rows 100`, `--rows=100`) or is a flag.
package struct OptionSpec: Sendable {
  package var name: String
  package var alias: String?
  package var takesValue: Bool

  package init(_ name: String, alias: String? = nil, takesValue: Bool = false) {
    self.name = name
    self.alias = alias
    self.takesValue = takesValue
  }
}

/// A command line split into options and positional arguments.
///
/// `-` is a positional argument (standard input), and everything after `--`
/// is positional too.
package struct Arguments: Sendable {
  package private(set) var positionals: [String] = []
  private var values: [String: String] = [:]
  private var flags: Set<String> = []

  /// Parses `arguments` (without the program name) against `options`.
  ///
  /// - Throws: `UsageError` for an unknown option, a missing value or a
  ///   value given to a flag.
  package init(_ arguments: [String], options: [OptionSpec]) throws {
    var specs: [String: OptionSpec] = [:]
    for option in options {
      specs[option.name] = option
      if let alias = option.alias { specs[alias] = option }
    }

    var index = 0
    while index < arguments.count {
      let argument = arguments[index]
      index += 1
      if argument == "--" {
        positionals.append(contentsOf: arguments[index...])
        break
      }
      guard argument.hasPrefix("-"), argument != "-" else {
        positionals.append(argument)
        continue
      }

      var name = argument
      var inlineValue: String?
      if let equals = argument.firstIndex(of: "="), argument.hasPrefix("--") {
        name = String(argument[..<equals])
        inlineValue = String(argument[argument.index(after: equals)...])
      }
      guard let spec = specs[name] else {
        throw UsageError("unknown option '\(name)'")
      }

      if !spec.takesValue {
        if inlineValue != nil { throw UsageError("option '\(name)' takes no value") }
        flags.insert(spec.name)
      } else if let inlineValue {
        values[spec.name] = inlineValue
      } else if index < arguments.count {
        values[spec.name] = arguments[index]
        index += 1
      } else {
        throw UsageError("option '\(name)' requires a value")
      }
    }
  }

  /// Returns whether the flag `name` was given.
  package func has(_ name: String) -> Bool {
    flags.contains(name)
  }

  /// Returns the value of option `name`, or nil when it was not given.
  package func value(_ name: String) -> String? {
    values[name]
  }

  /// Returns option `name` as an integer within `range`, or `defaultValue`
  /// when the option was not given.
  ///
  /// - Throws: `UsageError` when the value is not an integer in `range`.
  package func integer(
    _ name: String,
    default defaultValue: Int,
    range: ClosedRange<Int>
  ) throws -> Int {
    guard let text = values[name] else { return defaultValue }
    guard let number = Int(text), range.contains(number) else {
      throw UsageError(
        "option '\(name)': invalid value '\(text)'; expected an integer from "
          + "\(range.lowerBound) to \(range.upperBound)"
      )
    }
    return number
  }
}
