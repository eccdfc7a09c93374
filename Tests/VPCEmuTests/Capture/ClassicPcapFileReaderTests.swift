import Foundation
import Testing
@testable import VPCEmu

/// The native classic-pcap reader against libpcap (`PcapReader.Engine.libpcap`): the same packets,
/// wire lengths, timestamps, link type, batch starts and errors, message for message.
@Suite struct ClassicPcapFileReaderTests {
    @Test func everyCorpusFileReadsAsLibpcapReadsIt() throws {
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
        let layout = PcapReaderTests.layout(bytes, format: "pcap")
        for end in layout.packetEnds {
            let start = ([layout.headerEnd] + layout.packetEnds).last { $0 < end }!
            for field in 0 ..< 4 { reverse(start + 4 * field, 4) }
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
                case 3: Self.store(UInt32.random(in: 0 ... 1500, using: &generator) | (round % 2 == 0 ? 0 : 0x8000_0000), at: 16, in: &bytes)
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

    private static func store(_ value: UInt32, at offset: Int, in bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset ..< offset + 4, with: $0) }
    }

    /// What the native reader leaves to libpcap: pcapng, other versions, the modified-pcap magic,
    /// link types with extension bits or not decoded here.
    @Test func unusualHeadersGoThroughLibpcap() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("file.pcap").path
        try writePcapng(path)
        #expect(try PcapReader(path: path).readsNatively == false)
        try writePcap(path)
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(try PcapReader(path: path).readsNatively)
        for (offset, replacement) in [(0, [0x34, 0xCD, 0xB2, 0xA1]), (6, [3, 0]), (4, [1, 0]), (22, [0, 4]), (20, [105, 0])] {
            var bytes = original
            bytes.replaceSubrange(offset ..< offset + replacement.count, with: replacement.map(UInt8.init))
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            // libpcap opens it or refuses it (an archaic version); the native reader never sees it.
            #expect((try? PcapReader(path: path))?.readsNatively != true, "bytes \(offset)…: \(replacement)")
            #expect(firstDifference(readAll(path), readAll(path, engine: .libpcap)) == nil)
        }
    }
}
