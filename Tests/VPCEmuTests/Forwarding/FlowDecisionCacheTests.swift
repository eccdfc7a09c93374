import Foundation
import Testing
@testable import VPCEmu

/// The walk with its per-flow lookups remembered (`FlowDecisionCache`) against the walk that looks
/// everything up for every packet: the same verdicts (trails included) and counters, across
/// timeline events that change routes, peerings and rules, with a cache small enough that flows
/// keep replacing each other.
@Suite struct FlowDecisionCacheTests {
    /// Every verdict and the final counters of a replay of `specs` through `topology`.
    static func replay(_ topology: Topology, _ specs: [String], seed: UInt64,
                       flowCacheCapacity: Int) throws -> ([ForwardingPipeline.Verdict], ForwardingPipeline.Counters) {
        let flows = try specs.map { spec throws(TrafficGenerator.SpecError) in try TrafficGenerator.parse(spec, topology: topology) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("flow-cache-\(UUID().uuidString).pcap").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try TrafficGenerator(flows: flows, seed: seed).write(to: path)

        var pipeline = try ForwardingPipeline(topology: topology, options: .init(flowCacheCapacity: flowCacheCapacity))
        let verdicts = try pipeline.forwardCapture(at: path)
        return (verdicts, pipeline.counters)
    }

    /// The index of the first verdict that differs (a whole-array `#expect` would print thousands).
    static func firstDifference(_ a: [ForwardingPipeline.Verdict], _ b: [ForwardingPipeline.Verdict]) -> Int? {
        a.count != b.count ? min(a.count, b.count) : a.indices.first { a[$0] != b[$0] }
    }

    /// peering-lifecycle.yaml: pcx-deleted is accepted at 10 s (Activated at 11 s), an SSH rule is
    /// added at 300 s, a blackhole route to 10.9.0.0/16 at 400 s, pcx-deleted deleted at 600 s.
    @Test(arguments: [1, 16, 4096])
    func cachedWalkAgreesAcrossTimelineEvents(flowCacheCapacity: Int) throws {
        let topology = try loadCapture("peering-lifecycle.yaml").topology
        let specs = [
            "udp ecs-dave ecs-alice 6000 mbps=1 size=200 duration=15s",
            "syn ecs-alice ecs-dave 22 count=3 start=295s",
            "udp ecs-alice 10.9.0.1 5000 mbps=1 size=100 start=395s duration=10s",
            "ping ecs-alice ecs-dave count=30 interval=1s start=585s",
        ]
        let cached = try Self.replay(topology, specs, seed: 7, flowCacheCapacity: flowCacheCapacity)
        let uncached = try Self.replay(topology, specs, seed: 7, flowCacheCapacity: 0)
        #expect(Self.firstDifference(cached.0, uncached.0) == nil)
        #expect(cached.1 == uncached.1)
        // Each event changes some verdicts: a route lookup remembered before 400 s (no route)
        // must not answer after it (blackhole), nor a peering's before its deletion.
        #expect(cached.1.drops(.noRoute) > 0)
        #expect(cached.1.drops(.blackholeRoute) > 0)
        #expect(cached.1.drops(.peeringNotActive) > 0)
        #expect(cached.1.delivered > 0)
    }

    /// The benchmark topology: ACLs on every vSwitch, two security groups per instance, a
    /// throttled peering and a random 5-tuple mix, so every remembered lookup is exercised.
    @Test func cachedWalkAgreesOnTheBenchmarkTopology() throws {
        let topology = try TopologyLoader.load(contentsOf: packageRoot.appendingPathComponent("Benchmarks/topologies/three-vpcs-acl.yaml").path).topology
        let specs = [
            "udp ecs-a1 ecs-b1 5001 mbps=12 size=64 duration=1s",
            "udp ecs-a2 ecs-c1 5003 mbps=10 size=64 duration=1s",
            "udp ecs-b1 ecs-c2 9999 mbps=2 size=64 duration=1s",
            "udp ecs-c2 ecs-b1 5004 mbps=8 size=64 duration=1s",
            "udp ecs-a1 10.9.0.1 5006 mbps=1 size=64 duration=1s",
            "udp ecs-c1 ecs-a1 7050 mbps=1 size=64 duration=1s",
            "mix ecs-a1 ecs-b2 count=3000 pps=3000",
            "ping ecs-b1 ecs-c1 count=200 interval=5ms",
        ]
        let cached = try Self.replay(topology, specs, seed: 3, flowCacheCapacity: 64)
        let uncached = try Self.replay(topology, specs, seed: 3, flowCacheCapacity: 0)
        #expect(Self.firstDifference(cached.0, uncached.0) == nil)
        #expect(cached.1 == uncached.1)
        for kind in [DropReason.Kind.aclDenied, .securityGroupDenied, .noRoute, .throttled] {
            #expect(cached.1.drops(kind) > 0, "no \(kind) drop: the traffic does not exercise that lookup")
        }
    }
}
