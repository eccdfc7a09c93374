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
/// it is. (For SIGINT the pipeline stops reading and commits what it has: then every output is whole.)
///
/// Every output goes through it: reports, CSV, SVG, and the pcap/pcapng writers, which write to `stream`.
public struct AtomicFile: ~Copyable {
    public let path: String
    public let temporaryPath: String
    /// The buffered stream of the temporary file; nil once committed or abandoned.
    private(set) var stream: UnsafeMutablePointer<FILE>?

    static let bufferSize = 1 << 20

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
                guard let stream = fdopen(fd, "wb") else {
                    let code = errno
                    close(fd)
                    unlink(candidate)
                    throw .system(operation: "open a stream for", path: path, errno: code)
                }
                // Outputs are written record by record: a megabyte of buffer makes that a write(2)
                // per megabyte rather than per 4 KiB (glibc allocates it at the first write).
                setvbuf(stream, nil, _IOFBF, Self.bufferSize)
                self.path = path
                temporaryPath = candidate
                self.stream = stream
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
        let complete: Bool? = bytes.withContiguousStorageIfAvailable { buffer in
            buffer.isEmpty || fwrite(buffer.baseAddress, 1, buffer.count, stream) == buffer.count
        }
        let written = complete ?? Array(bytes).withUnsafeBytes { $0.isEmpty || fwrite($0.baseAddress, 1, $0.count, stream) == $0.count }
        if !written { throw .system(operation: "write", path: path, errno: errno) }
    }

    public mutating func write(_ text: String) throws(AtomicFileError) {
        try write(text.utf8)
    }

    /// Flushes the data to disk and renames the temporary file over `path`.
    public mutating func commit() throws(AtomicFileError) {
        guard let stream else { return }
        self.stream = nil  // from here on this function owns the stream; deinit leaves it alone
        func fail(_ operation: String, _ code: Int32) -> AtomicFileError {
            unlink(temporaryPath)
            return .system(operation: operation, path: path, errno: code)
        }
        if fflush(stream) != 0 || ferror(stream) != 0 {
            let code = errno
            fclose(stream)
            throw fail("write", code)
        }
        if fsync(fileno(stream)) != 0 {
            let code = errno
            fclose(stream)
            throw fail("flush", code)
        }
        if fclose(stream) != 0 { throw fail("close", errno) }
        if rename(temporaryPath, path) != 0 { throw fail("rename the finished file to", errno) }
        // Make the rename itself durable; a failure here leaves a complete file, so it is not an error.
        let directoryDescriptor = open(Self.directory(of: path), O_RDONLY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// Removes the temporary file; the destination is left as it was.
    public mutating func abandon() {
        guard let stream else { return }
        self.stream = nil
        fclose(stream)
        unlink(temporaryPath)
    }

    deinit {
        // Neither committed nor abandoned (an error unwound past it): remove the temporary file so
        // nothing half-written is left behind.
        guard let stream else { return }
        fclose(stream)
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

    /// The cause alone, without the path.
    public var reason: String {
        switch self {
        case .invalidPath: "the path does not name a file"
        case .system(_, _, let code): String(cString: strerror(code))
        }
    }
}
