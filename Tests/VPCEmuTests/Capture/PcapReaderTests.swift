import Foundation
import Testing
@testable import VPCEmu
import VPCEmuBench

@Suite struct PcapReaderTests {
    @Test(.needsSharedData) func everyCorpusFileIsReadAndCountsMatchLibpcap() throws {
        let files = try SharedData.tcpdumpCorpusFiles()
        #expect(files.count == 830)
        var compared = 0
        var refusedLinkTypes = 0
        for (file, path) in files {
            let ours = readAll(path, batch: PacketBatch(packetCapacity: 64, byteCapacity: 1 << 16))
            let reference = LibpcapBaseline.run(path: path)
            switch ours.error {
            case .unsupportedLinkType?:
                refusedLinkTypes += 1
                #expect(reference != nil, "\(file): we named a link type for a file libpcap cannot open")
                continue
            case .damaged(_, .fileHeader, _)?, .cannotOpen?:
                #expect(reference == nil, "\(file): libpcap opens what we refused: \(ours.error!)")
                continue
            default:
                break
            }
            let libpcap = try #require(reference, "\(file): we read a file libpcap cannot open")
            compared += 1
            #expect(ours.frames.count == libpcap.packets, "\(file)")
            #expect(ours.frames.reduce(0) { $0 + $1.count } == libpcap.bytes, "\(file)")
            if let message = libpcap.error {
                #expect(ours.error == .damaged(file: path, location: .record(libpcap.packets), reason: message), "\(file)")
            } else {
                #expect(ours.error == nil, "\(file)")
            }
        }
        // Most of the corpus is in a link type VPCEmu decodes.
        #expect(compared > 400)
        #expect(compared + refusedLinkTypes > 780)
    }

