import Foundation
import Testing
@testable import VPCEmu

@Suite struct ReadAheadPcapReaderTests {
    /// Over the whole tcpdump corpus (pcap and pcapng, refused headers, foreign link types) the
    /// reader thread delivers what `PcapReader` read on the calling thread delivers: the same records,
    /// lengths, timestamps and the same error at the same record. (Where batches end may differ:
    /// a record larger than a batch grows that batch only, and the batches take turns.)
    @Test(.needsSharedData) func deliversWhatPcapReaderDeliversOnEveryCorpusFile() throws {
        let files = try SharedData.tcpdumpCorpusFiles()
        #expect(files.count == 830)
        var withPackets = 0
        for (file, path) in files {
            var direct = readAll(path)
            var readAhead = readAll(path, readAhead: true)
            #expect(readAhead.firstRecordIndices.first == direct.firstRecordIndices.first, "\(file)")
            direct.firstRecordIndices = []
            readAhead.firstRecordIndices = []
            #expect(readAhead == direct, "\(file)")
            if !direct.frames.isEmpty { withPackets += 1 }
        }
        // Damaged records: PcapReaderTests' truncated files, read both ways.
        #expect(withPackets > 400)
    }

    /// One spare batch, batches of one packet: the threads hand over every packet, in order.
    @Test(.needsSharedData) func oneSpareBatchOfOnePacketKeepsFileOrder() throws {
        let path = SharedData.tcpdumpCorpus.appendingPathComponent("pim-packet-assortment.pcap").path
        let direct = readAll(path)
        var frames: [[UInt8]] = []
        var indices: [Int] = []
        let reader = try ReadAheadPcapReader(path: path, spareBatches: 1, packetCapacity: 1, byteCapacity: 1 << 16)
        var batch = PacketBatch(packetCapacity: 1, byteCapacity: 1 << 16)
        while try reader.nextBatch(into: &batch) {
            #expect(batch.count == 1)
            indices.append(batch.firstRecordIndex)
            batch.withUnsafeBytes { frames.append(Array(batch.frame(0, in: $0))) }
        }
        #expect(!frames.isEmpty)
        #expect(frames == direct.frames)
        #expect(indices == Array(0 ..< frames.count))
        #expect(reader.bytesRead == Int64(try FileManager.default.attributesOfItem(atPath: path)[.size] as! NSNumber))
    }

    /// A reader released after its first batch stops its thread and closes the file (the thread
    /// is waiting for a batch to fill), and a later reader of the file starts from the beginning.
    @Test(.needsSharedData) func releasingTheReaderEarlyStopsItsThread() throws {
        let path = SharedData.tcpdumpCorpus.appendingPathComponent("pim-packet-assortment.pcap").path
        let openBefore = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
        for _ in 0..<50 {
            let reader = try ReadAheadPcapReader(path: path, spareBatches: 1, packetCapacity: 1, byteCapacity: 1 << 16)
            var batch = PacketBatch(packetCapacity: 1, byteCapacity: 1 << 16)
            #expect(try reader.nextBatch(into: &batch))
            #expect(batch.firstRecordIndex == 0)
        }
        // Fifty readers left open would hold fifty files; other tests running alongside open a few.
        let openAfter = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
        #expect(openAfter < openBefore + 25)
    }

    /// A pcapng file whose interfaces have different link types, parsed ahead for forwarding:
    /// every batch is parsed as its own link type, which is what the pipeline checks before it
    /// walks the parsed packets instead of parsing them again.
    @Test func batchesOfEachLinkTypeAreParsedAsTheirLinkType() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("mixed.pcapng").path
        try PcapngFileReaderTests.write(PcapngFileReaderTests.mixedFile().bytes, to: path)
        let reader = try ReadAheadPcapReader(path: path, packetCapacity: 3, byteCapacity: 1 << 12, parsesForForwarding: true)
        var batch = PacketBatch(packetCapacity: 3, byteCapacity: 1 << 12)
        var linkTypes: [LinkType] = []
        var outcomes: [ParseOutcome] = []
        while try reader.nextBatch(into: &batch) {
            #expect(batch.parsedLinkType == batch.linkType)
            linkTypes.append(batch.linkType)
            outcomes += batch.parsed.prefix(batch.count).map(\.outcome)
        }
        #expect(linkTypes == [.ethernet, .raw, .ethernet, .raw, .ppp, .nflog])
        // Packets cut by their snapshot (40 and 64 bytes) still parse: snapped, their headers present.
        #expect(outcomes.count == 8 && outcomes.allSatisfy { $0 == .ip })
    }
}
