import Foundation
import Testing
@testable import VPCEmu

@Suite struct FileSizeBoundTests {
    /// The bound counted from the flows against the file `write` produces: never below it, and
    /// equal to it for flows of fixed sizes (a tcp flow's data segments are bounded by its bytes, a
    /// mix counts every packet at 1,500 IP bytes).
    @Test(arguments: [
        (["ping ecs-a ecs-b count=7 size=84"], 1.0),
        (["ping ecs-a 10.99.0.1 count=3 size=28"], 1.0),
        (["tcp ecs-a ecs-b 80 bytes=100000 mbps=100"], 1.1),
        (["tcp ecs-a ecs-b 80 bytes=1"], 1.2),
        (["syn ecs-a ecs-b 22 count=4"], 1.0),
        (["udp ecs-b ecs-a 53 mbps=50 size=700 duration=100ms", "ping ecs-b ecs-a count=2"], 1.0),
        (["mix ecs-a ecs-b count=500"], 5.0),
    ])
    func theBoundHoldsTheFile(_ specs: [String], _ slack: Double) throws {
        let topology = try loadCapture("two-vpcs-same-account.yaml").topology
        let generator = TrafficGenerator(flows: try specs.map { try TrafficGenerator.parse($0, topology: topology) }, seed: 5)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bound-\(UUID()).pcap").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try generator.write(to: path)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber).int64Value
        #expect(generator.fileSizeBound >= size)
        #expect(Double(generator.fileSizeBound) <= Double(size) * slack, "bound \(generator.fileSizeBound), file \(size)")
    }

    /// 100 Gbit/s for 100,000 s: counted, not generated, and without overflow.
    @Test func aHugeFlowIsCountedWithoutGeneratingIt() throws {
        let topology = try loadCapture("two-vpcs-same-account.yaml").topology
        let flow = try TrafficGenerator.parse("udp ecs-a ecs-b 53 mbps=100000 duration=100000s", topology: topology)
        #expect(TrafficGenerator(flows: [flow], seed: 1).fileSizeBound == 1_250_000_000_000 * (16 + 14 + 1_000) + 24)
    }
}
