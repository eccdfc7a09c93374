#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The 24-byte header of a classic pcap file, when it is one `ClassicPcapFileReader` reads the way
/// libpcap 1.10 does: magic a1b2c3d4 (microseconds) or a1b23c4d (nanoseconds) in either byte order,
/// version 2.4, a link type VPCEmu decodes with no extension bits. Anything else (older versions,
/// whose lengths libpcap may swap; the modified-pcap magic with longer record headers; FCS bits)
/// is left to libpcap.
struct ClassicPcapFileHeader: Equatable {
    static let size = 24
    /// libpcap's largest sane captured length for every link type VPCEmu decodes
    /// (`MAXIMUM_SNAPLEN`; only D-Bus, EBHSCR and USBPcap have larger ones).
    static let maximumCapturedLength: UInt32 = 262_144

    let linkType: LinkType
    /// The records are in the other byte order than this host's.
    let swapped: Bool
    /// Nanoseconds per unit of the records' subsecond field (1,000 for microsecond files).
    let subsecondScale: Int64
    /// The snapshot length libpcap uses: the header's, or the maximum when it is 0 or above
    /// `Int32.max` (`pcap_adjust_snapshot`). Longer records are cut to it.
    let snapshot: UInt32

    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.size else { return nil }
        let magic = bytes.loadUnaligned(as: UInt32.self)
        switch magic {
        case 0xA1B2_C3D4: (swapped, subsecondScale) = (false, 1000)
        case 0xA1B2_3C4D: (swapped, subsecondScale) = (false, 1)
        case 0xD4C3_B2A1: (swapped, subsecondScale) = (true, 1000)
        case 0x4D3C_B2A1: (swapped, subsecondScale) = (true, 1)
        default: return nil
        }
        let swapped = self.swapped
        func field<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
            return swapped ? value.byteSwapped : value
        }
        guard field(4, UInt16.self) == 2, field(6, UInt16.self) == 4,
              let linkType = LinkType(rawValue: field(20, UInt32.self))
        else { return nil }
        // libpcap byte-swaps the CAN identifier behind a Linux cooked header and NFLOG's attribute
        // headers in a swapped file (pcap-common.c, swap_pseudo_headers): leave those files to it.
        guard !swapped || (linkType != .linuxSLL && linkType != .linuxSLL2 && linkType != .nflog) else { return nil }
        self.linkType = linkType
        let snapshot = field(16, UInt32.self)
        self.snapshot = snapshot == 0 || snapshot > UInt32(Int32.max) ? Self.maximumCapturedLength : snapshot
    }

    /// Reads the header at the start of the open file `descriptor` without moving its offset
    /// (`pread`); nil when it is not one the native reader takes, or cannot be read.
    init?(readingStartOf descriptor: Int32) {
        var bytes = (UInt64(0), UInt64(0), UInt64(0))
        let parsed: ClassicPcapFileHeader? = withUnsafeMutableBytes(of: &bytes) { buffer in
            guard pread(descriptor, buffer.baseAddress, Self.size, 0) == Self.size else { return nil }
            return ClassicPcapFileHeader(UnsafeRawBufferPointer(buffer))
        }
        guard let parsed else { return nil }
        self = parsed
    }
}

/// `PcapReader`'s engine for plain classic pcap files (`ClassicPcapFileHeader`): reads the file
/// (or its decompressed gzip stream) in 1 MiB blocks (`ReadBlock`) and copies each record's bytes
/// from the block into the batch — no stdio, no libpcap callback, one copy per packet. It validates what libpcap 1.10 validates, in the
/// same order and with the same messages: a record header cut short, a captured length above
/// 262,144, record data cut short; a record longer than the snapshot length is cut to it.
final class ClassicPcapFileReader {
    let header: ClassicPcapFileHeader
    private var block: ReadBlock

    /// The largest record (header and data) is 16 + 262,144 bytes, so a block always holds one.
    static let blockSize = ReadBlock.defaultSize
    static let recordHeaderSize = 16

    /// Reads the records from `block`, whose file header (`header`) was consumed.
    init(block: ReadBlock, header: ClassicPcapFileHeader) {
        self.block = block
        self.header = header
    }

