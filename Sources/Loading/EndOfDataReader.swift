import CLinux
import Glibc
import StageKit

/// A reader of a COPY text stream that must end with the end-of-data line
/// `\.`, as `split --stdout` writes it.
///
/// It returns the stream in blocks without that line, so the line never
/// reaches the server, whatever its version makes of `\.` inside COPY data. The last
/// one to three bytes read may be the start of the line, so they are held
/// back until the next read or the end of the input shows what they are.
/// Memory is one block plus the held bytes.
final class EndOfDataReader {
  private static let marker = EndOfDataLine.bytes
  private static let lineFeed = UInt8(ascii: "\n")
  /// A line feed and the marker: a marker that starts a line after the
  /// first byte of a region.
  private static let markerAfterLineFeed = [lineFeed] + marker

  private let read: (UnsafeMutableRawBufferPointer) throws -> Int
  private let blockSize: Int
  /// One block, plus room in front for the bytes held back from the last.
  private let buffer: UnsafeMutableRawBufferPointer
  /// The held-back bytes at the end of the block last returned, which are
  /// a prefix of the end-of-data line at the start of a line.
  private var heldBytes: Range<Int> = 0..<0
  /// Whether the byte after the last one returned starts a line.
  private var atLineStart = true

  /// - Parameters:
  ///   - blockSize: The largest number of bytes one call of `read` may add.
  ///   - read: Reads up to the buffer's size into it, like `read(2)`, and
  ///     returns the count, 0 at the end of the input.
  init(blockSize: Int, read: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) {
    self.read = read
    self.blockSize = blockSize
    self.buffer = .allocate(byteCount: Self.marker.count + blockSize, alignment: 16)
  }

  deinit {
    buffer.deallocate()
  }

  /// Reads the next block of the stream, without the end-of-data line.
  ///
  /// The block stays valid until the next call.
  ///
  /// - Returns: The block, never empty, or nil when the input ended with
  ///   the end-of-data line.
  /// - Throws: `LoadError.endOfDataMissing` when the input ends without
  ///   it, `LoadError.dataAfterEndOfData` when bytes follow it, and what
  ///   `read` throws.
  func next() throws -> UnsafeRawBufferPointer? {
    while true {
      let heldCount = heldBytes.count
      if heldCount > 0, let base = buffer.baseAddress {
        // The held bytes may overlap their new place, so memmove.
        memmove(base, base + heldBytes.lowerBound, heldCount)
      }
      heldBytes = 0..<0
      let count = try read(
        UnsafeMutableRawBufferPointer(rebasing: buffer[heldCount..<(heldCount + blockSize)])
      )
      let region = UnsafeRawBufferPointer(rebasing: buffer[..<(heldCount + count)])
      if count == 0 {
        try checkEnd(region)
        return nil
      }

      if let start = firstMarker(in: region), start + Self.marker.count < region.count {
        throw LoadError.dataAfterEndOfData
      }
      let holdCount = markerPrefixCount(atEndOf: region)
      let sendCount = region.count - holdCount
      heldBytes = sendCount..<region.count
      // Held bytes start a line by construction; otherwise the next read
      // starts one when this region ends with a line feed.
      atLineStart = holdCount > 0 || region[region.count - 1] == Self.lineFeed
      if sendCount > 0 { return UnsafeRawBufferPointer(rebasing: region[..<sendCount]) }
    }
  }

  // MARK: - Private

  /// Checks that `rest`, the bytes held back when the input ended, is the
  /// end-of-data line, with or without its line feed.
  private func checkEnd(_ rest: UnsafeRawBufferPointer) throws {
    // Held-back bytes always begin a line and are a prefix of the marker.
    guard rest.count >= Self.marker.count - 1 else { throw LoadError.endOfDataMissing }
  }

  /// Returns the offset of the first end-of-data line, line feed included,
  /// that starts a line in `region`.
  private func firstMarker(in region: UnsafeRawBufferPointer) -> Int? {
    if atLineStart && region.starts(with: Self.marker) { return 0 }
    guard let base = region.baseAddress else { return nil }
    let hit = Self.markerAfterLineFeed.withUnsafeBytes { needle in
      stageload_memmem(base, region.count, needle.baseAddress, needle.count)
    }
    guard let hit else { return nil }
    return base.distance(to: UnsafeRawPointer(hit)) + 1
  }

  /// Returns how many bytes at the end of `region` could begin the
  /// end-of-data line: they start a line and match the marker's first
  /// bytes, or all of it.
  private func markerPrefixCount(atEndOf region: UnsafeRawBufferPointer) -> Int {
    for length in stride(from: min(Self.marker.count, region.count), to: 0, by: -1) {
      let start = region.count - length
      let startsLine = start == 0 ? atLineStart : region[start - 1] == Self.lineFeed
      if startsLine && region[start...].elementsEqual(Self.marker[..<length]) { return length }
    }
    return 0
  }
}
