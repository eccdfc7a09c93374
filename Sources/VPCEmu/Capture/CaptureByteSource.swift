import CZlib

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the native readers get a capture's bytes: the open file itself, or the gzip stream it
/// holds decompressed on the fly (zlib; concatenated gzip members are read one after the other,
/// as gzip -d does). Owns the file and closes it.
final class CaptureByteSource {
    private let file: UnsafeMutablePointer<FILE>
    private let descriptor: Int32
    private let inflater: GzipInflater?
    /// Bytes read from the file so far (compressed ones for a gzip file).
    private(set) var fileBytesRead: Int64 = 0

    var isCompressed: Bool { inflater != nil }

    /// Reads `file` from its start (at offset 0, not yet read through stdio).
    init(file: UnsafeMutablePointer<FILE>, gzip: Bool) {
        self.file = file
        descriptor = fileno(file)
        inflater = gzip ? GzipInflater() : nil
    }

    deinit { fclose(file) }

    /// Reads up to `count` bytes into `buffer`: the number read, 0 at the end, or the reason the
    /// bytes cannot be read (an OS error, damaged or cut-short gzip data).
    func produce(into buffer: UnsafeMutableRawPointer, count: Int) -> (bytes: Int, failure: String?) {
        if let inflater { return inflater.inflate(into: buffer, count: count) { readFile(into: $0, count: $1) } }
        return readFile(into: buffer, count: count)
    }

    private func readFile(into buffer: UnsafeMutableRawPointer, count: Int) -> (bytes: Int, failure: String?) {
        while true {
            let got = read(descriptor, buffer, count)
            if got >= 0 {
                fileBytesRead &+= Int64(got)
                return (got, nil)
            }
            if errno != EINTR { return (0, "error reading dump file: \(String(cString: strerror(errno)))") }
        }
    }
}

/// A zlib inflate stream over gzip members (RFC 1952). The z_stream lives on the heap: zlib
/// keeps a pointer to it and refuses a moved stream.
private final class GzipInflater {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
    private var inputAtEnd = false
    private var memberEnded = false
    private var failure: String?

    init() {
        stream.initialize(to: z_stream())
        // 15 window bits + 16: a gzip header and trailer, not a zlib one.
        if inflateInit2_(stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) != Z_OK {
            failure = "zlib cannot start inflating"
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        input.deallocate()
    }

    func inflate(
        into buffer: UnsafeMutableRawPointer, count: Int,
        readFile: (UnsafeMutableRawPointer, Int) -> (bytes: Int, failure: String?)
    ) -> (bytes: Int, failure: String?) {
        if let failure { return (0, failure) }
        stream.pointee.next_out = buffer.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(clamping: count)
        while stream.pointee.avail_out > 0 {
            if stream.pointee.avail_in == 0 && !inputAtEnd {
                let (got, error) = readFile(input.baseAddress!, input.count)
                if let error { return fail(error, produced: buffer) }
                if got == 0 { inputAtEnd = true }
                stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = uInt(got)
            }
            if stream.pointee.avail_in == 0 && inputAtEnd {
                // The end of the file: clean after a whole member, cut short inside one.
                if memberEnded { break }
                return fail("the gzip data is cut short: the file ends inside a compressed member", produced: buffer)
            }
            if memberEnded {
                // Another member follows (as `cat a.gz b.gz` writes).
                inflateReset(stream)
                memberEnded = false
            }
            switch CZlib.inflate(stream, Z_NO_FLUSH) {
            case Z_OK, Z_BUF_ERROR: continue
            case Z_STREAM_END: memberEnded = true
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "unknown zlib error"
                return fail("the gzip data is damaged (zlib: \(message))", produced: buffer)
            }
        }
        return (produced(since: buffer), nil)
    }

    private func produced(since buffer: UnsafeMutableRawPointer) -> Int {
        UnsafeMutableRawPointer(stream.pointee.next_out) - buffer
    }

    /// Returns what this call produced; the failure is kept and returned by the next call (so that
    /// complete records before the damage are delivered first).
    private func fail(_ message: String, produced buffer: UnsafeMutableRawPointer) -> (bytes: Int, failure: String?) {
        failure = message
        let bytes = produced(since: buffer)
        return bytes > 0 ? (bytes, nil) : (0, message)
    }
}

/// The unread part of the bytes read so far: `storage[start ..< end]`. The native readers work in
/// one large block, refilled by `makeAvailable`.
struct ReadBlock {
    let source: CaptureByteSource
    private(set) var storage: UnsafeMutableRawBufferPointer
    var start = 0
    var end = 0
    private(set) var atEnd = false
    /// Bytes the source has produced (decompressed ones for a gzip file).
    private(set) var bytesProduced: Int64 = 0

    /// The native readers' block: large reads, and room for the largest classic record.
    static let defaultSize = 1 << 20

    init(source: CaptureByteSource, size: Int = defaultSize) {
        self.source = source
        storage = .allocate(byteCount: size, alignment: 64)
    }

    /// Frees the storage (the owner's deinit: a `ReadBlock` is copied around, the storage is one).
    func deallocate() { storage.deallocate() }

    var unread: Int { end &- start }
    var pointer: UnsafeRawPointer { UnsafeRawPointer(storage.baseAddress!) + start }

    /// Bytes of the file consumed so far: those produced and not left unread, or for a gzip file
    /// the compressed bytes read (a progress figure).
    var fileBytesConsumed: Int64 {
        source.isCompressed ? source.fileBytesRead : bytesProduced &- Int64(unread)
    }

    /// Moves the unread bytes to the front (growing the storage when `count` is larger) and reads
    /// until at least `count` bytes are unread or the source ends. Returns the source's failure
    /// when fewer than `count` bytes could be made available because of it.
    mutating func makeAvailable(_ count: Int) -> String? {
        if count > storage.count {
            let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 64)
            if unread > 0 { larger.baseAddress!.copyMemory(from: storage.baseAddress! + start, byteCount: unread) }
            storage.deallocate()
            storage = larger
            (start, end) = (0, end &- start)
        } else if start > 0 {
            let unread = self.unread
            if unread > 0 { memmove(storage.baseAddress!, storage.baseAddress! + start, unread) }
            (start, end) = (0, unread)
        }
        while end < count && !atEnd {
            let (got, failure) = source.produce(into: storage.baseAddress! + end, count: storage.count &- end)
            if let failure { return failure }
            if got == 0 { atEnd = true }
            end &+= got
            bytesProduced &+= Int64(got)
        }
        return nil
    }

    /// Consumes `count` bytes, reading past the block when they are not all in it. Returns how
    /// many could not be consumed (the source ended) and the source's failure, if any.
    mutating func skip(_ count: Int) -> (missing: Int, failure: String?) {
        var remaining = count
        while remaining > unread {
            remaining &-= unread
            (start, end) = (0, 0)
            if atEnd { return (remaining, nil) }
            if let failure = makeAvailable(min(remaining, storage.count)) { return (remaining, failure) }
            if unread == 0 { return (remaining, nil) }
        }
        start &+= remaining
        return (0, nil)
    }
}
