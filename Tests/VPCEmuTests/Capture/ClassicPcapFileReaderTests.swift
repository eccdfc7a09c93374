import Foundation
import Testing
@testable import VPCEmu

/// The native classic-pcap reader against libpcap (`PcapReader.Engine.libpcap`): the same packets,
/// wire lengths, timestamps, link type, batch starts and errors, message for message.
@Suite struct ClassicPcapFileReaderTests {
    @Test(.needsSharedData) func everyCorpusFileReadsAsLibpcapReadsIt() throws {
        let files = try SharedData.tcpdumpCorpusFiles()
        #expect(files.count == 830)
        var native = 0
        for (file, path) in files {
            if (try? PcapReader(path: path))?.readsNatively == true { native += 1 }
            #expect(firstDifference(readAll(path), readAll(path, engine: .libpcap)) == nil, "\(file)")
            let large = PacketBatch(packetCapacity: 1024, byteCapacity: 1 << 20)
            #expect(firstDifference(readAll(path, batch: large), readAll(path, batch: large, engine: .libpcap)) == nil, "\(file)")
        }
        // Most of the corpus is classic pcap in a link type VPCEmu decodes.
        #expect(native > 400)
    }

    /// The file as written (little-endian, nanoseconds), in the other byte order, with the
    /// microsecond magic, and with a snapshot length shorter than most records (cut to it).
    static let variants = ["written", "swapped", "microseconds", "short snapshot"]

    static func variant(_ name: String, of original: [UInt8]) -> [UInt8] {
        var bytes = original
        switch name {
        case "swapped": bytes = byteSwapped(original)
        case "microseconds": bytes.replaceSubrange(0 ..< 4, with: [0xD4, 0xC3, 0xB2, 0xA1])
        case "short snapshot": bytes.replaceSubrange(16 ..< 20, with: [100, 0, 0, 0])
        default: break
        }
        return bytes
    }

    /// A little-endian pcap file in big-endian order: every header field swapped, data unchanged.
    static func byteSwapped(_ bytes: [UInt8]) -> [UInt8] {
        var swapped = bytes
        func reverse(_ offset: Int, _ width: Int) {
            swapped.replaceSubrange(offset ..< offset + width, with: bytes[offset ..< offset + width].reversed())
        }
        for (offset, width) in [(0, 4), (4, 2), (6, 2), (8, 4), (12, 4), (16, 4), (20, 4)] { reverse(offset, width) }
        // Record by record while a whole record header is left (a damaged length may point anywhere).
        var start = 24
        while start + 16 <= bytes.count {
            for field in 0 ..< 4 { reverse(start + 4 * field, 4) }
            start += 16 + bytes[start + 8 ..< start + 12].reversed().reduce(0) { $0 << 8 | Int($1) }
        }
        return swapped
    }

    /// Every cut of each variant (a record header, its data, the discarded tail past a short
    /// snapshot): both engines stop at the same record with the same message.
    @Test(arguments: variants)
    func everyCutReadsAsLibpcapReadsIt(variant: String) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let whole = directory.appendingPathComponent("whole.pcap").path
        // A frame of 9,000 bytes: past a 100-byte snapshot, libpcap discards it in 4,096-byte reads.
        try writePcap(whole, frames: Array(writerTestFrames.prefix(6)) + [[UInt8](repeating: 0x5A, count: 9000)] + [writerTestFrames[7]])
        let bytes = Self.variant(variant, of: try [UInt8](Data(contentsOf: URL(fileURLWithPath: whole))))
        let cut = directory.appendingPathComponent("cut.pcap").path
        var reasons = Set<String>()
        for offset in 24 ... bytes.count {
            try Data(bytes[..<offset]).write(to: URL(fileURLWithPath: cut))
            #expect(try PcapReader(path: cut).readsNatively)
            let native = readAll(cut)
            #expect(firstDifference(native, readAll(cut, engine: .libpcap)) == nil, "\(variant) cut at \(offset)")
            if case .damaged(_, _, let reason)? = native.error { reasons.insert(reason) }
        }
        // The cuts reach record headers, data and, past a short snapshot, the discarded tail.
        #expect(reasons.contains("truncated dump file; tried to read 16 header bytes, only got 15"))
        #expect(reasons.contains { $0.contains("captured bytes") })
        if variant == "short snapshot" {
            #expect(reasons.contains("truncated dump file; tried to read 9000 captured bytes, only got 4195"))
        }
        // The last cut is the whole file: every record, cut to a short snapshot.
        let complete = readAll(cut)
        #expect(complete.error == nil && complete.frames.count == 8)
        #expect(complete.wireLengths[6] == 9006)
        if variant == "short snapshot" { #expect(complete.frames.map(\.count).max() == 100) }
    }

