import Foundation

/// Runs the `vpcemu` executable SwiftPM built next to this test bundle, from the repository root
/// (so `captures/…` paths resolve), and captures its exit status, stdout and stderr.
struct VPCEmuProcess {
    struct Result {
        /// False when a signal ended the process (then `status` is the signal's number).
        var exitedNormally: Bool
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    enum LocateError: Error, CustomStringConvertible {
        case executableNotFound(searchedFrom: [String])

        var description: String {
            switch self {
            case .executableNotFound(let starts):
                "no vpcemu executable in the build directory above any of: \(starts.joined(separator: ", "))"
            }
        }
    }

    /// The checkout: this file is Tests/CLITests/VPCEmuProcess.swift.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `vpcemu` product in the build directory holding the running test bundle: walks up from
    /// the test runner (Linux: `.build/debug/VPCEmuPackageTests.xctest`) and from the loaded
    /// bundles (macOS: the `.xctest` bundle inside `.build/debug`).
    static func locateExecutable() throws -> URL {
        let starts = [CommandLine.arguments[0]] + Bundle.allBundles.map(\.bundlePath)
        for start in starts {
            var directory = URL(fileURLWithPath: start).standardizedFileURL.deletingLastPathComponent()
            while directory.pathComponents.count > 1 {
                let candidate = directory.appendingPathComponent("vpcemu")
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                   FileManager.default.isExecutableFile(atPath: candidate.path) {
                    return candidate
                }
                directory = directory.deletingLastPathComponent()
            }
        }
        throw LocateError.executableNotFound(searchedFrom: starts)
    }

    /// Runs `vpcemu arguments…` to completion. Output goes through temporary files rather than
    /// pipes, so a large output cannot block the child while the test waits for it.
    static func run(_ arguments: [String]) throws -> Result {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("vpcemu-cli-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outputURL = scratch.appendingPathComponent("stdout")
        let errorURL = scratch.appendingPathComponent("stderr")
        try Data().write(to: outputURL)
        try Data().write(to: errorURL)
        let output = try FileHandle(forWritingTo: outputURL)
        let error = try FileHandle(forWritingTo: errorURL)
        defer {
            try? output.close()
            try? error.close()
        }

        let process = Process()
        process.executableURL = try locateExecutable()
        process.arguments = arguments
        process.currentDirectoryURL = repositoryRoot
        // Help text wraps at the terminal's width; fix it so the golden files do not depend on it.
        var environment = ProcessInfo.processInfo.environment
        environment["COLUMNS"] = "80"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = error
        try process.run()
        process.waitUntilExit()
        return Result(
            exitedNormally: process.terminationReason == .exit,
            status: process.terminationStatus,
            standardOutput: try String(contentsOf: outputURL, encoding: .utf8),
            standardError: try String(contentsOf: errorURL, encoding: .utf8)
        )
    }
}
