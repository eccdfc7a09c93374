import Foundation
import Testing
@testable import VPCEmu

@Suite struct InstanceLinkTypeTests {
    @Test func oneLinkTypeIsKeptMixedOnesGiveRawIP() {
        #expect(ReplaySession.instanceLinkType(for: [.ethernet, .ethernet]) == .ethernet)
        #expect(ReplaySession.instanceLinkType(for: [.linuxSLL]) == .linuxSLL)
        #expect(ReplaySession.instanceLinkType(for: [.ethernet, .raw]) == .raw)
        #expect(ReplaySession.instanceLinkType(for: [.raw, .linuxSLL2, .raw]) == .raw)
    }

    /// Batches of one link type fed to instance captures of another (what a pcapng interface declared
    /// mid-file gives): every delivered frame is written as the captures' link type, and reads back
    /// as the same IP packet (the TTL less the router hops), with the same verdicts as without re-framing.
    @Test(arguments: [(LinkType.ethernet, LinkType.raw), (.raw, .ethernet), (.ethernet, .linuxSLL), (.raw, .null)])
    func framesOfAnotherLinkTypeAreReframed(_ input: LinkType, _ output: LinkType) throws {
        let topology = try loadCapture("two-vpcs-same-account.yaml").topology
        let flows = try ["ping ecs-a ecs-b count=3", "tcp ecs-b ecs-a 80 bytes=4000"].map { try TrafficGenerator.parse($0, topology: topology) }
        var stream = TrafficGenerator(flows: flows, seed: 2).stream()
        var sent: [(ip: [UInt8], timestamp: Int64)] = []
        while let packet = stream.next() { sent.append((Array(packet.frame.dropFirst(14)), packet.time)) }
        // The input batch: each IP packet behind `input`'s header.
        var batch = PacketBatch()
        batch.reset(firstRecordIndex: 0, linkType: input)
        for packet in sent {
            let frame = try #require(input.syntheticHeader(for: .ipv4)) + packet.ip
            let added = frame.withUnsafeBufferPointer { bytes in
                batch.withColumns { $0.append(bytes.baseAddress!, capturedLength: UInt32(bytes.count), wireLength: UInt32(bytes.count),
                                              timestamp: packet.timestamp) }
            }
            try #require(added)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reframe-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let session = try ReplaySession(topology: topology, outputDirectory: directory, options: .init(instanceLinkType: output))
        try session.process(batch)
        let report = try session.finish()
        #expect(report.totals.deliveredPackets == Int64(sent.count))

        var received: [[UInt8]] = []
        for name in ["ecs-a", "ecs-b"] {
            let reader = try PcapReader(path: directory + "/\(name).pcap")
            #expect(reader.linkType == output)
            var readBack = PacketBatch(), headers = PacketHeaders()
            while try reader.nextBatch(into: &readBack) {
                readBack.withUnsafeBytes { bytes in
                    for index in 0..<readBack.count {
                        let frame = readBack.frame(index, in: bytes)
                        #expect(PacketParser.parse(frame, linkType: output, wireLength: Int(readBack.wireLengths[index]), into: &headers) == .ip)
                        #expect(Int(readBack.wireLengths[index]) == frame.count)
                        received.append(Array(frame[Int(headers.l3Offset)...]))
                    }
                }
            }
        }
        // Same packets but for the TTL (byte 8) and the header checksum (10–11) the hop changed.
        func masked(_ ip: [UInt8]) -> [UInt8] { ip.enumerated().map { [8, 10, 11].contains($0.offset) ? 0 : $0.element } }
        #expect(received.map(masked).sorted { $0.lexicographicallyPrecedes($1) } == sent.map { masked($0.ip) }.sorted { $0.lexicographicallyPrecedes($1) })
    }
}