    /// Seeded damage to record headers (random bytes, a flipped byte, a captured length anywhere up
    /// to past the maximum), to the snapshot length, and timestamps past 2038 (the sign of
    /// libpcap's 32-bit fields): both engines agree on what they deliver and where they stop.
    @Test(arguments: variants)
    func damagedRecordHeadersReadAsLibpcapReadsThem(variant: String) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let whole = directory.appendingPathComponent("whole.pcap").path
        try writePcap(whole)
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: whole)))
        let layout = PcapReaderTests.layout(original, format: "pcap")
        let recordStarts = [layout.headerEnd] + layout.packetEnds.dropLast()
        let mutated = directory.appendingPathComponent("mutated.pcap").path
        var generator = SeededGenerator(seed: 0x5EED_0000 &+ UInt64(Self.variants.firstIndex(of: variant)!))
        var stoppedEarly = 0
        for round in 0 ..< 200 {
            var bytes = original
            for _ in 0 ... Int.random(in: 0 ... 2, using: &generator) {
                let record = recordStarts.randomElement(using: &generator)!
                switch Int.random(in: 0 ..< 5, using: &generator) {
                case 0: for at in record ..< record + 16 { bytes[at] = .random(in: 0 ... 255, using: &generator) }
                case 1: bytes[record + Int.random(in: 0 ..< 16, using: &generator)] ^= 1 << UInt8.random(in: 0 ..< 8, using: &generator)
                case 2: Self.store(UInt32.random(in: 0 ... 270_000, using: &generator), at: record + 8, in: &bytes)
                case 3:
                    // Short, above the maximum captured length (up to Int32.max), or past Int32.max.
                    let snapshot = [UInt32.random(in: 0 ... 1500, using: &generator), UInt32.random(in: 262_145 ... 0x7FFF_FFFF, using: &generator),
                                    UInt32.random(in: 0 ... 1500, using: &generator) | 0x8000_0000][round % 3]
                    Self.store(snapshot, at: 16, in: &bytes)
                default: Self.store(UInt32.random(in: 0x7FFF_FFF0 ... .max, using: &generator), at: record, in: &bytes)
                }
            }
            try Data(Self.variant(variant, of: bytes)).write(to: URL(fileURLWithPath: mutated))
            #expect(try PcapReader(path: mutated).readsNatively)
            let native = readAll(mutated)
            #expect(firstDifference(native, readAll(mutated, engine: .libpcap)) == nil, "\(variant) round \(round)")
            if native.error != nil { stoppedEarly += 1 }
        }
        // The damage is not all harmless: many files stop at a damaged record.
        #expect(stoppedEarly > 40)
    }

    /// A file of several 1 MiB read blocks, with records (two of the largest size) across block
    /// ends, whole and cut around the first block's end: the records the native reader moves to the
    /// block's front and completes with the next read are the ones libpcap delivers.
    @Test func recordsAcrossReadBlocksReadAsLibpcapReadsThem() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("blocks.pcap").path
        let largest = Int(ClassicPcapFileHeader.maximumCapturedLength)
        var frames: [[UInt8]] = []
        for index in 0 ..< 2_400 {
            let length = index == 700 || index == 1_600 ? largest : 1_000 + index % 600
            frames.append((0 ..< length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) })
        }
        let writer = try PcapWriter(path: path, linkType: .ethernet)
        for (index, frame) in frames.enumerated() {
            frame.withUnsafeBytes { writer.write($0, timestamp: 1_700_000_000_000_000_000 + Int64(index) * 1_000) }
        }
        try writer.finish()
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes.count > 2 * ClassicPcapFileReader.blockSize + 2 * largest)

        let large = PacketBatch(packetCapacity: 1024, byteCapacity: 1 << 20)
        let whole = readAll(path, batch: large)
        #expect(whole.error == nil && whole.frames == frames)
        #expect(firstDifference(whole, readAll(path, batch: large, engine: .libpcap)) == nil)
        let reader = try PcapReader(path: path)
        #expect(reader.readsNatively)
        var batch = large
        while try reader.nextBatch(into: &batch) {}
        #expect(reader.bytesRead == Int64(bytes.count))

        let cut = directory.appendingPathComponent("cut.pcap").path
        for offset in ClassicPcapFileReader.blockSize - 20 ... ClassicPcapFileReader.blockSize + 20 {
            try Data(bytes[..<offset]).write(to: URL(fileURLWithPath: cut))
            #expect(firstDifference(readAll(cut, batch: large), readAll(cut, batch: large, engine: .libpcap)) == nil, "cut at \(offset)")
        }
    }

    private static func store(_ value: UInt32, at offset: Int, in bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset ..< offset + 4, with: $0) }
    }

    /// What the native reader leaves to libpcap: other versions, the modified-pcap magic, link
    /// types with extension bits or not decoded here.
    @Test func unusualHeadersGoThroughLibpcap() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("file.pcap").path
        try writePcap(path)
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(try PcapReader(path: path).readsNatively)
        for (offset, replacement) in [(0, [0x34, 0xCD, 0xB2, 0xA1]), (6, [3, 0]), (4, [1, 0]), (22, [0, 4]), (20, [147, 0])] {
            var bytes = original
            bytes.replaceSubrange(offset ..< offset + replacement.count, with: replacement.map(UInt8.init))
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            // libpcap opens it or refuses it (an archaic version); the native reader never sees it.
            #expect((try? PcapReader(path: path))?.readsNatively != true, "bytes \(offset)…: \(replacement)")
            #expect(firstDifference(readAll(path), readAll(path, engine: .libpcap)) == nil)
        }
        // Byte-swapped Linux cooked captures (SLL, SLL2) and NFLOG: libpcap swaps the CAN identifier
        // behind the cooked header and the NFLOG attribute headers, so they are its to read.
        for linkType in [LinkType.linuxSLL, .linuxSLL2, .nflog] {
            var bytes = Self.byteSwapped(original)
            withUnsafeBytes(of: linkType.rawValue.bigEndian) { bytes.replaceSubrange(20 ..< 24, with: $0) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect(try PcapReader(path: path).readsNatively == false, "\(linkType)")
            var unswapped = original
            withUnsafeBytes(of: linkType.rawValue.littleEndian) { unswapped.replaceSubrange(20 ..< 24, with: $0) }
            try Data(unswapped).write(to: URL(fileURLWithPath: path))
            #expect(try PcapReader(path: path).readsNatively, "\(linkType)")
        }
    }
}
