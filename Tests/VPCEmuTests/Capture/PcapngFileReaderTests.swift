import Foundation
import Testing
@testable import VPCEmu

/// Builds pcapng files block by block, in either byte order, with what a reader must deliver
/// from them: the tests' slow, obviously-correct side.
struct PcapngBuilder {
    struct Packet: Equatable {
        var frame: [UInt8]
        var wireLength: UInt32
        var timestamp: Int64
        var linkType: LinkType
    }

    private(set) var bytes: [UInt8] = []
    /// Start of every block, then the file's end.
    private(set) var blockStarts: [Int] = []
    /// What the reader delivers, and the index of the block each packet is in.
    private(set) var packets: [Packet] = []
    private(set) var packetBlocks: [Int] = []
    private var bigEndian = false
    /// The current section's interfaces: link type, snapshot, nanoseconds from units and offset.
    private var interfaces: [(linkType: LinkType, snapshot: Int, nanoseconds: (UInt64) -> Int64)] = []

    private static func encode<T: FixedWidthInteger>(_ value: T, bigEndian: Bool) -> [UInt8] {
        withUnsafeBytes(of: bigEndian ? value.bigEndian : value.littleEndian) { Array($0) }
    }

    private func encode<T: FixedWidthInteger>(_ value: T) -> [UInt8] { Self.encode(value, bigEndian: bigEndian) }

    private mutating func block(_ type: UInt32, _ body: [UInt8]) {
        let padded = body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
        blockStarts.append(bytes.count)
        let length = UInt32(12 + padded.count)
        bytes += encode(type) + encode(length) + padded + encode(length)
    }

    var blockCount: Int { blockStarts.count }

    mutating func section(bigEndian: Bool) {
        self.bigEndian = bigEndian
        interfaces = []
        // Byte-order magic, version 1.0, section length unknown (-1), no options.
        block(0x0A0D_0D0A, encode(UInt32(0x1A2B_3C4D)) + encode(UInt16(1)) + encode(UInt16(0)) + encode(Int64(-1)))
    }

    /// `resolution`: the if_tsresol byte (nil: none, microseconds).
    mutating func interface(_ linkType: LinkType, snapshot: UInt32 = 0, resolution: UInt8? = nil, offsetSeconds: Int64 = 0) {
        var options: [UInt8] = []
        if let resolution { options += encode(UInt16(9)) + encode(UInt16(1)) + [resolution, 0, 0, 0] }
        if offsetSeconds != 0 { options += encode(UInt16(14)) + encode(UInt16(8)) + encode(offsetSeconds) }
        if !options.isEmpty { options += encode(UInt16(0)) + encode(UInt16(0)) }
        block(1, encode(UInt16(linkType.rawValue)) + encode(UInt16(0)) + encode(snapshot) + options)
        // Units per second, the slow way: exact decimal arithmetic on whole seconds and a remainder.
        let exponent = Int((resolution ?? 6) & 0x7F)
        let units: UInt64 = (resolution ?? 6) & 0x80 != 0 ? 1 << UInt64(exponent) : (0 ..< exponent).reduce(1) { value, _ in value * 10 }
        let nanoseconds = { (value: UInt64) -> Int64 in
            let fraction = Decimal(value % units) * 1_000_000_000 / Decimal(units)
            var floored = Decimal()
            var copy = fraction
            NSDecimalRound(&floored, &copy, 0, .down)
            return (Int64(value / units) + offsetSeconds) * 1_000_000_000 + Int64(truncating: floored as NSNumber)
        }
        interfaces.append((linkType, snapshot == 0 ? 262_144 : Int(snapshot), nanoseconds))
    }

    private mutating func expect(_ frame: [UInt8], wireLength: UInt32, interface: Int, units: UInt64, cut: Int? = nil) {
        let current = interfaces[interface]
        let kept = min(frame.count, current.snapshot, cut ?? .max)
        packets.append(Packet(frame: Array(frame[..<kept]), wireLength: wireLength, timestamp: current.nanoseconds(units), linkType: current.linkType))
        packetBlocks.append(blockCount)
    }

