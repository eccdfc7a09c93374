import CPcap

/// One interface of a pcapng section (its Interface Description Block).
struct PcapngInterface {
    /// nil for a link type VPCEmu does not decode (an error at the interface's first packet).
    let linkType: LinkType?
    let rawLinkType: UInt16
    /// Longer packets are cut to it; 0 and values above the maximum mean the maximum, as libpcap.
    let snapshot: UInt32
    /// Timestamp units per second (`if_tsresol`; 10^6 by default).
    let unitsPerSecond: UInt64
    /// Nanoseconds per unit when that is a whole number (resolutions of 10^0 … 10^9), else 0.
    let nanosecondsPerUnit: Int64
    /// `if_tsoffset`: seconds added to every timestamp.
    let offsetSeconds: Int64

    /// A packet's timestamp in nanoseconds since the epoch: the units split into seconds and a
    /// fraction scaled down to nanoseconds (rounded down), as libpcap converts them.
    @inline(__always)
    func nanoseconds(_ units: UInt64) -> Int64 {
        if nanosecondsPerUnit != 0 {
            return Int64(bitPattern: units) &* nanosecondsPerUnit &+ offsetSeconds &* 1_000_000_000
        }
        let (seconds, fraction) = units.quotientAndRemainder(dividingBy: unitsPerSecond)
        let scaled = fraction.multipliedFullWidth(by: 1_000_000_000)
        let nanoseconds = unitsPerSecond.dividingFullWidth((scaled.high, scaled.low)).quotient
        return (Int64(bitPattern: seconds) &+ offsetSeconds) &* 1_000_000_000 &+ Int64(nanoseconds)
    }
}

/// `PcapReader`'s engine for pcapng files (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-03.html),
/// read like the classic reader from large blocks of the file or its gzip stream (`ReadBlock`).
///
/// Every section (Section Header Block) has its byte order and its interfaces (Interface
/// Description Blocks), each with its link type, snapshot length, `if_tsresol` and `if_tsoffset`;
/// a new section forgets the previous one's interfaces. Packets come from Enhanced, Simple (on
/// interface 0, cut to the snapshot and the block) and obsolete Packet Blocks; every other block
/// (name resolution, statistics, decryption secrets, custom, unknown) is skipped. A batch holds
/// packets of one link type: it ends where the next packet's interface has another.
///
/// Damage — a block length that is too small, not a multiple of 4 or above 16 MiB, a trailing
/// length that differs, a block cut short, an interface id with no interface, a captured length
/// past the block — is reported with the 0-based index of the block, after every packet before it.
final class PcapngFileReader {
    static let sectionHeaderType: UInt32 = 0x0A0D_0D0A
    static let interfaceDescriptionType: UInt32 = 1
    static let obsoletePacketType: UInt32 = 2
    static let simplePacketType: UInt32 = 3
    static let enhancedPacketType: UInt32 = 6
    static let byteOrderMagic: UInt32 = 0x1A2B_3C4D
    /// Blocks longer than this are damage (libpcap's largest is 16 MiB too).
    static let maximumBlockLength = 1 << 24
    /// What libpcap uses for a snapshot length of 0 or above `Int32.max` (`pcap_adjust_snapshot`).
    static let maximumSnapshot = ClassicPcapFileHeader.maximumCapturedLength

    /// The first interface's link type (the file's, for callers that need one).
    private(set) var linkType = LinkType.ethernet
    private var blocks: PcapngBlocks

    /// Reads the first section header and the blocks up to the first interface from `block`
    /// (the file's start): damage there, or a first interface in a link type VPCEmu does not
    /// decode, is an error of the file header.
    init(path: String, block: ReadBlock) throws(CaptureError) {
        var blocks = PcapngBlocks(block: block)
        let first: PcapngInterface
        do throws(CaptureError) { first = try blocks.readUntilFirstInterface(path: path) } catch {
            blocks.block.deallocate()
            throw error
        }
        self.blocks = blocks
        guard let linkType = first.linkType else {
            let raw = Int32(first.rawLinkType)
            throw .unsupportedLinkType(file: path, dlt: raw, name: pcap_datalink_val_to_name(raw).map { String(cString: $0) } ?? "unknown")
        }
        self.linkType = linkType
    }

    deinit { blocks.block.deallocate() }

    var bytesRead: Int64 { blocks.block.fileBytesConsumed }

    /// Fills `batch` (empty, reset by `PcapReader`) with the next packets.
    func fill(_ batch: inout PacketBatch) -> PcapReader.BatchEnd {
        switch batch.fillColumns({ fill(&$0) }) {
        case .batchFull, .recordLargerThanBatch: return .full
        case .endOfFile: return .endOfFile
        case .damaged(let reason): return .damagedBlock(blocks.blockIndex, reason)
        }
    }

