import CScan
import Glibc

/// A cursor over one TSV line and one output position: the single pass that
/// checks and converts a row while reading each byte once.
///
/// On x86-64, text and list values are scanned 16 bytes at a time with the
/// SSE2 routines of `CScan` while 16 bytes are readable, and eight at a
/// time with `WordScan` after that. Other targets use `WordScan` only. A
/// block may reach past the line's end, because the byte there (LF, CR or
/// NUL) stops every scan. Each block or word is stored to the output
/// before the scan has found where the value ends. The output cursor then advances only over the bytes that belong
/// to the value, so plain ASCII runs cost one load and one store per block.
/// The scan stops at the bytes that need work: a tab ends the value, a
/// backslash or CR gets its COPY escape, a non-ASCII byte has its UTF-8
/// sequence checked and copied.
///
/// Every method returns false when it meets something it does not accept
/// (a NUL, invalid UTF-8, a value not of its type, a field count that does
/// not match), leaving the cursors anywhere. The caller then drops the
/// row's output and runs the rule-by-rule checks, which find and word the
/// rejection.
///
/// - Important: Each store writes up to 16 bytes past the output cursor,
///   so the output needs `RowConverter.scanSlack` bytes of room beyond the
///   row's maximum size.
///
/// Positions use wrapping arithmetic (`&+=`): they stay below the line
/// length, which `LineReader.maximumLineLength` bounds.
struct RowScanner {
  let line: UnsafePointer<UInt8>
  let count: Int
  /// The count of bytes from `line` that the 16-byte scans may read.
  ///
  /// It is `count` plus the readable bytes that follow the line in its
  /// buffer, or zero on targets where those scans are not used.
  let readable: Int
  var position = 0
  var out: UnsafeMutablePointer<UInt8>

  /// Creates a scanner of `line[0..<count]` that writes to `out`.
  ///
  /// - Precondition: When `readablePastEnd` is above zero, `line[count]` is
  ///   LF, CR or NUL, so that every scan stops at the line's end.
  init(
    line: UnsafePointer<UInt8>,
    count: Int,
    readablePastEnd: Int = 0,
    out: UnsafeMutablePointer<UInt8>
  ) {
    assert(readablePastEnd == 0 || [0x00, 0x0a, 0x0d].contains(line[count]))
    self.line = line
    self.count = count
    #if arch(x86_64)
      self.readable = count &+ readablePastEnd
    #else
      // On other targets the CScan functions are per-byte loops, so the
      // 8-byte word scan does all the work.
      self.readable = 0
    #endif
    self.out = out
  }

  private static let tab = UInt8(ascii: "\t")
  private static let backslash = UInt8(ascii: "\\")

  /// Returns whether the field at the cursor has ended: the cursor is at a
  /// tab or at the end of the line.
  @inline(__always)
  var atFieldEnd: Bool {
    position == count || line[position] == Self.tab
  }

  /// Moves past the tab that ends a field and writes it, or returns false
  /// at the end of the line.
  @inline(__always)
  mutating func nextField() -> Bool {
    guard position < count else { return false }
    position &+= 1
    put(Self.tab)
    return true
  }

  /// Copies `\N` when the field is exactly `\N`, IMDb's NULL.
  ///
  /// - Returns: Whether the field was NULL.
  @inline(__always)
  mutating func copyNull() -> Bool {
    let end = position &+ 2
    guard end <= count, line[position] == Self.backslash, line[position &+ 1] == UInt8(ascii: "N"),
      end == count || line[end] == Self.tab
    else { return false }
    put(Self.backslash, UInt8(ascii: "N"))
    position = end
    return true
  }

  /// Copies a text value with COPY escapes: `\` becomes `\\`, CR `\r`, LF `\n`.
  @inline(__always)
  mutating func copyText() -> Bool {
    while position < count {
      let plain: Int
      if position &+ 16 <= readable {
        let stops = stageload_copy16_text_stops(out, line + position)
        guard stops != 0 else {
          position &+= 16
          out += 16
          continue
        }
        plain = stops.trailingZeroBitCount
      } else {
        // Fewer than 16 readable bytes go eight at a time, because
        // `WordScan.load` reads nothing past the end.
        let word = WordScan.load(line, at: position, count: count)
        UnsafeMutableRawPointer(out).storeBytes(of: word, as: UInt64.self)
        let stops = WordScan.textStops(word)
        guard stops != 0 else {
          position &+= 8
          out += 8
          continue
        }
        plain = WordScan.firstMarkedLane(stops)
      }
      position &+= plain
      out += plain
      guard position < count else { break }
      let byte = line[position]
      switch byte {
      case Self.tab:
        return true
      case Self.backslash:
        put(Self.backslash, Self.backslash)
        position &+= 1
      case 0x0d:
        put(Self.backslash, UInt8(ascii: "r"))
        position &+= 1
      case 0x0a:
        // A line has no LF, but a caller may pass any bytes.
        put(Self.backslash, UInt8(ascii: "n"))
        position &+= 1
      case 0:
        return false
      case 0x01..<0x80:
        put(byte)
        position &+= 1
      default:
        guard copyUTF8Sequence() else { return false }
      }
    }
    return true
  }