    /// `stored`: the bytes written when they differ from what the reader delivers (NFLOG headers
    /// in the other byte order).
    mutating func enhanced(interface: Int, units: UInt64, _ frame: [UInt8], wireLength: UInt32? = nil, stored: [UInt8]? = nil) {
        let wire = wireLength ?? UInt32(frame.count)
        expect(frame, wireLength: wire, interface: interface, units: units)
        let data = stored ?? frame
        block(6, encode(UInt32(interface)) + encode(UInt32(units >> 32)) + encode(UInt32(truncatingIfNeeded: units))
            + encode(UInt32(data.count)) + encode(wire) + data)
    }

    /// The obsolete Packet Block: 2-byte interface id and drop count.
    mutating func obsolete(interface: Int, units: UInt64, _ frame: [UInt8]) {
        expect(frame, wireLength: UInt32(frame.count), interface: interface, units: units)
        block(2, encode(UInt16(interface)) + encode(UInt16(0)) + encode(UInt32(units >> 32)) + encode(UInt32(truncatingIfNeeded: units))
            + encode(UInt32(frame.count)) + encode(UInt32(frame.count)) + frame)
    }

    /// A Simple Packet Block (interface 0, timestamp 0) holding `frame` of a longer packet. Its
    /// captured length is the least of the packet's, the snapshot and the block's space, which
    /// includes the padding when the block is shorter than the snapshot (a writer that did not
    /// cut the packet to the snapshot).
    mutating func simple(_ frame: [UInt8], wireLength: UInt32) {
        let padded = frame + [UInt8](repeating: 0, count: (4 - frame.count % 4) % 4)
        expect(padded, wireLength: wireLength, interface: 0, units: 0, cut: min(Int(wireLength), padded.count))
        block(3, encode(wireLength) + frame)
    }

    /// A block the reader skips (name resolution 4, statistics 5, decryption secrets 10, custom
    /// 0xBAD, unknown): zeros, which tshark reads as an empty body of each.
    mutating func other(type: UInt32, size: Int) {
        block(type, [UInt8](repeating: 0, count: size))
    }

    mutating func finish() { blockStarts.append(bytes.count) }
}

/// An NFLOG frame (family, version, resource id; a prefix and a payload attribute) with its
/// attribute headers in the given byte order.
func nflogFrame(_ ip: [UInt8], family: UInt8 = 2, bigEndian: Bool = false) -> [UInt8] {
    func attribute(_ type: UInt16, _ value: [UInt8]) -> [UInt8] {
        let length = UInt16(4 + value.count)
        let header = withUnsafeBytes(of: bigEndian ? length.bigEndian : length.littleEndian) { Array($0) }
            + withUnsafeBytes(of: bigEndian ? type.bigEndian : type.littleEndian) { Array($0) }
        return header + value + [UInt8](repeating: 0, count: (4 - value.count % 4) % 4)
    }
    return [family, 0, 0, 5] + attribute(10, Array("drop\0".utf8)) + attribute(9, ip)
}

@Suite struct PcapngFileReaderTests {
    static let ipv4 = bytesFromHex(RealFrame.rawIPv4UDP.hex)