    deinit { block.deallocate() }

    /// Bytes of the file consumed so far (the file header and every record delivered or in the
    /// batch being filled).
    var bytesRead: Int64 { block.fileBytesConsumed }

    /// Fills `batch` (empty, reset by `PcapReader`) with the next records.
    func fill(_ batch: inout PacketBatch) -> PcapReader.BatchEnd {
        switch batch.fillColumns({ fill(&$0) }) {
        case .batchFull, .recordLargerThanBatch: return .full
        case .endOfFile: return .endOfFile
        case .damaged(let reason): return .damaged(reason)
        }
    }

    /// Copies records from the block into `columns` until the batch is full, the file ends or a
    /// record is damaged.
    private func fill(_ columns: inout PacketBatch.Columns) -> PacketBatch.FillStop {
        // The block is worked on in a local copy: no exclusivity check per access to `self`.
        var block = self.block
        defer { self.block = block }
        let swapped = header.swapped, subsecondScale = header.subsecondScale, snapshot = header.snapshot
        let headerSize = Self.recordHeaderSize
        while columns.count < columns.offsets.count {
            if block.unread < headerSize {
                if let failure = block.makeAvailable(headerSize) { return .damaged(failure) }
                let available = block.unread
                if available == 0 { return .endOfFile }
                if available < headerSize {
                    return .damaged("truncated dump file; tried to read \(headerSize) header bytes, only got \(available)")
                }
            }
            let record = block.pointer
            let seconds: Int64, subseconds: Int64
            var capturedLength = record.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
            var wireLength = record.loadUnaligned(fromByteOffset: 12, as: UInt32.self)
            // libpcap 1.10 reads the timestamp fields as signed 32-bit numbers, but byte-swaps them
            // into unsigned ones.
            if swapped {
                seconds = Int64(record.loadUnaligned(as: UInt32.self).byteSwapped)
                subseconds = Int64(record.loadUnaligned(fromByteOffset: 4, as: UInt32.self).byteSwapped)
                capturedLength = capturedLength.byteSwapped
                wireLength = wireLength.byteSwapped
            } else {
                seconds = Int64(record.loadUnaligned(as: Int32.self))
                subseconds = Int64(record.loadUnaligned(fromByteOffset: 4, as: Int32.self))
            }
            // libpcap names the snapshot length when the record exceeds it too, else the maximum.
            if capturedLength > ClassicPcapFileHeader.maximumCapturedLength {
                let limit = capturedLength > snapshot
                    ? "snaplen of \(snapshot)" : "maximum of \(ClassicPcapFileHeader.maximumCapturedLength)"
                return .damaged("invalid packet capture length \(capturedLength), bigger than \(limit)")
            }
            let recordSize = headerSize &+ Int(capturedLength)
            if block.unread < recordSize {
                if let failure = block.makeAvailable(recordSize) { return .damaged(failure) }
                let available = block.unread
                if available < recordSize {
                    return .damaged(Self.truncatedData(
                        capturedLength: capturedLength, snapshot: snapshot, got: available &- headerSize))
                }
            }
            let kept = min(capturedLength, snapshot)
            let timestamp = seconds &* 1_000_000_000 &+ subseconds &* subsecondScale
            let data = (block.pointer + headerSize).assumingMemoryBound(to: UInt8.self)
            guard columns.append(data, capturedLength: kept, wireLength: wireLength, timestamp: timestamp) else {
                return columns.count == 0 ? .recordLargerThanBatch(Int(kept)) : .batchFull
            }
            block.start &+= recordSize
        }
        return .batchFull
    }

    /// libpcap's message for record data cut short (`got` bytes of it left in the file). A record
    /// longer than the snapshot is read as the snapshot's bytes, then the rest is discarded.
    private static func truncatedData(capturedLength: UInt32, snapshot: UInt32, got: Int) -> String {
        let attempted = capturedLength > snapshot && got < Int(snapshot) ? snapshot : capturedLength
        return "truncated dump file; tried to read \(attempted) captured bytes, only got \(got)"
    }
}