    /// The blocks are worked on in a local copy: no exclusivity check per access to `self`.
    private func fill(_ columns: inout PacketBatch.Columns) -> PacketBatch.FillStop {
        var blocks = self.blocks
        defer { self.blocks = blocks }
        return blocks.fill(&columns)
    }
}

/// `PcapngFileReader`'s state and block-by-block reading: the read block, the current section's
/// byte order and interfaces, the index of the next block.
struct PcapngBlocks {
    typealias Reader = PcapngFileReader
    var block: ReadBlock
    private var interfaces: [PcapngInterface] = []
    /// The current section's byte order is not this host's.
    private var swapped = false
    /// The 0-based index of the next block in the file.
    private(set) var blockIndex = 0

    init(block: ReadBlock) { self.block = block }

    /// The blocks up to the first interface (the file header); returns that interface.
    mutating func readUntilFirstInterface(path: String) throws(CaptureError) -> PcapngInterface {
        while true {
            switch nextBlock() {
            case .block(let type, let length):
                if blockIndex == 0 && type != Reader.sectionHeaderType {
                    throw .damaged(file: path, location: .fileHeader, reason: "not a pcapng file: it does not start with a section header block")
                }
                if type == Reader.enhancedPacketType || type == Reader.simplePacketType || type == Reader.obsoletePacketType {
                    throw .damaged(file: path, location: .fileHeader, reason: "block \(blockIndex) is a packet block before any interface description block")
                }
                if let reason = interpret(type: type, length: length) { throw .damaged(file: path, location: .fileHeader, reason: reason) }
                block.start &+= length
                blockIndex &+= 1
                if let first = interfaces.first { return first }
            case .skipped:
                if blockIndex == 0 {
                    throw .damaged(file: path, location: .fileHeader, reason: "not a pcapng file: it does not start with a section header block")
                }
                blockIndex &+= 1
            case .end:
                throw .damaged(file: path, location: .fileHeader, reason: "the file has no interface description block")
            case .damaged(let reason):
                throw .damaged(file: path, location: .fileHeader, reason: reason)
            }
        }
    }

    enum Next {
        /// A whole block (type, total length) is at the front of `block`, its lengths checked.
        case block(type: UInt32, length: Int)
        /// A block too large for the buffer, not interpreted, was read past (its lengths checked).
        case skipped
        case end
        case damaged(String)
    }

    @inline(__always)
    private func field<T: FixedWidthInteger>(_ offset: Int, _: T.Type, in pointer: UnsafeRawPointer) -> T {
        let value = pointer.loadUnaligned(fromByteOffset: offset, as: T.self)
        return swapped ? value.byteSwapped : value
    }

    /// Makes the next block available whole, checking its leading and trailing lengths. A section
    /// header sets the byte order first (its magic says which).
    private mutating func nextBlock() -> Next {
        if block.unread < 12, let failure = block.makeAvailable(12), block.unread < 8 { return .damaged(failure) }
        let available = block.unread
        if available == 0 { return .end }
        guard available >= 8 else {
            return .damaged("block \(blockIndex) is cut short: its 8-byte header has only \(available) bytes")
        }
        var type = field(0, UInt32.self, in: block.pointer)
        if type == Reader.sectionHeaderType || type.byteSwapped == Reader.sectionHeaderType {
            guard available >= 12 else {
                return .damaged("block \(blockIndex) (section header) is cut short: \(available) of its first 12 bytes")
            }
            switch block.pointer.loadUnaligned(fromByteOffset: 8, as: UInt32.self) {
            case Reader.byteOrderMagic: swapped = false
            case Reader.byteOrderMagic.byteSwapped: swapped = true
            default: return .damaged("block \(blockIndex) (section header) has no byte-order magic 1a2b3c4d")
            }
            type = Reader.sectionHeaderType
        }
        let length = Int(field(4, UInt32.self, in: block.pointer))
        guard length >= 12, length % 4 == 0, length <= Reader.maximumBlockLength else {
            return .damaged("block \(blockIndex) (type \(Self.name(type))) has a total length of \(length) bytes: "
                + (length > Reader.maximumBlockLength ? "above the maximum of \(Reader.maximumBlockLength)" : "not a multiple of 4 of at least 12"))
        }
        if length > block.storage.count && !Self.isHeld(type) {
            // A skipped block larger than the buffer is read past, not held whole.
            let (missing, failure) = block.skip(length &- 4)
            let trailerFailure = missing == 0 && failure == nil ? block.makeAvailable(4) : nil
            guard missing == 0, block.unread >= 4 else {
                return .damaged(failure ?? trailerFailure ?? "block \(blockIndex) (type \(Self.name(type))) is cut short: the file ends inside its \(length) bytes")
            }
            if let damage = trailingLengthDamage(length, type: type, trailerAt: 0) { return damage }
            block.start &+= 4
            return .skipped
        }
        if block.unread < length {
            let failure = block.makeAvailable(length)
            if block.unread < length {
                return .damaged(failure ?? "block \(blockIndex) (type \(Self.name(type))) is cut short: \(block.unread) of its \(length) bytes are in the file")
            }
        }
        return trailingLengthDamage(length, type: type, trailerAt: length &- 4) ?? .block(type: type, length: length)
    }