    /// Two sections (little-endian, then big-endian) with interfaces of different link types,
    /// snapshot lengths, resolutions (10^-6, 10^-9, 2^-10, 10^-3) and offsets; EPB, SPB and PB
    /// blocks; name resolution, statistics, custom and unknown blocks between them, one larger
    /// than the read block.
    /// (tshark shows a custom block as a record of its own: `customBlock` false leaves it out.)
    static func mixedFile(customBlock: Bool = true) -> PcapngBuilder {
        var file = PcapngBuilder()
        let ethernet = [UInt8](repeating: 0x02, count: 12) + [0x08, 0x00] + ipv4
        file.section(bigEndian: false)
        file.interface(.ethernet, snapshot: 64)
        file.interface(.raw, snapshot: 40, resolution: 9)
        file.other(type: 4, size: 30)
        file.enhanced(interface: 0, units: 1_700_000_000_123_456, ethernet)
        file.enhanced(interface: 1, units: 1_700_000_000_987_654_321, ipv4)  // cut to 40 bytes
        file.other(type: 5, size: 28)
        file.simple(Array(ethernet.prefix(64)), wireLength: 300)
        file.enhanced(interface: 0, units: 1_700_000_001_000_000, ethernet, wireLength: 1500)
        file.obsolete(interface: 1, units: 42, ipv4)
        if customBlock { file.other(type: 0x0000_0BAD, size: 100) }
        file.interface(.ppp, resolution: 0x8A, offsetSeconds: 1_600_000_000)
        file.enhanced(interface: 2, units: 5 * 1024 + 512 + 3, [0xFF, 0x03, 0x00, 0x21] + ipv4)
        file.section(bigEndian: true)
        file.interface(.nflog, snapshot: 1000, resolution: 3)
        file.other(type: 0x0000_4E41, size: 2_000_000)
        file.enhanced(interface: 0, units: 1_700_000_002_500, nflogFrame(ipv4), stored: nflogFrame(ipv4, bigEndian: true))
        file.other(type: 10, size: 16)
        file.enhanced(interface: 0, units: 1_700_000_002_501, nflogFrame(ipv4), stored: nflogFrame(ipv4, bigEndian: true))
        file.finish()
        return file
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func packets(_ result: ReadResult, linkTypes: [LinkType]) -> [PcapngBuilder.Packet] {
        result.frames.indices.map {
            PcapngBuilder.Packet(frame: result.frames[$0], wireLength: result.wireLengths[$0], timestamp: result.timestamps[$0], linkType: linkTypes[$0])
        }
    }

    /// Reads `path` in small batches, with each packet's link type (its batch's).
    static func readWithLinkTypes(_ path: String) -> (ReadResult, [LinkType]) {
        var result = ReadResult()
        var linkTypes: [LinkType] = []
        var batch = PacketBatch(packetCapacity: 3, byteCapacity: 1 << 12)
        do throws(CaptureError) {
            let reader = try PcapReader(path: path)
            #expect(reader.readsNatively)
            result.linkType = reader.linkType
            while try reader.nextBatch(into: &batch) {
                result.firstRecordIndices.append(batch.firstRecordIndex)
                batch.withUnsafeBytes { bytes in
                    for index in 0 ..< batch.count {
                        result.frames.append(Array(batch.frame(index, in: bytes)))
                        result.wireLengths.append(batch.wireLengths[index])
                        result.timestamps.append(batch.timestamps[index])
                        linkTypes.append(batch.linkType)
                    }
                }
            }
        } catch {
            result.error = error
        }
        return (result, linkTypes)
    }

    @Test func aMixedFileDeliversEveryPacketAsBuilt() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("mixed.pcapng").path
        let file = Self.mixedFile()
        try Self.write(file.bytes, to: path)
        let (result, linkTypes) = Self.readWithLinkTypes(path)
        #expect(result.error == nil)
        #expect(result.linkType == .ethernet)
        #expect(Self.packets(result, linkTypes: linkTypes) == file.packets)
        // Spot checks of the builder's own arithmetic: 2^-10 units and the offset, the snapshot.
        #expect(file.packets[5].timestamp == 1_600_000_005_500_000_000 + 2_929_687)
        #expect(file.packets[1].frame.count == 40 && file.packets[1].wireLength == UInt32(Self.ipv4.count))
        #expect(file.packets[2].frame.count == 64 && file.packets[2].timestamp == 0)
        // A batch holds one link type: it ends where the interface's link type changes.
        #expect(result.firstRecordIndices == [0, 1, 2, 4, 5, 6])
        // The NFLOG packets parse: their attribute headers were put in this host's order.
        var headers = PacketHeaders()
        let outcome = result.frames[6].withUnsafeBytes { PacketParser.parse($0, linkType: .nflog, into: &headers) }
        #expect(outcome == .ip && headers.destinationPort == 53)
    }

