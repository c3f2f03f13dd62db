import Foundation

/// Tests/Support/fault_server.py running as a child process on 127.0.0.1.
///
/// The server prints its port as its first line and exits when its standard
/// input closes, which `deinit` does, and which also happens when the test
/// process ends. Signals would not do: the test runner's threads block
/// SIGTERM, and children inherit that mask. Nothing changes after `init`
/// but the process's end in `deinit`, so sharing an instance is safe.
package final class FaultServerProcess: @unchecked Sendable {
  package let port: Int
  private let process = Process()
  private let input = Pipe()

  /// Starts the server over `directory`.
  ///
  /// - Parameters:
  ///   - directory: The folder whose files the server serves.
  ///   - logPath: A file that gets one line per request, or nil.
  ///   - tls: The certificate and key files for HTTPS, or nil for HTTP.
  /// - Throws: `FaultServerError` when python3 is missing or prints no port.
  package init(
    directory: String,
    logPath: String? = nil,
    tls: (certificate: String, key: String)? = nil
  ) throws {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Support/fault_server.py").path
    let output = Pipe()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments =
      ["python3", script, directory] + (logPath.map { ["--log", $0] } ?? [])
      + (tls.map { ["--tls", $0.certificate, $0.key] } ?? [])
    process.standardInput = input
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()

    var line = Data()
    while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty,
      byte != Data("\n".utf8)
    {
      line.append(byte)
    }
    guard let port = Int(String(decoding: line, as: UTF8.self)) else {
      try? input.fileHandleForWriting.close()
      throw FaultServerError(description: "fault_server.py printed no port; is python3 installed?")
    }
    self.port = port
  }

  deinit {
    try? input.fileHandleForWriting.close()
    process.waitUntilExit()
  }
}

/// A fault server that did not start.
package struct FaultServerError: Error, CustomStringConvertible {
  package var description: String
}
