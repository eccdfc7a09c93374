import Foundation
import Testing
@testable import VPCEmu

@Suite struct MergedCaptureReaderTests {
    /// One packet written: which file and record it is (in its first bytes), when, and its size.
    struct Written: Equatable {
        var file: Int
        var record: Int
        var timestamp: Int64
        var length: Int
    }

    /// Writes `counts[i]` packets into file i, timestamps nondecreasing and drawn from a coarse
    /// grid so that files tie often; sizes up to 1.5 KB so that merged batches fill by bytes too.
    static func writeFiles(_ counts: [Int], linkTypes: [LinkType]? = nil, seed: UInt64, in directory: String) throws -> ([String], [Written]) {
        var random = SeededGenerator(seed: seed)
        var paths: [String] = [], written: [Written] = []
        for (file, count) in counts.enumerated() {
            let path = (directory as NSString).appendingPathComponent("in\(file).pcap")
            let writer = try PcapWriter(path: path, linkType: linkTypes?[file] ?? .ethernet)
            var time: Int64 = 1_700_000_000_000_000_000 + Int64(random.next() % 1000) * 1000
            for record in 0..<count {
                time += Int64(random.next() % 4) * 1000
                let length = 16 + Int(random.next() % 1500)
                var frame = [UInt8](repeating: 0, count: length)
                withUnsafeBytes(of: (UInt32(file), UInt32(record))) { frame.replaceSubrange(0..<8, with: $0) }
                frame.withUnsafeBytes { writer.write($0, timestamp: time) }
                written.append(Written(file: file, record: record, timestamp: time, length: length))
            }
            try writer.finish()
            paths.append(path)
        }
        return (paths, written)
    }

    /// Everything the merged reader delivers, and the link type of each packet's batch.
    static func readAll(_ reader: MergedCaptureReader) throws -> (packets: [Written], linkTypes: [LinkType]) {
        var batch = ReadAheadPcapReader.makeBatch(), packets: [Written] = [], linkTypes: [LinkType] = []
        while try reader.nextBatch(into: &batch) {
            batch.withUnsafeBytes { bytes in
                for index in 0..<batch.count {
                    let frame = batch.frame(index, in: bytes)
                    let (file, record) = frame.loadUnaligned(as: (UInt32, UInt32).self)
                    packets.append(Written(file: Int(file), record: Int(record), timestamp: batch.timestamps[index], length: frame.count))
                    linkTypes.append(batch.linkType)
                }
            }
        }
        return (packets, linkTypes)
    }

    static func temporaryDirectory() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("merge-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    /// The timestamp merge against sorting every packet of every file by (timestamp, file, record).
    @Test(arguments: [[3_000, 2_500, 1], [0, 1_200], [5_000], [700, 0, 700, 700]])
    func mergeEqualsSortByTimestampFileAndRecord(counts: [Int]) throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (paths, written) = try Self.writeFiles(counts, seed: UInt64(counts.reduce(0, +)), in: directory)
        let merged = try Self.readAll(MergedCaptureReader(paths: paths))
        let reference = written.sorted { ($0.timestamp, $0.file, $0.record) < ($1.timestamp, $1.file, $1.record) }
        #expect(merged.packets.count == reference.count)
        #expect(merged.packets == reference)
    }

    /// A merged batch holds packets of one link type: where the next packet comes from a file of
    /// another link type, the batch ends.
    @Test func mergedBatchesHoldOneLinkType() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (paths, written) = try Self.writeFiles([900, 900], linkTypes: [.ethernet, .raw], seed: 5, in: directory)
        let merged = try Self.readAll(MergedCaptureReader(paths: paths))
        #expect(merged.packets == written.sorted { ($0.timestamp, $0.file, $0.record) < ($1.timestamp, $1.file, $1.record) })
        for (packet, linkType) in zip(merged.packets, merged.linkTypes) { #expect(linkType == (packet.file == 0 ? .ethernet : .raw)) }
    }

    /// Concatenation: file order, each file moved so its first packet is at the latest timestamp
    /// before it, its own spacing kept exactly.
    @Test func concatenationRebasesEachFileAfterThePrevious() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (paths, written) = try Self.writeFiles([1_500, 0, 40, 2_000], seed: 9, in: directory)
        let read = try Self.readAll(MergedCaptureReader(paths: paths, order: .concatenate)).packets
        var expected: [Written] = [], latest: Int64?
        for file in 0..<4 {
            let packets = written.filter { $0.file == file }
            guard let first = packets.first else { continue }
            let offset = latest.map { $0 - first.timestamp } ?? 0
            for var packet in packets {
                packet.timestamp += offset
                expected.append(packet)
                latest = max(latest ?? packet.timestamp, packet.timestamp)
            }
        }
        #expect(read == expected)
        #expect(read.first?.timestamp == written.first?.timestamp)
        // File 2 starts where file 0 ended.
        #expect(read[1_500].timestamp == read[1_499].timestamp)
    }

    /// A damaged file in a merge: the packets merged before its damage are delivered, then its error.
    @Test func damagedFileEndsTheMergeWithItsError() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (paths, _) = try Self.writeFiles([2_000, 2_000], seed: 11, in: directory)
        let handle = try #require(FileHandle(forUpdatingAtPath: paths[1]))
        try handle.truncate(atOffset: try handle.seekToEnd() - 10)
        try handle.close()
        let reader = try MergedCaptureReader(paths: paths)
        var batch = ReadAheadPcapReader.makeBatch(), delivered = 0
        let error = #expect(throws: CaptureError.self) { while try reader.nextBatch(into: &batch) { delivered += batch.count } }
        #expect(error?.description.contains("in1.pcap") == true)
        #expect(delivered >= 1_999 && delivered < 4_000)
        #expect(try reader.nextBatch(into: &batch) == false)
        #expect(throws: CaptureError.self) { try MergedCaptureReader(paths: [paths[0], directory + "/missing.pcap"]) }
    }
}