    /// tshark (Wireshark's reader) reads the same wire lengths and timestamps.
    @Test func aMixedFileReadsAsTsharkReadsIt() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("mixed.pcapng").path
        try Self.write(Self.mixedFile(customBlock: false).bytes, to: path)
        let ours = readAll(path)
        #expect(ours.error == nil)
        let tshark = try #require(try Self.tsharkFields(path), "tshark is not installed (.ci/install-deps installs it)")
        var expected = ours.frames.indices.map { Self.fields(ours, $0) }
        // A Simple Packet Block has no timestamp: tshark prints none, libpcap and VPCEmu give 0.
        #expect(expected[2] == "300,0.000000000")
        expected[2] = "300,"
        #expect(tshark == expected)
    }

    /// frame.len and frame.time_epoch of every packet, as tshark prints them. (Not frame.cap_len:
    /// Wireshark does not cut a packet to its interface's snapshot length, libpcap does.)
    static func tsharkFields(_ path: String) throws -> [String]? {
        guard let run = try runTool("tshark", ["-r", path, "-T", "fields", "-E", "separator=,",
                                               "-e", "frame.len", "-e", "frame.time_epoch"]) else { return nil }
        return run.output.split(separator: "\n").map(String.init)
    }

    static func fields(_ result: ReadResult, _ index: Int) -> String {
        let time = result.timestamps[index]
        let fraction = String(time % 1_000_000_000)
        let epoch = "\(time / 1_000_000_000)." + String(repeating: "0", count: 9 - fraction.count) + fraction
        return "\(result.wireLengths[index]),\(epoch)"
    }

    /// Cut at every block boundary, then at seeded offsets inside blocks: the packets of the
    /// complete blocks, then (inside a block) the damage naming that block.
    @Test func cutsDeliverThePacketsBeforeThemThenNameTheBlock() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = Self.mixedFile()
        let cut = directory.appendingPathComponent("cut.pcapng").path
        var generator = SeededGenerator(seed: 0xC0775)
        let boundaries = file.blockStarts
        let inside = (0 ..< 150).map { _ in Int.random(in: 0 ..< file.bytes.count, using: &generator) } + boundaries.map { $0 + 7 }
        for offset in boundaries + inside where offset <= file.bytes.count {
            try Self.write(Array(file.bytes[..<offset]), to: cut)
            let (result, linkTypes) = Self.readWithLinkTypes(cut)
            // The block the cut falls in (or, on a boundary, the first block not in the file).
            let block = boundaries.lastIndex { $0 <= offset }!
            let complete = file.packetBlocks.filter { $0 < block }.count
            #expect(Self.packets(result, linkTypes: linkTypes) == Array(file.packets.prefix(complete)), "cut at \(offset)")
            if boundaries.contains(offset) && block >= 2 {
                #expect(result.error == nil, "cut at boundary \(offset)")
            } else if block < 2 {
                guard case .damaged(cut, .fileHeader, _)? = result.error else {
                    Issue.record("cut at \(offset): \(String(describing: result.error))")
                    continue
                }
            } else {
                guard case .damaged(cut, .block(block, record: complete), let reason)? = result.error else {
                    Issue.record("cut at \(offset) in block \(block): \(String(describing: result.error))")
                    continue
                }
                #expect(reason.hasPrefix("block \(block) ") && reason.contains("cut short"), "\(reason)")
            }
        }
    }

    /// Each kind of damage in block 8 (an EPB on interface 0, after three packets):
    /// the packets before it, then an error naming the block and what is wrong.
    @Test(arguments: [
        ("length not a multiple of 4", 4, [0x43, 0, 0, 0], "not a multiple of 4"),
        ("length below 12", 4, [8, 0, 0, 0], "not a multiple of 4 of at least 12"),
        ("length above 16 MiB", 4, [0, 0, 0, 2], "above the maximum"),
        ("trailing length", -4, [0x40, 0, 0, 0], "trailing length of 64"),
        ("interface id", 8, [7, 0, 0, 0], "names interface 7, but its section has 2"),
        ("captured length past the block", 20, [0xFF, 0, 0, 0], "captured length of 255"),
    ] as [(String, Int, [UInt8], String)])
    func damagedBlocksAreNamed(damage: String, offset: Int, replacement: [UInt8], message: String) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = Self.mixedFile()
        var bytes = file.bytes
        let damaged = 8
        let position = offset >= 0 ? file.blockStarts[damaged] + offset : file.blockStarts[damaged + 1] + offset
        bytes.replaceSubrange(position ..< position + 4, with: replacement)
        let path = directory.appendingPathComponent("damaged.pcapng").path
        try Self.write(bytes, to: path)
        let result = readAll(path)
        let before = file.packetBlocks.filter { $0 < damaged }.count
        #expect(before == 3)
        #expect(result.frames == file.packets.prefix(before).map(\.frame), "\(damage)")
        guard case .damaged(path, .block(damaged, record: before), let reason)? = result.error else {
            Issue.record("\(damage): \(String(describing: result.error))")
            return
        }
        #expect(reason.contains(message), "\(damage): \(reason)")
        #expect(result.error!.description.hasPrefix("\(path): damaged at block 8 (0-based; 3 complete packets precede it)"))
    }

    @Test func packetsBeforeAnyInterfaceAndFilesWithoutOneAreHeaderDamage() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("odd.pcapng").path
        var noInterface = PcapngBuilder()
        noInterface.section(bigEndian: true)
        noInterface.other(type: 4, size: 8)
        try Self.write(noInterface.bytes, to: path)
        #expect(readAll(path).error == .damaged(file: path, location: .fileHeader, reason: "the file has no interface description block"))
        var unsupported = PcapngBuilder()
        unsupported.section(bigEndian: false)
        try Self.write(unsupported.bytes + bytesFromHex("0100000014000000930000000000000014000000"), to: path)
        guard case .unsupportedLinkType(path, 147, _)? = readAll(path).error else {
            Issue.record("\(String(describing: readAll(path).error))")
            return
        }
    }

    /// Every pcapng file of the tcpdump corpus is read natively. Where libpcap reads it, the
    /// packets, lengths, timestamps, link type and batches are libpcap's; where libpcap refuses
    /// it, tshark's lengths and timestamps are ours.
    @Test(.needsSharedData) func everyCorpusPcapngFileReadsAsLibpcapOrTsharkReadsIt() throws {
        let files = try SharedData.tcpdumpCorpusFiles().filter { (try? Data(contentsOf: URL(fileURLWithPath: $0.path)).prefix(4)) == Data([0x0A, 0x0D, 0x0D, 0x0A]) }
        #expect(files.count == 45)
        var sameAsLibpcap = 0, sameAsTshark = 0
        for (file, path) in files {
            let ours = readAll(path)
            #expect((try? PcapReader(path: path))?.readsNatively != false, "\(file)")
            let libpcap = readAll(path, engine: .libpcap)
            if libpcap.error == nil {
                #expect(firstDifference(ours, libpcap) == nil, "\(file)")
                sameAsLibpcap += 1
            } else if case .unsupportedLinkType? = libpcap.error {
                #expect(ours.error == libpcap.error, "\(file)")
            } else {
                let tshark = try #require(try Self.tsharkFields(path))
                #expect(tshark == ours.frames.indices.map { Self.fields(ours, $0) }, "\(file)")
                sameAsTshark += 1
            }
        }
        #expect(sameAsLibpcap + sameAsTshark == 42)
    }
}