  /// Copies a list joined by `separator` as a PostgreSQL array literal,
  /// with the same quoting as `CopyText.appendArray`.
  ///
  /// Most lists need no quotes at all, so `copyPlainArray` tries first; a
  /// list it gives up on is copied again by `copyQuotingArray`.
  ///
  /// - Parameters:
  ///   - separator: The byte that joins the list's elements.
  ///   - marksSeparator: Whether `WordScan.arrayStops` marks `separator`
  ///     already; when not, each word is also tested for it.
  ///   - special: `ArraySpecialBytes.shared.table`.
  /// - Returns: Whether the list was valid and written.
  mutating func copyArray(
    separator: UInt8,
    marksSeparator: Bool,
    special: UnsafePointer<UInt8>
  ) -> Bool {
    if atFieldEnd {
      put(UInt8(ascii: "{"), UInt8(ascii: "}"))
      return true
    }
    let start = position
    let fieldOut = out
    if copyPlainArray(separator: separator, special: special) { return true }
    position = start
    out = fieldOut
    return copyQuotingArray(separator: separator, marksSeparator: marksSeparator, special: special)
  }

  /// Copies a list in which every element is plain ASCII, not empty, not
  /// `NULL` and free of `ArraySpecialBytes` (comma aside, unless the
  /// separator is something else), or returns false.
  ///
  /// Such a list is written as it is between braces, with each separator
  /// replaced by a comma. Each word is stored whole. The lanes that
  /// `WordScan.listCandidates` marks are then looked at one by one: a
  /// separator ends an element, and only an element of length 0 or 4 needs
  /// a closer look. A marked byte that needs no quotes, such as `!`, is
  /// stepped over, and any other one ends the scan.
  @inline(__always)
  private mutating func copyPlainArray(separator: UInt8, special: UnsafePointer<UInt8>) -> Bool {
    put(UInt8(ascii: "{"))
    // Local copies of the cursors stay in registers; `self` is written back
    // once at the end.
    let line = self.line
    let count = self.count
    var index = position
    var cursor = out
    let commaIsSeparator = separator == UInt8(ascii: ",")
    var elementStart = index

    scan: while index < count {
      // A 16-byte block has one mask bit per lane, and a word marks a
      // lane with its high bit, so that marks are eight bits apart.
      var marks: UInt64
      let width: Int
      let laneShift: Int
      if index &+ 16 <= readable {
        marks = UInt64(stageload_copy16_list_candidates(cursor, line + index))
        width = 16
        laneShift = 0
      } else {
        let word = WordScan.load(line, at: index, count: count)
        UnsafeMutableRawPointer(cursor).storeBytes(of: word, as: UInt64.self)
        marks = WordScan.listCandidates(word)
        width = 8
        laneShift = 3
      }
      while marks != 0 {
        let lane = marks.trailingZeroBitCount &>> laneShift
        let at = index &+ lane
        // The byte at the end is marked too: a word's lanes past the end
        // are zero, and a block reads the LF, CR or NUL there.
        guard at < count else {
          cursor += count &- index
          index = count
          break scan
        }
        let byte = line[at]
        if byte == separator {
          guard isPlainElement(from: elementStart, to: at) else { return false }
          if !commaIsSeparator { cursor[lane] = UInt8(ascii: ",") }
          elementStart = at &+ 1
        } else if byte < 0x21 || byte >= 0x80 || special[Int(byte)] != 0 {
          cursor += lane
          index = at
          break scan
        }
        marks &= marks &- 1
      }
      index &+= width
      cursor += width
    }

    position = index
    out = cursor
    guard atFieldEnd, isPlainElement(from: elementStart, to: position) else { return false }
    put(UInt8(ascii: "}"))
    return true
  }

  /// Returns whether the element `line[start..<end]` of a plain list needs
  /// no quotes: it is not empty and not `NULL` in any letter case.
  @inline(__always)
  private func isPlainElement(from start: Int, to end: Int) -> Bool {
    switch end - start {
    case 0: return false
    case 4:
      // OR-ing 0x20 lowercases letters; only N and n become n, and so on.
      let letters = UnsafeRawPointer(line + start).loadUnaligned(as: UInt32.self) | 0x2020_2020
      return letters != 0x6c6c_756e  // "null", little-endian
    default: return true
    }
  }

