import Foundation
import Testing
@testable import VPCEmu

/// The data plane's flat form against the structures it is built from: `FlatFilters` against
/// `CompiledFilter.evaluate` (decision tree), `DataPlane.View` against the data plane's compiled
/// objects, and the batch path (runs of packets on one view) against forwarding one frame at a time.
@Suite struct DataPlaneViewTests {
    /// A filter of `ruleCount` random rules with random policies, each rule its own decider.
    static func randomFilter(_ random: inout ClassifierTests.RandomRuleSet, ruleCount: Int) -> (CompiledFilter, [ClassifierRule]) {
        let rules = (0..<ruleCount).map { _ in random.rule(families: [.ipv4, .ipv6]) }
        let verdicts = rules.indices.map { index in
            FilterVerdict(policy: Bool.random(using: &random.generator) ? .accept : .drop, decider: UInt32(index))
        }
        let deciders = rules.indices.map { FilterDecider.networkACLEntry(acl: "random", direction: .ingress, entry: "e\($0)") }
        let filter = CompiledFilter(rules: rules, verdicts: verdicts, deciders: deciders,
                                    fallback: (.drop, .networkACLDefault(acl: "random", direction: .ingress)))
        return (filter, rules)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func flatFiltersGiveTheCompiledVerdicts(seed: UInt64) {
        var random = ClassifierTests.RandomRuleSet(seed: seed)
        // Both sides of the linear-scan limit, and an empty filter (its default decides).
        let sizes = [0, 1, 7, FlatFilters.linearScanLimit, FlatFilters.linearScanLimit + 1, 120]
        var flat = FlatFilters()
        var filters: [(id: UInt32, filter: CompiledFilter, rules: [ClassifierRule])] = []
        for size in sizes {
            let (filter, rules) = Self.randomFilter(&random, ruleCount: size)
            filters.append((flat.add(filter), filter, rules))
        }
        #expect(flat.count == sizes.count)
        var mismatches = 0
        var decidedByRule = 0
        flat.withView { view in
            for (id, filter, rules) in filters {
                for _ in 0..<1500 {
                    let tuple = random.packet(rules, families: [.ipv4, .ipv6])
                    let expected = filter.evaluate(tuple)
                    if view.evaluate(id, tuple) != expected { mismatches += 1 }
                    if expected != filter.defaultVerdict { decidedByRule += 1 }
                }
            }
        }
        #expect(mismatches == 0)
        // The random packets hit rules often enough for the comparison to mean something.
        #expect(decidedByRule > 3000)
    }

    @Test func tablesMirrorTheDataPlane() throws {
        let loaded = try TopologyLoader.load(contentsOf: packageRoot.appendingPathComponent("Benchmarks/topologies/three-vpcs-acl.yaml").path)
        let compiled = TopologyRuntime(topology: loaded.topology).dataPlane
        var random = ClassifierTests.RandomRuleSet(seed: 7)
        let ports: [UInt16] = [22, 53, 80, 443, 5003, 7050, 8085, 9999, 30_000]
        func tuple(_ source: String, _ destination: String) -> FiveTuple {
            FiveTuple(source: address(source), destination: address(destination),
                      sourcePort: ports.randomElement(using: &random.generator) ?? 0,
                      destinationPort: ports.randomElement(using: &random.generator) ?? 0,
                      ipProtocol: [6, 17].randomElement(using: &random.generator) ?? 6)
        }
        let peers = ["10.1.1.10", "10.2.2.10", "10.3.1.10", "192.0.2.7", "172.16.0.1"]
        compiled.withView { view in
            for name in ["ecs-a1", "ecs-b2", "ecs-c2"] {
                guard let instance = compiled.instanceNames.firstIndex(of: name),
                      let groups = compiled.instanceFilters[instance] else {
                    Issue.record("\(name) has no compiled security groups")
                    continue
                }
                let entry = view.instances[instance]
                #expect(entry.vswitch == compiled.instanceVSwitch[instance])
                let vswitch = Int(entry.vswitch)
                let acl = compiled.vswitchFilters[vswitch]
                #expect(acl != nil)
                #expect(view.vswitches[vswitch].table == compiled.vswitchTable[vswitch])
                for _ in 0..<200 {
                    let peer = peers.randomElement(using: &random.generator) ?? "10.1.1.10"
                    let outbound = tuple("10.0.0.1", peer), inbound = tuple(peer, "10.0.0.1")
                    #expect(view.evaluate(entry.egressFilter, outbound) == groups.egress.evaluate(outbound))
                    #expect(view.evaluate(entry.ingressFilter, inbound) == groups.ingress.evaluate(inbound))
                    #expect(view.evaluate(view.vswitches[vswitch].egressACL, outbound) == acl?.egress.evaluate(outbound))
                    #expect(view.evaluate(view.vswitches[vswitch].ingressACL, inbound) == acl?.ingress.evaluate(inbound))
                }
            }
            for address in ["10.1.1.10", "10.2.2.10", "10.3.2.10", "10.9.0.1"].map(address) {
                #expect(view.owner(of: address) == compiled.sourceOwners.lookup(address))
                for vpc in compiled.vpcNames.indices {
                    #expect(view.instance(in: UInt32(vpc), owning: address) == compiled.instance(in: UInt32(vpc), owning: address))
                }
                for table in compiled.tables.indices {
                    #expect(view.route(UInt32(table), to: address) == compiled.route(table: UInt32(table), to: address))
                }
            }
        }
    }

    /// The inter-region example's bandwidth changes at 120 s: the batch path must leave its view
    /// there, apply the event and continue on rebuilt tables, exactly as one frame at a time does.
    @Test func batchesAgreeWithOneFrameAtATimeAcrossATimelineEvent() throws {
        let loaded = try loadCapture("inter-region-bandwidth.yaml")
        let flows = try [
            "tcp client-hz web-sv 80 bytes=4000000 mbps=1 start=100s",
            "udp web-sv client-hz 6000 mbps=12 size=1500 start=115s duration=10s",
            "ping client-hz web-sv count=40 interval=3s",
            "syn client-hz web-sv 22 count=3 start=118s",
        ].map { spec throws(TrafficGenerator.SpecError) in try TrafficGenerator.parse(spec, topology: loaded.topology) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tables-\(UUID().uuidString).pcap").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try TrafficGenerator(flows: flows, seed: 3).write(to: path)

        var batched = try ForwardingPipeline(topology: loaded.topology)
        let batchedVerdicts = try batched.forwardCapture(at: path)

        var single = try ForwardingPipeline(topology: loaded.topology)
        var singleVerdicts: [ForwardingPipeline.Verdict] = []
        var headers = PacketHeaders()
        var batch = PacketBatch(packetCapacity: 64)
        let again = try PcapReader(path: path)
        while try again.nextBatch(into: &batch) {
            try batch.withUnsafeBytes { (bytes) throws(ForwardingPipeline.OptionError) in
                for index in 0..<batch.count {
                    singleVerdicts.append(try single.forward(batch.frame(index, in: bytes), linkType: again.linkType,
                                                             wireLength: Int(batch.wireLengths[index]),
                                                             timestamp: batch.timestamps[index], headers: &headers))
                }
            }
        }
        #expect(batchedVerdicts.count > 15_000)
        #expect(batchedVerdicts == singleVerdicts)
        #expect(batched.counters == single.counters)
        // Both sides of the event are exercised: throttling before 120 s and deliveries after.
        #expect(batched.counters.drops(.throttled) > 0)
        #expect(batched.counters.drops(.securityGroupDenied) == 3)
    }
}
