#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An output file written under a temporary name in the destination's directory and renamed
/// over the destination only by `commit()`. rename(2) within one directory is atomic, so an
/// interrupted run leaves either the old file or the complete new one, never a half-written
/// file that looks whole. An uncommitted file is removed when the owner is deallocated.
struct AtomicOutputFile: ~Copyable {
    let destination: String
    let temporaryPath: String
    /// The open stream; nil after `commit()` or `discard()`.
    private(set) var stream: UnsafeMutablePointer<FILE>?

    init(destination: String) throws(CaptureError) {
        let slash = destination.lastIndex(of: "/")
        let directory = slash.map { String(destination[...$0]) } ?? ""
        let name = slash.map { String(destination[destination.index(after: $0)...]) } ?? destination
        var template = Array("\(directory).\(name).partial-XXXXXX".utf8CString)
        let descriptor = mkstemp(&template)
        guard descriptor >= 0 else {
            throw .cannotWrite(file: destination, reason: String(cString: strerror(errno)))
        }
        let temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        // mkstemp creates the file 0600; give it the mode a plain fopen would (0666 & ~umask).
        let mask = umask(0)
        umask(mask)
        fchmod(descriptor, 0o666 & ~mask)
        guard let stream = fdopen(descriptor, "wb") else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            unlink(temporaryPath)
            throw .cannotWrite(file: destination, reason: reason)
        }
        self.destination = destination
        self.temporaryPath = temporaryPath
        self.stream = stream
    }

    deinit {
        if let stream {
            fclose(stream)
            unlink(temporaryPath)
        }
    }

    /// Flushes, closes and renames the temporary file over the destination.
    mutating func commit() throws(CaptureError) {
        guard let stream else { return }
        self.stream = nil
        let flushed = fflush(stream) == 0 && ferror(stream) == 0
        let reason = flushed ? "" : String(cString: strerror(errno))
        let closed = fclose(stream) == 0
        guard flushed, closed else {
            unlink(temporaryPath)
            throw .cannotWrite(file: destination, reason: flushed ? String(cString: strerror(errno)) : reason)
        }
        guard rename(temporaryPath, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw .cannotWrite(file: destination, reason: reason)
        }
    }

    /// Closes and removes the temporary file; the destination is left as it was.
    mutating func discard() {
        guard let stream else { return }
        self.stream = nil
        fclose(stream)
        unlink(temporaryPath)
    }
}
