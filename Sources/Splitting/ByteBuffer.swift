/// A growable byte buffer with unchecked appends, for the converter's hot path.
///
/// Callers reserve room for a whole row first, then append freely.
///
/// A buffer moves between the converting thread and `WriteBehind`'s
/// writer thread, but only one of them uses it at a time: the hand-over
/// through the writer's queue orders the accesses.
final class ByteBuffer: @unchecked Sendable {
  private(set) var base: UnsafeMutablePointer<UInt8>
  private(set) var capacity: Int
  var count = 0

  init(capacity: Int) {
    self.capacity = capacity
    base = .allocate(capacity: capacity)
  }

  deinit {
    base.deallocate()
  }

  var bytes: UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: base, count: count)
  }

  var freeSpace: Int { capacity - count }

  /// Exchanges the storage and contents of two buffers, so that a full
  /// buffer can be handed over without copying its bytes.
  ///
  /// It uses plain assignments, not `swap(_:_:)`, because with Swift 6.3
  /// two `inout` accesses to class properties made the compiler check
  /// exclusivity at run time on every access to every buffer.
  func swapContents(with other: ByteBuffer) {
    let (otherBase, otherCapacity, otherCount) = (other.base, other.capacity, other.count)
    other.base = base
    other.capacity = capacity
    other.count = count
    base = otherBase
    capacity = otherCapacity
    count = otherCount
  }

  /// Grows the buffer so that `extra` more bytes fit without a check.
  @inline(__always)
  func reserve(_ extra: Int) {
    if count + extra > capacity { grow(toFit: extra) }
  }

  private func grow(toFit extra: Int) {
    let newCapacity = max(capacity * 2, count + extra)
    let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
    newBase.update(from: base, count: count)
    base.deallocate()
    base = newBase
    capacity = newCapacity
  }

  @inline(__always)
  func append(_ byte: UInt8) {
    base[count] = byte
    count += 1
  }

  @inline(__always)
  func append(_ first: UInt8, _ second: UInt8) {
    base[count] = first
    base[count + 1] = second
    count += 2
  }

  @inline(__always)
  func append(_ source: UnsafePointer<UInt8>, count length: Int) {
    (base + count).update(from: source, count: length)
    count += length
  }

  @inline(__always)
  func append(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard let source = bytes.baseAddress else { return }
    append(source, count: bytes.count)
  }
}
