#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An output file that appears under its name only when it is complete.
///
/// Bytes go to a temporary file in the destination's directory (same file system, so the final
/// `rename(2)` is atomic); `commit()` flushes it to disk and renames it over the destination. Until then
/// the destination keeps its previous content, or does not exist: an interrupted run never leaves a
/// half-written file that looks whole. Dropping the value without committing removes the temporary file;
/// if the process dies first, the temporary file keeps its name (`.NAME.partial-PID-N`), which says what
/// it is. (For SIGINT the pipeline should stop reading and commit what it has: then every output is whole.)
///
/// Use it for every output: reports, CSV, SVG and, through `write(_:)` in chunks, streamed captures.
public struct AtomicFile: ~Copyable {
    public let path: String
    public let temporaryPath: String
    private var descriptor: Int32

    /// Creates the temporary file next to `path`.
    public init(path: String) throws(AtomicFileError) {
        let slash = path.lastIndex(of: "/")
        let directoryPrefix = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !name.isEmpty else { throw .invalidPath(path) }
        var attempt = 0
        while true {
            let candidate = directoryPrefix + ".\(name).partial-\(getpid())-\(attempt)"
            let fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 {
                self.path = path
                temporaryPath = candidate
                descriptor = fd
                return
            }
            let code = errno
            guard code == EEXIST, attempt < 1_000 else {
                throw .system(operation: "create a temporary file for", path: path, errno: code)
            }
            attempt += 1
        }
    }

    /// Appends bytes to the temporary file.
    public mutating func write(_ bytes: some Collection<UInt8>) throws(AtomicFileError) {
        let written: Int32? = bytes.withContiguousStorageIfAvailable { buffer in
            Self.writeAll(descriptor, UnsafeRawBufferPointer(buffer))
        }
        let code = written ?? Array(bytes).withUnsafeBytes { Self.writeAll(descriptor, $0) }
        if code != 0 { throw .system(operation: "write", path: path, errno: code) }
    }

    public mutating func write(_ text: String) throws(AtomicFileError) {
        try write(text.utf8)
    }

    /// Flushes the data to disk and renames the temporary file over `path`.
    public consuming func commit() throws(AtomicFileError) {
        let fd = descriptor, temporary = temporaryPath, destination = path
        descriptor = -1  // from here on this function owns the descriptor; deinit leaves it alone
        if fsync(fd) != 0 {
            let code = errno
            close(fd)
            unlink(temporary)
            throw .system(operation: "flush", path: destination, errno: code)
        }
        if close(fd) != 0 {
            let code = errno
            unlink(temporary)
            throw .system(operation: "close", path: destination, errno: code)
        }
        if rename(temporary, destination) != 0 {
            let code = errno
            unlink(temporary)
            throw .system(operation: "rename the finished file to", path: destination, errno: code)
        }
        // Make the rename itself durable; a failure here leaves a complete file, so it is not an error.
        let directoryDescriptor = open(Self.directory(of: destination), O_RDONLY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// Removes the temporary file; the destination is left as it was.
    public consuming func abandon() {
        // deinit removes the temporary file.
    }

    deinit {
        // Abandoned, or neither committed nor abandoned (an error unwound past it): remove the
        // temporary file so nothing half-written is left behind.
        guard descriptor >= 0 else { return }
        close(descriptor)
        unlink(temporaryPath)
    }

    /// Writes `bytes` to `path` atomically in one call.
    public static func write(_ bytes: some Collection<UInt8>, to path: String) throws(AtomicFileError) {
        var file = try AtomicFile(path: path)
        try file.write(bytes)  // if this throws, dropping `file` removes the temporary file
        try file.commit()
    }

    public static func write(_ text: String, to path: String) throws(AtomicFileError) {
        try write(text.utf8, to: path)
    }

    private static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Writes the whole buffer, retrying short writes and EINTR; returns 0 or the errno.
    private static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Int32 {
        guard let base = buffer.baseAddress else { return 0 }
        var offset = 0
        while offset < buffer.count {
            let result = systemWrite(fd, base + offset, buffer.count - offset)
            if result < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += result
        }
        return 0
    }
}

private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Darwin)
    Darwin.write(fd, bytes, count)
    #elseif canImport(Musl)
    Musl.write(fd, bytes, count)
    #else
    Glibc.write(fd, bytes, count)
    #endif
}

public enum AtomicFileError: Error, Equatable, CustomStringConvertible {
    case invalidPath(String)
    case system(operation: String, path: String, errno: Int32)

    public var description: String {
        switch self {
        case .invalidPath(let path):
            "cannot write '\(path)': the path does not name a file"
        case .system(let operation, let path, let code):
            "cannot \(operation) '\(path)': \(String(cString: strerror(code)))"
        }
    }
}
