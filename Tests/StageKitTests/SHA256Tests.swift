import Testing

@testable import StageKit

@Suite struct SHA256Tests {
  struct Vector: CustomTestStringConvertible, Sendable {
    var input: String
    var digest: String
    var testDescription: String { "\(input.prefix(20)) (\(input.utf8.count) bytes)" }
  }

  /// Digests from FIPS 180-4's examples and `sha256sum`.
  static let vectors = [
    Vector(input: "", digest: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    Vector(
      input: "abc",
      digest: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    ),
    Vector(
      input: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      digest: "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    ),
    Vector(
      input: String(repeating: "a", count: 1000),
      digest: "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"
    ),
  ]

  @Test("digest of one piece", arguments: vectors)
  func digestOfOnePiece(vector: Vector) {
    let hash = SHA256()
    hash.update(Array(vector.input.utf8))
    #expect(hash.finalizeHex() == vector.digest)
  }

  @Test("digest fed in uneven pieces", arguments: vectors)
  func digestFedInPieces(vector: Vector) {
    let hash = SHA256()
    let bytes = Array(vector.input.utf8)
    var start = 0
    var size = 1
    while start < bytes.count {
      let end = min(bytes.count, start + size)
      hash.update(Array(bytes[start..<end]))
      start = end
      size = size * 3 + 1
    }
    #expect(hash.finalizeHex() == vector.digest)
  }

  @Test("padding boundary lengths match whole digest")
  func paddingBoundaries() {
    // Lengths around the 56-byte padding limit and the 64-byte block.
    for length in [55, 56, 57, 63, 64, 65, 119, 120, 128] {
      let bytes = [UInt8](repeating: 0x61, count: length)
      let whole = SHA256()
      whole.update(bytes)
      let split = SHA256()
      split.update(Array(bytes[..<(length / 2)]))
      split.update(Array(bytes[(length / 2)...]))
      #expect(whole.finalizeHex() == split.finalizeHex(), "length \(length)")
    }
  }
}