@Suite struct CompressedCaptureTests {
    func gzip(_ bytes: [UInt8], in directory: URL) throws -> [UInt8] {
        let plain = directory.appendingPathComponent("part-\(UUID().uuidString)")
        try Data(bytes).write(to: plain)
        _ = try #require(try runTool("gzip", ["-f", plain.path]))
        let compressed = try [UInt8](Data(contentsOf: URL(fileURLWithPath: plain.path + ".gz")))
        #expect(compressed.starts(with: [0x1F, 0x8B]))
        return compressed
    }

    /// A gzip file is read through the native readers whatever its name, as the plain file reads;
    /// so is one of two concatenated gzip members.
    @Test(arguments: ["pcap", "pcapng"])
    func gzipFilesReadAsThePlainFile(format: String) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let plain = directory.appendingPathComponent("plain.\(format)").path
        if format == "pcap" { try writePcap(plain) } else { try PcapngFileReaderTests.write(PcapngFileReaderTests.mixedFile().bytes, to: plain) }
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: plain)))
        let expected = readAll(plain)
        #expect(expected.error == nil && expected.frames.count > 5)
        // Named like a plain capture: the magic decides.
        let compressed = directory.appendingPathComponent("compressed.\(format)").path
        let whole = try gzip(bytes, in: directory)
        try Data(whole).write(to: URL(fileURLWithPath: compressed))
        #expect(try PcapReader(path: compressed).readsNatively)
        #expect(readAll(compressed) == expected)
        // Two members, split inside a record.
        let split = bytes.count / 2 + 3
        try Data(try gzip(Array(bytes[..<split]), in: directory) + gzip(Array(bytes[split...]), in: directory))
            .write(to: URL(fileURLWithPath: compressed))
        #expect(readAll(compressed) == expected)
        // Cut short: the packets decompressed whole, then an error that says the gzip data ends early.
        var generator = SeededGenerator(seed: 0x6219)
        for _ in 0 ..< 40 {
            let length = Int.random(in: 20 ..< whole.count - 8, using: &generator)
            try Data(whole[..<length]).write(to: URL(fileURLWithPath: compressed))
            let result = readAll(compressed)
            #expect(result.frames == Array(expected.frames.prefix(result.frames.count)), "cut at \(length)")
            guard case .damaged(compressed, _, let reason)? = result.error else {
                Issue.record("cut at \(length): \(String(describing: result.error))")
                continue
            }
            #expect(reason.contains("gzip") || reason.contains("cut short") || reason.contains("truncated"), "\(reason)")
        }
        // Damaged compressed bytes: an error, never a trap.
        for _ in 0 ..< 40 {
            var damaged = whole
            damaged[Int.random(in: 10 ..< whole.count, using: &generator)] ^= 0x5A
            try Data(damaged).write(to: URL(fileURLWithPath: compressed))
            _ = readAll(compressed)
        }
    }

    @Test(arguments: [
        ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], "xz", "xz -dk"),
        ([0x42, 0x5A, 0x68, 0x39], "bzip2", "bunzip2 -k"),
        ([0x28, 0xB5, 0x2F, 0xFD], "zstd", "zstd -d"),
        ([0x04, 0x22, 0x4D, 0x18], "lz4", "lz4 -d"),
    ] as [([UInt8], String, String)])
    func otherCompressionsAreNamedWithTheCommandThatDecompresses(magic: [UInt8], name: String, command: String) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("capture.pcap").path
        try Data(magic + [UInt8](repeating: 0, count: 40)).write(to: URL(fileURLWithPath: path))
        guard case .damaged(path, .fileHeader, let reason)? = readAll(path).error else {
            Issue.record("\(name): \(String(describing: readAll(path).error))")
            return
        }
        #expect(reason.contains("\(name)-compressed") && reason.contains("\(command) \(path)"), "\(reason)")
    }

    @Test func gzipOfSomethingElseIsAClearError() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("notes.gz").path
        try Data(try gzip(Array("not a capture at all, only text".utf8), in: directory)).write(to: URL(fileURLWithPath: path))
        guard case .damaged(path, .fileHeader, let reason)? = readAll(path).error else {
            Issue.record("\(String(describing: readAll(path).error))")
            return
        }
        #expect(reason.contains("gzip-compressed") && reason.contains("gunzip -k"), "\(reason)")
    }
}
