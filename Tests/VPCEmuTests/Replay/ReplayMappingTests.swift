import Foundation
import Testing
@testable import VPCEmu

/// The README's worked example through the library: tcpdump's dns_tcp.pcap (192.168.1.11 asks
/// 209.87.249.18 over TCP) mapped onto captures/two-vpcs-same-account.yaml, started at 30 s.
@Suite struct ReplayMappingTests {
    @Test(.needsSharedData) func mappedCaptureIsDeliveredRewrittenWithValidChecksums() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("replay-map-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let map = try AddressMap([AddressMap.Rule(parsing: "192.168.1.11=172.16.1.10"), AddressMap.Rule(parsing: "209.87.249.18=192.168.1.10")])
        let start = 30 * second
        let session = try ReplaySession(topology: loadCapture("two-vpcs-same-account.yaml").topology, outputDirectory: out,
                                        options: .init(pipeline: .init(start: start), input: .init(addressMap: map)))
        let path = SharedData.tcpdumpCorpus.appendingPathComponent("dns_tcp.pcap").path
        #expect(try session.feed(.captures([path])) == .completed)
        let report = try session.finish()
        #expect(report.totals.packets == 11 && report.totals.deliveredPackets == 11)
        #expect(report.emulatedStart == start && report.emulatedEnd > start && report.emulatedEnd < start + second)
        #expect(report.intervals.origin == start)

        let original = readAll(path)
        var received: [String: Int] = [:]
        for instance in ["ecs-a", "ecs-b"] {
            let file = readAll((out as NSString).appendingPathComponent("\(instance).pcap"))
            #expect(file.error == nil)
            received[instance] = file.frames.count
            for frame in file.frames {
                let (outcome, headers) = AddressRewriterTests.verified(frame)
                #expect(outcome == .ip)
                let expected: (IPAddress, IPAddress) = instance == "ecs-b" ? (address("172.16.1.10"), address("192.168.1.10"))
                                                                             : (address("192.168.1.10"), address("172.16.1.10"))
                #expect(headers.source == expected.0 && headers.destination == expected.1)
            }
        }
        #expect(received == ["ecs-a": 5, "ecs-b": 6])
        #expect(original.frames.count == 11)
    }

    /// Mapping applies to generated traffic too: a flow generated between the topology's
    /// instances and mapped away from them is no longer attributed.
    @Test func mapAppliesToGeneratedTraffic() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("replay-map-gen-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let topology = try loadCapture("two-vpcs-same-account.yaml").topology
        let flow = try TrafficGenerator.parse("udp ecs-a ecs-b 53 mbps=1 size=1000 duration=1s", topology: topology)
        let map = try AddressMap([AddressMap.Rule(parsing: "172.16.1.10=203.0.113.10")])
        let session = try ReplaySession(topology: topology, outputDirectory: out, options: .init(input: .init(addressMap: map)))
        #expect(try session.feed(.generated(TrafficGenerator(flows: [flow], seed: 1))) == .completed)
        let report = try session.finish()
        #expect(report.totals.packets > 10 && report.dropsByReason["unknown-source"] == report.totals.packets)
    }
}