    private func trailingLengthDamage(_ length: Int, type: UInt32, trailerAt offset: Int) -> Next? {
        let trailer = Int(field(offset, UInt32.self, in: block.pointer))
        guard trailer != length else { return nil }
        return .damaged("block \(blockIndex) (type \(Self.name(type))) has a trailing length of \(trailer), not its total length \(length)")
    }

    /// Blocks read whole into the buffer: the ones whose bodies are interpreted.
    private static func isHeld(_ type: UInt32) -> Bool {
        type == Reader.sectionHeaderType || type == Reader.interfaceDescriptionType || type == Reader.enhancedPacketType
            || type == Reader.simplePacketType || type == Reader.obsoletePacketType
    }

    private static func name(_ type: UInt32) -> String {
        switch type {
        case Reader.sectionHeaderType: "section header"
        case Reader.interfaceDescriptionType: "interface description"
        case Reader.obsoletePacketType: "packet"
        case Reader.simplePacketType: "simple packet"
        case Reader.enhancedPacketType: "enhanced packet"
        default: "0x" + String(type, radix: 16)
        }
    }

    /// A section header or interface description block at the front of `block` (other
    /// non-packet blocks are skipped): the reason it is damaged, if it is.
    private mutating func interpret(type: UInt32, length: Int) -> String? {
        let body = block.pointer
        switch type {
        case Reader.sectionHeaderType:
            guard length >= 28 else { return "block \(blockIndex) (section header) is \(length) bytes, shorter than 28" }
            let major = field(12, UInt16.self, in: body), minor = field(14, UInt16.self, in: body)
            guard major == 1 else { return "block \(blockIndex) (section header) has version \(major).\(minor); only 1.x is defined" }
            interfaces.removeAll(keepingCapacity: true)
        case Reader.interfaceDescriptionType:
            guard length >= 20 else { return "block \(blockIndex) (interface description) is \(length) bytes, shorter than 20" }
            let raw = field(8, UInt16.self, in: body)
            var snapshot = field(12, UInt32.self, in: body)
            if snapshot == 0 || snapshot > UInt32(Int32.max) { snapshot = Reader.maximumSnapshot }
            var resolution: UInt8 = 6, offsetSeconds: Int64 = 0
            // Options: code (2), length (2), value padded to 4; code 0 ends them.
            var offset = 16
            let end = length &- 4
            while offset &+ 4 <= end {
                let code = field(offset, UInt16.self, in: body), optionLength = Int(field(offset &+ 2, UInt16.self, in: body))
                if code == 0 { break }
                guard offset &+ 4 &+ optionLength <= end else {
                    return "block \(blockIndex) (interface description): option \(code) of \(optionLength) bytes runs past the block"
                }
                if code == 9, optionLength >= 1 { resolution = body.loadUnaligned(fromByteOffset: offset &+ 4, as: UInt8.self) }
                if code == 14, optionLength >= 8 { offsetSeconds = field(offset &+ 4, Int64.self, in: body) }
                offset &+= 4 &+ (optionLength &+ 3) & ~3
            }
            // if_tsresol: the high bit says a power of 2, else of 10, of the rest (the exponent of
            // the unit: 6 is microseconds).
            let exponent = UInt64(resolution & 0x7F)
            let binary = resolution & 0x80 != 0
            guard exponent <= (binary ? 63 : 19) else {
                return "block \(blockIndex) (interface description): if_tsresol \(binary ? "2" : "10")^-\(exponent) is finer than 64-bit timestamps can count"
            }
            var units: UInt64 = 1
            for _ in 0 ..< exponent { units &*= binary ? 2 : 10 }
            interfaces.append(PcapngInterface(
                linkType: LinkType(rawValue: UInt32(raw)), rawLinkType: raw, snapshot: min(snapshot, Reader.maximumSnapshot),
                unitsPerSecond: units, nanosecondsPerUnit: 1_000_000_000 % units == 0 ? Int64(1_000_000_000 / units) : 0,
                offsetSeconds: offsetSeconds))
        default:
            break
        }
        return nil
    }

