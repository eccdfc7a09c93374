import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The checks every command that writes makes before it writes anything: a file name taken from
/// the topology stays one path component, no output is one of the inputs, and the output folder
/// holds nothing of an older run that could pass for this one's (docs/forwarding.md, "Replay outputs").
public enum OutputPaths {
    /// An output name from a topology object that is not a single, ordinary path component.
    public struct UnsafeName: Error, Equatable, CustomStringConvertible {
        public var name: String
        public var description: String {
            "'\(name)' cannot name an output file: a name must be one path component (no '/', not '.' or '..', "
                + "not starting with '.', at most 255 bytes)"
        }
    }

    /// `directory/name`, or an error when `name` could leave `directory` or hide among its
    /// temporary files: empty, `.`, `..`, a `/` or NUL, a leading `.` (`.NAME.partial-…` are the
    /// atomic writers' temporary files), or longer than a file name can be (NAME_MAX, 255 bytes).
    public static func file(_ name: String, in directory: String) throws(UnsafeName) -> String {
        let bytes = name.utf8
        guard !bytes.isEmpty, bytes.count <= 255, bytes.first != UInt8(ascii: "."),
              !bytes.contains(UInt8(ascii: "/")), !bytes.contains(0)
        else { throw UnsafeName(name: name) }
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The first output that is one of the inputs, by resolved path or by file identity (device
    /// and inode: a hard link or a symbolic link to an input is that input).
    public static func collision(outputs: [String], inputs: [String]) -> (output: String, input: String)? {
        let resolvedInputs = inputs.map { (path: $0, resolved: resolve($0), identity: identity($0)) }
        for output in outputs {
            let resolved = resolve(output), id = identity(output)
            if let input = resolvedInputs.first(where: { ($0.resolved != nil && $0.resolved == resolved) || (id != nil && $0.identity == id) }) {
                return (output, input.path)
            }
        }
        return nil
    }

    /// Removes what an older run left under the names this run writes: the outputs themselves (so
    /// that a run that stops early never leaves an older report beside its own outputs) and the
    /// temporary files `.NAME.partial-PID-N` of processes that no longer run (SIGKILL leaves
    /// them). A missing file is fine; any other failure is returned with the path.
    public static func removePrevious(_ outputs: [String]) -> (path: String, errno: Int32)? {
        var directories: [String: Set<String>] = [:]
        for output in outputs {
            if unlink(output) != 0, errno != ENOENT { return (output, errno) }
            let (directory, name) = split(output)
            directories[directory, default: []].insert(name)
        }
        for (directory, names) in directories {
            guard let stream = opendir(directory) else { continue }
            defer { closedir(stream) }
            while let entry = readdir(stream) {
                let entryName = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                guard let (name, pid) = partialOwner(entryName), names.contains(name),
                      kill(pid, 0) != 0, errno == ESRCH else { continue }
                let path = directory + "/" + entryName
                if unlink(path) != 0, errno != ENOENT { return (path, errno) }
            }
        }
        return nil
    }

    /// Bytes an unprivileged process may still write on the file system holding `directory`.
    public static func availableBytes(in directory: String) -> Int64? {
        var status = statvfs()
        guard statvfs(directory, &status) == 0 else { return nil }
        return Int64(clamping: UInt64(status.f_bavail).multipliedReportingOverflow(by: UInt64(status.f_frsize)).partialValue)
    }

    /// `NAME` and `PID` of an `AtomicFile` temporary file name `.NAME.partial-PID-N`.
    static func partialOwner(_ entry: String) -> (name: String, pid: pid_t)? {
        guard entry.hasPrefix("."), let marker = entry.range(of: ".partial-", options: .backwards) else { return nil }
        let name = String(entry[entry.index(after: entry.startIndex)..<marker.lowerBound])
        let numbers = entry[marker.upperBound...].split(separator: "-")
        guard !name.isEmpty, numbers.count == 2, let pid = pid_t(numbers[0]), pid > 0, Int(numbers[1]) != nil else { return nil }
        return (name, pid)
    }

    /// The directory (`.` when none) and the last component.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = slash == path.startIndex ? "/" : String(path[..<slash])
        return (directory, String(path[path.index(after: slash)...]))
    }

    /// The absolute path with symbolic links resolved; for a file that does not exist yet, its
    /// directory resolved and its name appended.
    static func resolve(_ path: String) -> String? {
        if let full = realpath(path, nil) {
            defer { free(full) }
            return String(cString: full)
        }
        let (directory, name) = split(path)
        guard let full = realpath(directory, nil) else { return nil }
        defer { free(full) }
        let resolved = String(cString: full)
        return resolved == "/" ? "/" + name : resolved + "/" + name
    }

    private struct Identity: Equatable {
        var device: UInt64
        var inode: UInt64
    }

    private static func identity(_ path: String) -> Identity? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return Identity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }
}
