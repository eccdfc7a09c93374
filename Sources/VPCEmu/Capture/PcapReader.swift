#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Streams a pcap or pcapng file (either byte order, plain or gzip-compressed) in reusable
/// batches. Timestamps are read at nanosecond precision whatever the file stores. Memory stays
/// flat: one read buffer and the batch.
///
/// `init` is the one place that picks the engine for a file's format: plain classic pcap (the
/// microsecond or nanosecond magic in either byte order, version 2.4, a link type VPCEmu decodes)
/// is sliced by `ClassicPcapFileReader` straight out of large reads, pcapng by `PcapngFileReader`;
/// a gzip file (magic 1f 8b, whatever its name) goes through the same two, decompressed on the
/// way (`CaptureByteSource`). Everything else — older versions, odd magics and link types —
/// goes through libpcap (`LibpcapFileReader`); other compressions are refused with the command
/// that decompresses them. The native readers deliver the packets, timestamps, wire lengths and
/// link types libpcap delivers (the classic one also its errors, message for message), which the
/// tests check on the whole tcpdump corpus; the pcapng one also reads what libpcap refuses
/// (interfaces of different link types or snapshot lengths).
///
/// Errors are raised in file order (here, for both engines): a damaged record is reported only
/// after every packet before it was delivered, on the `nextBatch` call after the one that
/// delivered them.
public final class PcapReader {
    /// Which code reads the file.
    public enum Engine: Sendable {
        /// The native readers for classic pcap, pcapng and their gzip files, libpcap for anything else.
        case fastestForFormat
        /// libpcap for every format: the reference the native reader is tested against.
        case libpcap
    }

    public let path: String
    /// The file's link type: a pcapng file's first interface's. Each batch carries its packets' own.
    public let linkType: LinkType
    /// Packets delivered so far; also the index of the next record.
    public private(set) var recordsDelivered = 0
    private let source: Source
    private var pendingError: CaptureError?
    private var reachedEnd = false

    private enum Source {
        case classic(ClassicPcapFileReader)
        case pcapng(PcapngFileReader)
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
        if engine == .fastestForFormat {
            var magic: UInt32 = 0
            let got = withUnsafeMutableBytes(of: &magic) { pread(fileno(file), $0.baseAddress, 4, 0) }
            let compression = got == 4 ? CaptureCompression(magic: magic) : nil
            if let compression, compression != .gzip {
                fclose(file)
                throw .damaged(file: path, location: .fileHeader, reason: compression.refusal(path))
            }
            if compression == .gzip || ClassicPcapFileHeader(readingStartOf: fileno(file)) != nil
                || (got == 4 && magic == PcapngFileReader.sectionHeaderType) {
                var block = ReadBlock(source: CaptureByteSource(file: file, gzip: compression == .gzip))
                let failure = block.makeAvailable(ClassicPcapFileHeader.size)
                if let header = ClassicPcapFileHeader(UnsafeRawBufferPointer(start: block.pointer, count: block.unread)) {
                    block.start &+= ClassicPcapFileHeader.size
                    source = .classic(ClassicPcapFileReader(block: block, header: header))
                    linkType = header.linkType
                } else if block.unread >= 4, block.pointer.loadUnaligned(as: UInt32.self) == PcapngFileReader.sectionHeaderType {
                    let reader = try PcapngFileReader(path: path, block: block)
                    source = .pcapng(reader)
                    linkType = reader.linkType
                } else {
                    block.deallocate()
                    throw .damaged(file: path, location: .fileHeader, reason: failure
                        ?? "gzip-compressed, and what it holds is not a pcap or pcapng file VPCEmu reads natively; decompress it (gunzip -k \(path)) to read it")
                }
                return
            }
        }
        let reader = try LibpcapFileReader(path: path, file: file)
        source = .libpcap(reader)
        linkType = reader.linkType
    }

    /// Why an engine stopped filling a batch.
    enum BatchEnd {
        /// The batch is full (its packets or its bytes); the file goes on.
        case full
        case endOfFile
        /// The next record is damaged: libpcap's message.
        case damaged(String)
        /// The pcapng block with this index is damaged.
        case damagedBlock(Int, String)
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
        batch.reset(firstRecordIndex: recordsDelivered, linkType: linkType)
        let end = switch source {
        case .classic(let reader): reader.fill(&batch)
        case .pcapng(let reader): reader.fill(&batch)
        case .libpcap(let reader): reader.fill(&batch)
        }
        recordsDelivered &+= batch.count
        switch end {
        case .full: break
        case .endOfFile: reachedEnd = true
        case .damaged(let reason): pendingError = .damaged(file: path, location: .record(recordsDelivered), reason: reason)
        case .damagedBlock(let block, let reason):
            pendingError = .damaged(file: path, location: .block(block, record: recordsDelivered), reason: reason)
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
        case .pcapng(let reader): reader.bytesRead
        case .libpcap(let reader): reader.bytesRead
        }
    }

    /// Whether a native reader (classic or pcapng) reads this file (tests and benchmarks).
    var readsNatively: Bool {
        if case .libpcap = source { false } else { true }
    }
}