  /// Copies a list element by element, quoting the elements that need it,
  /// or returns false at an empty element.
  ///
  /// Each element is copied as it is scanned. When it turns out to need
  /// quotes (a special byte, or `NULL` in any case), the cursor goes
  /// back to the element's start and `CopyText.appendQuotedElement` writes
  /// it again, quoted.
  private mutating func copyQuotingArray(
    separator: UInt8,
    marksSeparator: Bool,
    special: UnsafePointer<UInt8>
  ) -> Bool {
    put(UInt8(ascii: "{"))
    if atFieldEnd {
      put(UInt8(ascii: "}"))
      return true
    }
    while true {
      let elementStart = position
      let elementOut = out
      var needsQuotes = false
      scan: while position < count {
        let plain: Int
        if position &+ 16 <= readable {
          let stops = stageload_copy16_array_stops(out, line + position, separator)
          guard stops != 0 else {
            position &+= 16
            out += 16
            continue
          }
          plain = stops.trailingZeroBitCount
        } else {
          let word = WordScan.load(line, at: position, count: count)
          UnsafeMutableRawPointer(out).storeBytes(of: word, as: UInt64.self)
          var stops = WordScan.arrayStops(word)
          if !marksSeparator { stops |= WordScan.equal(word, separator) }
          guard stops != 0 else {
            position &+= 8
            out += 8
            continue
          }
          plain = WordScan.firstMarkedLane(stops)
        }
        position &+= plain
        out += plain
        guard position < count else { break }
        let byte = line[position]
        switch byte {
        case separator, Self.tab:
          break scan
        case 0:
          return false
        case 0x01..<0x80:
          // Some stop bytes, such as 0x01, need no quotes.
          if special[Int(byte)] != 0 { needsQuotes = true }
          put(byte)
          position &+= 1
        default:
          guard copyUTF8Sequence() else { return false }
        }
      }

      let element = UnsafeBufferPointer(start: line + elementStart, count: position - elementStart)
      // IMDb lists have no empty elements, so the rule-by-rule checks
      // reject the row.
      guard !element.isEmpty else { return false }
      if needsQuotes || CopyText.isNULL(element) {
        out = CopyText.appendQuotedElement(element, at: elementOut)
      }
      guard position < count, line[position] == separator else { break }
      put(UInt8(ascii: ","))
      position &+= 1
    }
    put(UInt8(ascii: "}"))
    return true
  }

  /// Copies a decimal integer of 1 to 10 digits whose value is in `range`.
  mutating func copyInteger(in range: ClosedRange<Int>) -> Bool {
    let start = position
    var value = 0
    while position < count {
      let digit = Int(line[position]) &- 48
      guard digit >= 0 && digit <= 9 else { break }
      value = value &* 10 &+ digit
      position &+= 1
      guard position - start <= 10 else { return false }
    }
    guard position > start, atFieldEnd, range.contains(value) else { return false }
    copy(from: start)
    return true
  }

  /// Copies a boolean written `0` or `1`.
  mutating func copyFlag() -> Bool {
    guard position < count else { return false }
    let byte = line[position]
    guard byte == UInt8(ascii: "0") || byte == UInt8(ascii: "1") else { return false }
    position &+= 1
    guard atFieldEnd else { return false }
    put(byte)
    return true
  }

  /// Copies a rating that `FieldSyntax.isRating` accepts.
  mutating func copyRating() -> Bool {
    let start = position
    while !atFieldEnd { position &+= 1 }
    let field = UnsafeBufferPointer(start: line + start, count: position - start)
    guard FieldSyntax.isRating(field) else { return false }
    copy(from: start)
    return true
  }

  /// Copies a JSON array of strings, COPY-escaped like text.
  mutating func copyJSONArray() -> Bool {
    let start = position
    let rest = count - start
    var end = count
    if let tab = memchr(line + start, Int32(Self.tab), rest) {
      end = UnsafeRawPointer(tab) - UnsafeRawPointer(line)
    }
    let field = UnsafeBufferPointer(start: line + start, count: end - start)
    guard JSONSyntax.isArrayOfStrings(field) else { return false }
    return copyText()
  }

  /// Copies the valid UTF-8 sequence at the cursor, or returns false.
  @inline(__always)
  private mutating func copyUTF8Sequence() -> Bool {
    let length = UTF8Validator.sequenceLength(line, at: position, count: count)
    guard length > 0 else { return false }
    out.update(from: line + position, count: length)
    position &+= length
    out += length
    return true
  }

  /// Copies the bytes from `start` up to the cursor unchanged.
  @inline(__always)
  private mutating func copy(from start: Int) {
    let length = position - start
    out.update(from: line + start, count: length)
    out += length
  }

  @inline(__always)
  private mutating func put(_ byte: UInt8) {
    out[0] = byte
    out += 1
  }

  @inline(__always)
  private mutating func put(_ first: UInt8, _ second: UInt8) {
    out[0] = first
    out[1] = second
    out += 2
  }
}
