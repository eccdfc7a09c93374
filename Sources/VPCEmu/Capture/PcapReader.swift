#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Streams a pcap or pcapng file (either byte order) in reusable batches. Timestamps are read at
/// nanosecond precision whatever the file stores. Memory stays flat: one read buffer and the batch.
///
/// `init` is the one place that picks the engine for a file's format: plain classic pcap (the
/// microsecond or nanosecond magic in either byte order, version 2.4, a link type VPCEmu decodes)
/// is sliced by `ClassicPcapFileReader` straight out of large reads; everything else — pcapng,
/// older versions, odd magics and link types, files whose start cannot be read — goes through
/// libpcap (`LibpcapFileReader`). Both deliver the same packets, timestamps, wire lengths, link
/// type and errors (libpcap's messages), which the tests check on the whole tcpdump corpus.
///
/// Errors are raised in file order (here, for both engines): a damaged record is reported only
/// after every packet before it was delivered, on the `nextBatch` call after the one that
/// delivered them.
public final class PcapReader {
    /// Which code reads the file.
    public enum Engine: Sendable {
        /// The native reader for plain classic pcap, libpcap for anything else.
        case fastestForFormat
        /// libpcap for every format: the reference the native reader is tested against.
        case libpcap
    }

    public let path: String
    public let linkType: LinkType
    /// Packets delivered so far; also the index of the next record.
    public private(set) var recordsDelivered = 0
    private let source: Source
    private var pendingError: CaptureError?
    private var reachedEnd = false

    private enum Source {
        case classic(ClassicPcapFileReader)
        case libpcap(LibpcapFileReader)
    }

    public init(path: String, engine: Engine = .fastestForFormat) throws(CaptureError) {
        self.path = path
        // Open the file ourselves so that an OS error (missing, unreadable) is told apart from
        // a file that is not a capture.
        guard let file = fopen(path, "rb") else {
            throw .cannotOpen(file: path, reason: String(cString: strerror(errno)))
        }
        var status = stat()
        if fstat(fileno(file), &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
            fclose(file)
            throw .cannotOpen(file: path, reason: String(cString: strerror(EISDIR)))
        }
        if engine == .fastestForFormat, let header = ClassicPcapFileHeader(readingStartOf: fileno(file)) {
            source = .classic(ClassicPcapFileReader(file: file, header: header))
            linkType = header.linkType
        } else {
            let reader = try LibpcapFileReader(path: path, file: file)
            source = .libpcap(reader)
            linkType = reader.linkType
        }
    }

    /// Why an engine stopped filling a batch.
    enum BatchEnd {
        /// The batch is full (its packets or its bytes); the file goes on.
        case full
        case endOfFile
        /// The next record is damaged: libpcap's message.
        case damaged(String)
    }

    /// Refills `batch` with the next packets. Returns false at the end of the file; throws the
    /// file's damage once every packet before the damaged record has been delivered.
    public func nextBatch(into batch: inout PacketBatch) throws(CaptureError) -> Bool {
        if let error = pendingError {
            pendingError = nil
            reachedEnd = true
            throw error
        }
        guard !reachedEnd else { return false }
        batch.reset(firstRecordIndex: recordsDelivered)
        let end = switch source {
        case .classic(let reader): reader.fill(&batch)
        case .libpcap(let reader): reader.fill(&batch)
        }
        recordsDelivered &+= batch.count
        switch end {
        case .full: break
        case .endOfFile: reachedEnd = true
        case .damaged(let reason): pendingError = .damaged(file: path, location: .record(recordsDelivered), reason: reason)
        }
        if batch.isEmpty {
            // Nothing to deliver: report the end or the damage right away.
            return try nextBatch(into: &batch)
        }
        return true
    }

    /// Bytes of the file consumed so far, for progress reports.
    public var bytesRead: Int64 {
        switch source {
        case .classic(let reader): reader.bytesRead
        case .libpcap(let reader): reader.bytesRead
        }
    }

    /// Whether the native classic-pcap reader reads this file (tests and benchmarks).
    var readsNatively: Bool {
        if case .classic = source { true } else { false }
    }
}