    mutating func fill(_ columns: inout PacketBatch.Columns) -> PacketBatch.FillStop {
        while columns.count < columns.offsets.count {
            let type: UInt32, length: Int
            switch nextBlock() {
            case .block(let blockType, let blockLength): (type, length) = (blockType, blockLength)
            case .skipped:
                blockIndex &+= 1
                continue
            case .end: return .endOfFile
            case .damaged(let reason): return .damaged(reason)
            }
            let body = block.pointer
            let interfaceID: Int, units: UInt64, wireLength: UInt32, dataOffset: Int
            var capturedLength: UInt32
            switch type {
            case Reader.enhancedPacketType, Reader.obsoletePacketType:
                // EPB: interface (4), timestamp high, low, captured length, original length.
                // PB: interface (2), drops (2), then the same.
                guard length >= 32 else { return .damaged("block \(blockIndex) (\(Self.name(type))) is \(length) bytes, shorter than 32") }
                interfaceID = type == Reader.enhancedPacketType ? Int(field(8, UInt32.self, in: body)) : Int(field(8, UInt16.self, in: body))
                units = UInt64(field(12, UInt32.self, in: body)) << 32 | UInt64(field(16, UInt32.self, in: body))
                capturedLength = field(20, UInt32.self, in: body)
                wireLength = field(24, UInt32.self, in: body)
                dataOffset = 28
                guard Int(capturedLength) <= length &- 32 else {
                    return .damaged("block \(blockIndex) (\(Self.name(type))) has a captured length of \(capturedLength), more than the \(length - 32) bytes the block holds")
                }
            case Reader.simplePacketType:
                guard length >= 16 else { return .damaged("block \(blockIndex) (simple packet) is \(length) bytes, shorter than 16") }
                // Interface 0, no timestamp; the captured bytes are what the block and the snapshot hold.
                interfaceID = 0
                units = 0
                wireLength = field(8, UInt32.self, in: body)
                capturedLength = min(wireLength, UInt32(length &- 16))
                dataOffset = 12
            default:
                if let reason = interpret(type: type, length: length) { return .damaged(reason) }
                block.start &+= length
                blockIndex &+= 1
                continue
            }
            guard interfaceID < interfaces.count else {
                return .damaged("block \(blockIndex) (\(Self.name(type))) names interface \(interfaceID), but its section has \(interfaces.count)")
            }
            let interface = interfaces[interfaceID]
            guard let linkType = interface.linkType else {
                let raw = Int32(interface.rawLinkType)
                let name = pcap_datalink_val_to_name(raw).map { String(cString: $0) } ?? "unknown"
                return .damaged("block \(blockIndex) is a packet of interface \(interfaceID), whose link type \(name) (LINKTYPE \(raw)) VPCEmu does not decode")
            }
            if linkType != columns.linkType {
                if columns.count > 0 { return .batchFull }  // the next batch starts with this packet
                columns.linkType = linkType
            }
            capturedLength = min(capturedLength, interface.snapshot)
            let data = (body + dataOffset).assumingMemoryBound(to: UInt8.self)
            guard columns.append(data, capturedLength: capturedLength, wireLength: wireLength, timestamp: interface.nanoseconds(units)) else {
                return columns.count == 0 ? .recordLargerThanBatch(Int(capturedLength)) : .batchFull
            }
            if swapped && linkType == .nflog { Self.swapNFLOGAttributeHeaders(columns, packet: columns.count &- 1) }
            block.start &+= length
            blockIndex &+= 1
        }
        return .batchFull
    }

    /// NFLOG attribute lengths and types are in the capturing host's byte order; a section in the
    /// other byte order was written on such a host, and libpcap swaps them (swap_nflog_header).
    private static func swapNFLOGAttributeHeaders(_ columns: PacketBatch.Columns, packet: Int) {
        let frame = columns.bytes.baseAddress! + columns.offsets[packet]
        let count = Int(columns.capturedLengths[packet])
        var offset = NFLOG.headerLength
        while offset &+ NFLOG.attributeHeaderLength <= count {
            let length = frame.loadUnaligned(fromByteOffset: offset, as: UInt16.self).byteSwapped
            frame.storeBytes(of: length, toByteOffset: offset, as: UInt16.self)
            let type = frame.loadUnaligned(fromByteOffset: offset &+ 2, as: UInt16.self).byteSwapped
            frame.storeBytes(of: type, toByteOffset: offset &+ 2, as: UInt16.self)
            guard length >= 4 else { return }
            offset &+= (Int(length) &+ 3) & ~3
        }
    }
}
