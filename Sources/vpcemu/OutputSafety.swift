import ArgumentParser
import Foundation
import Synchronization
import VPCEmu

/// SIGINT and SIGTERM, handled alike by every command that writes: the handler only records the
/// signal; the command checks `received` between batches, finishes (replay) or removes (generate,
/// graph) its partial outputs and exits with 128 + the signal's number (`exitIfReceived`).
enum StopSignal {
    private static let signal = Atomic<Int32>(0)

    /// Installs the handlers; call before the first output is opened.
    static func install() {
        var set = sigset_t()
        sigemptyset(&set)
        for number in [SIGINT, SIGTERM] {
            Foundation.signal(number) { number in StopSignal.signal.store(number, ordering: .relaxed) }
            sigaddset(&set, number)
        }
        // A parent may have started us with them blocked (Foundation's Process does): unblock them.
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// The signal received since `install`, or nil.
    static var received: Int32? {
        let number = signal.load(ordering: .relaxed)
        return number == 0 ? nil : number
    }

    /// After a signal: says what was kept and exits 130 (SIGINT) or 143 (SIGTERM), the status a
    /// shell reports for a process the signal ended.
    static func exitIfReceived(_ kept: String) throws {
        guard let number = received else { return }
        printError("\(number == SIGTERM ? "terminated" : "interrupted"): \(kept)")
        throw ExitCode(128 + number)
    }
}

/// The checks on output options that need no input (`validate()`): ArgumentParser then prints the
/// message with the subcommand's usage and exits 64.
enum OutputOption {
    /// `--out DIR`: not empty, and not an existing file that is not a directory.
    static func validateDirectory(_ path: String, option: String = "--out") throws {
        if path.isEmpty { throw ValidationError("\(option): give a directory name") }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw ValidationError("\(option) \(path): exists and is not a directory")
        }
    }

    /// `--out FILE`: not empty, not a directory, in a directory that exists.
    static func validateFile(_ path: String, option: String) throws {
        if path.isEmpty { throw ValidationError("\(option): give a file name") }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ValidationError("\(option) \(path): is a directory; give a file name")
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, !(FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory) && isDirectory.boolValue) {
            throw ValidationError("\(option) \(path): no directory \(parent)")
        }
    }
}

/// The cause of a Foundation file error in plain words (`Permission denied`), not its
/// `NSCocoaErrorDomain` dump.
func plainReason(_ error: any Error) -> String {
    let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
    if let underlying, underlying.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(underlying.code))) }
    return (error as NSError).localizedFailureReason ?? error.localizedDescription
}

/// Creates `directory` (and its parents) for the outputs; exits 1 with a plain message when it cannot.
func createOutputDirectory(_ directory: String) throws {
    do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
        printError("\(directory): cannot create the directory: \(plainReason(error))")
        throw ExitCode.failure
    }
}

extension ParsableCommand {
    /// Exits 64 with the subcommand's usage when an output would replace one of the inputs
    /// (`OutputPaths.collision`: same resolved path, or the same file by device and inode).
    static func refuseOverwriting(inputs: [String], with outputs: [String]) throws {
        if let (output, input) = OutputPaths.collision(outputs: outputs, inputs: inputs) {
            try usageError(output == input ? "\(output) is an input; choose another output" : "\(output) would replace the input \(input); choose another output")
        }
    }

    /// A usage error found in `run()`: printed as ArgumentParser prints one from `validate()`, with
    /// this subcommand's usage, then exit 64.
    static func usageError(_ message: String) throws -> Never {
        let usage = VPCEmuCommand.usageString(for: Self.self)
        let command = usage.split(separator: " ").prefix { !$0.hasPrefix("<") && !$0.hasPrefix("[") && !$0.hasPrefix("-") }.joined(separator: " ")
        printError("Error: \(message)\nUsage: \(usage)\n  See '\(command) --help' for more information.")
        throw ExitCode.validationFailure
    }

    /// Removes the outputs an older run left under the names this run writes, and the temporary
    /// files of runs that were killed (`OutputPaths.removePrevious`); exits 1 when it cannot.
    static func removePreviousOutputs(_ outputs: [String]) throws {
        if let (path, code) = OutputPaths.removePrevious(outputs) {
            printError("\(path): cannot remove the previous run's file: \(String(cString: strerror(code)))")
            throw ExitCode.failure
        }
    }
}