    /// The plain pcap_next_ex loop used as the reference agrees with tcpdump's own reading.
    @Test(.needsSharedData) func libpcapBaselineAgreesWithTcpdump() throws {
        for file in ["mpls-ldp-hello.pcap", "802.1ad_QinQ.pcap", "pim-packet-assortment.pcap"] {
            let path = SharedData.tcpdumpCorpus.appendingPathComponent(file).path
            let baseline = try #require(LibpcapBaseline.run(path: path))
            let tcpdump = try #require(try runTool("tcpdump", ["-n", "-q", "-tt", "-r", path]),
                                       "tcpdump is not installed (.ci/install-deps installs it)")
            let packetLines = tcpdump.output.split(separator: "\n").filter { $0.first?.isNumber == true }
            #expect(baseline.packets > 0)
            #expect(packetLines.count == baseline.packets, "\(file)")
        }
    }

    /// Cutting a good file anywhere delivers every record that ends before the cut, then the
    /// damage at the next record's index (or a clean end exactly on a record boundary).
    /// Through `ReadAheadPcapReader` (`readAhead`) too: its thread must deliver the same records and error.
    @Test(arguments: ["pcap", "pcapng"], [false, true])
    func truncatedFilesDeliverEveryCompleteRecordThenTheError(format: String, readAhead: Bool) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let whole = directory.appendingPathComponent("whole.\(format)").path
        if format == "pcap" { try writePcap(whole) } else { try writePcapng(whole) }
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: whole)))
        let layout = Self.layout(bytes, format: format)
        #expect(layout.packetEnds.count == writerTestFrames.count)
        let boundaries = [layout.headerEnd] + layout.blockEnds

        let cut = directory.appendingPathComponent("cut.\(format)").path
        var offset = 0
        while offset < bytes.count {
            try Data(bytes[..<offset]).write(to: URL(fileURLWithPath: cut))
            let result = readAll(cut, readAhead: readAhead)
            let complete = layout.completePackets(before: offset)
            #expect(result.frames == Array(writerTestFrames.prefix(complete)), "cut at \(offset)")
            if offset < layout.headerEnd {
                guard case .damaged(_, .fileHeader, _)? = result.error else {
                    Issue.record("cut at \(offset) inside the header: \(String(describing: result.error))")
                    offset += 1
                    continue
                }
            } else if boundaries.contains(offset) {
                #expect(result.error == nil, "cut at record boundary \(offset)")
            } else {
                // pcapng damage names the block too (the native reader), pcap the record.
                guard case .damaged(let file, let location, let reason)? = result.error,
                      let index = Self.recordIndex(location) else {
                    Issue.record("cut at \(offset): \(String(describing: result.error))")
                    offset += 1
                    continue
                }
                #expect(file == cut)
                #expect(index == complete, "cut at \(offset)")
                #expect(reason.contains(format == "pcap" ? "truncated" : "cut short"), "cut at \(offset): \(reason)")
                if format == "pcapng", case .block(let block, _) = location {
                    // The block the cut falls in: the section header and first interface, then those that end before it.
                    #expect(block == 2 + layout.blockEnds.filter { $0 <= offset }.count, "cut at \(offset)")
                }
            }
            // Every offset near the header and record boundaries, a stride in between.
            offset += boundaries.contains(where: { abs($0 - offset) < 20 }) ? 1 : 17
        }
    }

    /// The record index a damage location names (a pcap record, or the packets before a pcapng block).
    static func recordIndex(_ location: CaptureError.Location) -> Int? {
        switch location {
        case .record(let index), .block(_, record: let index): index
        case .fileHeader: nil
        }
    }

    /// Where a file we wrote can be cut cleanly. A reader opens a file once it has read the pcap
    /// header, or a pcapng section header and its first interface block; later blocks are read
    /// lazily, so a cut inside a second interface block is damage at the next record.
    struct Layout {
        var headerEnd = 0
        /// Ends of every block after the header (packet records and later interface blocks).
        var blockEnds: [Int] = []
        /// Ends of the packet records only.
        var packetEnds: [Int] = []

        func completePackets(before cut: Int) -> Int { packetEnds.filter { $0 <= cut }.count }
    }

    static func layout(_ bytes: [UInt8], format: String) -> Layout {
        func u32(_ at: Int) -> Int { bytes[at ..< at + 4].reversed().reduce(0) { $0 << 8 | Int($1) } }
        var layout = Layout()
        if format == "pcap" {
            var offset = 24
            layout.headerEnd = offset
            while offset < bytes.count {
                offset += 16 + u32(offset + 8)
                layout.packetEnds.append(offset)
            }
            layout.blockEnds = layout.packetEnds
        } else {
            var offset = 0
            while offset < bytes.count {
                let type = u32(offset)
                offset += u32(offset + 4)
                if layout.headerEnd == 0 {
                    if type == 1 { layout.headerEnd = offset }
                    continue
                }
                layout.blockEnds.append(offset)
                if type == 6 { layout.packetEnds.append(offset) }
            }
        }
        return layout
    }

    @Test(.needsSharedData) func aRealCaptureCutMidwayDeliversItsCompleteRecords() throws {
        let source = SharedData.tcpdumpCorpus.appendingPathComponent("pim-packet-assortment.pcap")
        let bytes = try [UInt8](Data(contentsOf: source))
        let whole = readAll(source.path)
        #expect(whole.error == nil)
        let layout = Self.layout(bytes, format: "pcap")
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cut = directory.appendingPathComponent("cut.pcap").path
        for offset in stride(from: layout.headerEnd + 1, to: bytes.count, by: max(1, bytes.count / 300))
        where !layout.packetEnds.contains(offset) {
            try Data(bytes[..<offset]).write(to: URL(fileURLWithPath: cut))
            let result = readAll(cut)
            let complete = layout.completePackets(before: offset)
            #expect(result.frames == Array(whole.frames.prefix(complete)))
            guard case .damaged(_, let location, _)? = result.error, Self.recordIndex(location) == complete else {
                Issue.record("cut at \(offset): \(String(describing: result.error))")
                continue
            }
        }
    }

    @Test func anAbsurdCapturedLengthNamesTheRecord() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("absurd.pcap").path
        try writePcap(path)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let recordFive = Self.layout(bytes, format: "pcap").packetEnds[4]
        // Record 5's captured length becomes 0xFFFFFF00 (little-endian file written on this host).
        bytes.replaceSubrange(recordFive + 8 ..< recordFive + 12, with: [0x00, 0xFF, 0xFF, 0xFF])
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let result = readAll(path)
        #expect(result.frames == Array(writerTestFrames.prefix(5)))
        let error = try #require(result.error)
        guard case .damaged(path, .record(5), let reason) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(reason.contains("4294967040"))
        #expect(error.description.hasPrefix("\(path): damaged at record 5"))
    }

    @Test(.needsSharedData) func badMagicMissingFileAndForeignLinkTypeAreTypedErrors() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = directory.appendingPathComponent("notes.txt").path
        try Data("this is not a capture file at all".utf8).write(to: URL(fileURLWithPath: text))
        guard case .damaged(text, .fileHeader, let reason)? = readAll(text).error else {
            Issue.record("a text file was not reported as damaged")
            return
        }
        #expect(reason.contains("unknown file format"))

        let missing = directory.appendingPathComponent("missing.pcap").path
        #expect(readAll(missing).error == .cannotOpen(file: missing, reason: "No such file or directory"))
        #expect(readAll(directory.path).error == .cannotOpen(file: directory.path, reason: "Is a directory"))

        // tcpdump's corpus has IEEE 802.15.4 captures, a link type VPCEmu does not decode.
        let radiotap = SharedData.tcpdumpCorpus.appendingPathComponent("802_15_4_beacon.pcap").path
        let error = try #require(readAll(radiotap).error)
        guard case .unsupportedLinkType(radiotap, _, let name) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(!name.isEmpty)
        #expect(error.description.contains("unsupported link type \(name)"))
    }
}

