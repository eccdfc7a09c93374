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

    /// Runs `vpcemu arguments…` to completion, in `directory` (the checkout unless given).
    static func run(_ arguments: [String], in directory: URL = repositoryRoot) throws -> Result {
        try start(arguments, in: directory).wait()
    }

    /// A `vpcemu` process started by `start`, to signal and wait for.
    final class Running {
        let process: Process
        private let scratch: URL
        private let output: FileHandle
        private let error: FileHandle

        fileprivate init(process: Process, scratch: URL, output: FileHandle, error: FileHandle) {
            (self.process, self.scratch, self.output, self.error) = (process, scratch, output, error)
        }

        /// Sends `signal` to the process (by its id).
        func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

        /// Waits for the process to end; returns its status and what it printed.
        func wait() throws -> Result {
            process.waitUntilExit()
            defer {
                try? output.close()
                try? error.close()
                try? FileManager.default.removeItem(at: scratch)
            }
            return Result(
                exitedNormally: process.terminationReason == .exit,
                status: process.terminationStatus,
                standardOutput: try String(contentsOf: scratch.appendingPathComponent("stdout"), encoding: .utf8),
                standardError: try String(contentsOf: scratch.appendingPathComponent("stderr"), encoding: .utf8)
            )
        }
    }

    /// Starts `vpcemu arguments…`. Output goes through temporary files rather than pipes, so a
    /// large output cannot block the child while the test waits for it.
    static func start(_ arguments: [String], in directory: URL = repositoryRoot) throws -> Running {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("vpcemu-cli-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let outputURL = scratch.appendingPathComponent("stdout")
        let errorURL = scratch.appendingPathComponent("stderr")
        try Data().write(to: outputURL)
        try Data().write(to: errorURL)
        let output = try FileHandle(forWritingTo: outputURL)
        let error = try FileHandle(forWritingTo: errorURL)

        let process = Process()
        process.executableURL = try locateExecutable()
        process.arguments = arguments
        process.currentDirectoryURL = directory
        // Help text wraps at the terminal's width; fix it so the golden files do not depend on it.
        var environment = ProcessInfo.processInfo.environment
        environment["COLUMNS"] = "80"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = error
        try process.run()
        return Running(process: process, scratch: scratch, output: output, error: error)
    }
}
