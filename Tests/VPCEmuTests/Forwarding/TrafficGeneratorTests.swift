import Foundation
import Testing
@testable import VPCEmu

@Suite struct TrafficGeneratorTests {
    @Test func flowsProduceTheDocumentedPacketsDeterministically() throws {
        let topology = try loadCapture("inter-region-bandwidth.yaml").topology
        let specs = ["ping client-hz web-sv count=3", "ping client-hz 10.99.0.1 count=2", "syn client-hz web-sv 22 count=3",
                     "tcp client-hz web-sv 80 bytes=3000", "udp web-sv client-hz 5000 mbps=8 size=1000 duration=10ms", "mix client-hz web-sv count=120"]
        let flows = try specs.map { try TrafficGenerator.parse($0, topology: topology) }
        let packets = TrafficGenerator(flows: flows, seed: 9).packets()
        // 3 echoes + 3 replies, 2 unanswered echoes, 3 SYNs, 3 + 2 × 3 + 3 TCP segments, 10 UDP (1 ms apart), 120 mixed.
        #expect(packets.count == 6 + 2 + 3 + 12 + 10 + 120)
        #expect(zip(packets, packets.dropFirst()).allSatisfy { $0.time <= $1.time })
        #expect(packets.map(\.frame) == TrafficGenerator(flows: flows, seed: 9).packets().map(\.frame))
        #expect(packets.map(\.frame) != TrafficGenerator(flows: flows, seed: 10).packets().map(\.frame))
        var headers = PacketHeaders()
        var sizes: [UInt32: Int] = [:]
        for packet in packets {
            let outcome = packet.frame.withUnsafeBytes { PacketParser.parse($0, linkType: .ethernet, options: .verifyTransportChecksums, into: &headers) }
            #expect(outcome == .ip)
            if headers.ipProtocol == IPProtocolNumber.udp && headers.destinationPort == 5000 { #expect(headers.ipTotalLength == 1000) }
            sizes[headers.ipTotalLength, default: 0] += 1
        }
        #expect(sizes[46] ?? 0 > 30 && sizes[1500] ?? 0 > 0)
    }

    @Test func badSpecsNameTheProblem() throws {
        let topology = try loadCapture("inter-region-bandwidth.yaml").topology
        for (spec, problem) in [("ping client-hz nobody", "nobody is neither an instance of the topology nor an address"),
                                ("udp client-hz web-sv 53", "mbps= is required"),
                                ("tcp client-hz web-sv", "expected one destination PORT (1-65535)"),
                                ("ping client-hz web-sv count=0", "count=0: expected an integer in 1...10000000"),
                                ("ping client-hz web-sv colour=red", "unknown option colour="),
                                ("ping client-hz ::1", "source and destination are of different address families"),
                                ("flood a b", "unknown kind flood: expected ping, tcp, syn, udp or mix")] {
            #expect(throws: TrafficGenerator.SpecError(spec: spec, problem: problem)) { try TrafficGenerator.parse(spec, topology: topology) }
        }
    }
}