@Suite struct PcapngInterfaceTests {
    /// libpcap hands out one link type per file and refuses a pcapng section whose interfaces
    /// differ; the native reader delivers every packet, in batches of one link type each.
    @Test func interfacesWithOtherLinkTypesAreReadInBatchesOfTheirOwn() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("mixed.pcapng").path
        let writer = try PcapngWriter(path: path)
        let ethernet = try writer.addInterface(name: "eth0", linkType: .ethernet)
        let frame = writerTestFrames[0]
        try frame.withUnsafeBytes { try writer.write(interface: ethernet, $0, timestamp: 1) }
        try frame.withUnsafeBytes { try writer.write(interface: ethernet, $0, timestamp: 2) }
        let raw = try writer.addInterface(name: "tun0", linkType: .raw)
        try frame.withUnsafeBytes { try writer.write(interface: raw, $0, timestamp: 3) }
        try frame.withUnsafeBytes { try writer.write(interface: ethernet, $0, timestamp: 4) }
        try writer.finish()

        let libpcap = readAll(path, engine: .libpcap)
        #expect(libpcap.frames.count == 2)
        guard case .damaged(path, .record(2), let reason)? = libpcap.error else {
            Issue.record("libpcap: \(String(describing: libpcap.error))")
            return
        }
        #expect(reason.contains("different"), "libpcap's message: \(reason)")

        let reader = try PcapReader(path: path)
        #expect(reader.linkType == .ethernet)
        var batch = PacketBatch(packetCapacity: 7, byteCapacity: 1 << 16)
        var batches: [(first: Int, count: Int, linkType: LinkType)] = []
        while try reader.nextBatch(into: &batch) { batches.append((batch.firstRecordIndex, batch.count, batch.linkType)) }
        #expect(batches.map(\.first) == [0, 2, 3] && batches.map(\.count) == [2, 1, 1])
        #expect(batches.map(\.linkType) == [.ethernet, .raw, .ethernet])
    }
}

@Suite struct PcapReaderMutationTests {
    /// Seeded byte flips anywhere in a pcap and a pcapng file (headers, lengths, data): the
    /// reader never traps and delivers exactly the packets libpcap's own loop returns; it stops
    /// with libpcap's error at the same record (pcap: the same message; pcapng: its own message,
    /// naming the block). Where libpcap refuses interfaces that differ from the first, or a
    /// damaged interface block, the native reader reads on: it delivers at least libpcap's packets.
    @Test(arguments: ["pcap", "pcapng"])
    func mutatedFilesAgreeWithLibpcap(format: String) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let whole = directory.appendingPathComponent("whole.\(format)").path
        if format == "pcap" { try writePcap(whole) } else { try writePcapng(whole) }
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: whole)))
        let mutated = directory.appendingPathComponent("mutated.\(format)")
        var generator = SeededGenerator(seed: format == "pcap" ? 0xCAB1E : 0x9C0FFEE)
        var sameStop = 0
        for _ in 0 ..< 300 {
            var bytes = original
            for _ in 0 ..< Int.random(in: 1 ... 4, using: &generator) {
                bytes[Int.random(in: 0 ..< bytes.count, using: &generator)] = UInt8.random(in: 0 ... 255, using: &generator)
            }
            try Data(bytes).write(to: mutated)
            let ours = readAll(mutated.path)
            guard let libpcap = LibpcapBaseline.run(path: mutated.path) else {
                switch ours.error {
                case .damaged(_, .fileHeader, _)?, .unsupportedLinkType?: break
                default: if format == "pcap" { Issue.record("libpcap cannot open it, we said \(String(describing: ours.error))") }
                }
                continue
            }
            if case .unsupportedLinkType? = ours.error { continue }
            if format == "pcap" {
                #expect(ours.frames.count == libpcap.packets)
                #expect(ours.frames.reduce(0) { $0 + $1.count } == libpcap.bytes)
                if let message = libpcap.error {
                    #expect(ours.error == .damaged(file: mutated.path, location: .record(libpcap.packets), reason: message))
                } else {
                    #expect(ours.error == nil)
                }
                continue
            }
            let lenient = libpcap.error.map { $0.contains("different from") || $0.contains("block of type 1") } ?? false
            if lenient {
                #expect(ours.frames.count >= libpcap.packets)
                continue
            }
            #expect(ours.frames.count == libpcap.packets)
            #expect(ours.frames.reduce(0) { $0 + $1.count } == libpcap.bytes)
            if libpcap.error != nil {
                guard case .damaged(mutated.path, .block(_, record: libpcap.packets), _)? = ours.error else {
                    Issue.record("libpcap: \(libpcap.error!); we: \(String(describing: ours.error))")
                    continue
                }
                sameStop += 1
            } else {
                #expect(ours.error == nil)
            }
        }
        if format == "pcapng" { #expect(sameStop > 30) }
    }
}
