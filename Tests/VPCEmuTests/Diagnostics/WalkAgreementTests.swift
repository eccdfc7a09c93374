import Testing
@testable import VPCEmu

/// The analyzer and the pipeline walk the same stages (`Walk`) over the same data plane, so
/// they agree by construction; this checks it on every flow of every example topology (captures/,
/// the agreement fixture and the benchmark topology): from every instance address to every other
/// instance address of its family and to an address inside every VPC, vSwitch and route block,
/// over every protocol, a few destination ports, at every interesting time of the timeline —
/// the request, and the reply sent after it.
@Suite struct WalkAgreementTests {
    static let ports: [UInt16] = [22, 53, 80, 443]

    static func topologies() throws -> [(String, Topology)] {
        var all = try captureFiles().map { ($0, try loadCapture($0).topology) }
        all.append(("agreement-filters.yaml",
                    try TopologyLoader.load(yaml: ReachabilityAgreementTests.filtersYAML, file: "agreement-filters.yaml").topology))
        let bench = packageRoot.appendingPathComponent("Benchmarks/topologies/three-vpcs-acl.yaml").path
        all.append(("three-vpcs-acl.yaml", try TopologyLoader.load(contentsOf: bench).topology))
        return all
    }

    @Test func analyzerAndPipelineAgreeOnEveryFlow() throws {
        var outcomes: [String: Set<String>] = [:]
        for (name, topology) in try Self.topologies() {
            let times = Array(Set(ReachabilityAgreementTests.interestingTimes(topology).flatMap { [$0, $0 + EmulatedDuration(nanoseconds: 1)] }))
                .sorted { $0.nanoseconds < $1.nanoseconds }
            var compared = 0
            for at in times {
                let analyzer = ReachabilityAnalyzer(topology: topology, at: at)
                for (source, destination) in Self.endpoints(topology) {
                    // One pipeline per pair: flows of a pair differ in ports (ICMP echo: one flow), so
                    // the connections one flow opens never decide another's verdict.
                    var pipeline = try ForwardingPipeline(topology: topology, options: .init(connectionCapacity: 1024, origin: 0))
                    var sourcePort: UInt16 = 40_000
                    for flowProtocol in ReachabilityFlow.FlowProtocol.all(for: source.family) {
                        for port in flowProtocol.hasPorts ? Self.ports : [0] {
                            sourcePort += 1
                            let flow = try ReachabilityFlow(source: source, destination: destination, ipProtocol: flowProtocol,
                                                            sourcePort: sourcePort, destinationPort: port == 0 ? 1 : port)
                            let analysis = analyzer.analyze(flow, reverse: true)
                            let request = try Self.send(flow, reply: false, at: at, through: &pipeline)
                            let reply = try Self.send(flow, reply: true, at: at, through: &pipeline)
                            let externals = analyzer.dataPlane.externals
                            #expect(analysis.forward.outcome == ReachabilityAgreementTests.outcome(request, externals), "\(name) at \(at): \(flow)")
                            // A flow that leaves the modelled network has no reply to analyze.
                            #expect(analysis.reverse?.outcome == (analysis.forward.leaves == nil ? ReachabilityAgreementTests.outcome(reply, externals) : nil),
                                    "\(name) at \(at): reply of \(flow)")
                            outcomes[name, default: []].insert(ReachabilityAgreementTests.code(analysis.forward.outcome))
                            compared += 1
                        }
                    }
                }
            }
            #expect(compared > 100, "\(name): \(compared) flows")
        }
        // Both verdicts occur on every topology, so no comparison is one-sided.
        for (name, codes) in outcomes {
            #expect(codes.contains("delivered") && codes.count >= 2, "\(name): \(codes)")
        }
        // Together the topologies reach every drop the analysis predicts.
        let seen = outcomes.values.reduce(into: Set<String>()) { $0.formUnion($1) }
        #expect(seen.isSuperset(of: ["delivered", "unknown-source", "acl-denied", "security-group-denied", "blackhole-route", "no-route",
                                     "non-transitive", "no-vswitch", "no-instance", "peering-not-active"]), "\(seen)")
    }

    /// Every instance address to every instance address of its family, and to an address in every
    /// VPC, vSwitch and route destination block of its family; plus one source no instance owns.
    static func endpoints(_ topology: Topology) -> [(IPAddress, IPAddress)] {
        let addresses = topology.instances.flatMap(\.addresses)
        let blocks = topology.vpcs.flatMap(\.allCIDRs) + topology.vswitches.flatMap(\.allCIDRs)
            + topology.routeTables.flatMap { $0.routes.map(\.destination) }
        let strays = blocks.map { block in
            let (high, low) = block.address.bits
            let hostBits = block.family.bitWidth - block.prefixLength
            return hostBits < 3 ? block.address
                : block.family == .ipv4 ? IPAddress.v4(IPv4Address(UInt32(truncatingIfNeeded: low | 5))) : .v6(IPv6Address(high: high, low: low | 5))
        }
        var pairs: [(IPAddress, IPAddress)] = []
        for source in addresses {
            for destination in addresses + strays where destination.family == source.family { pairs.append((source, destination)) }
        }
        if let first = addresses.first(where: { $0.family == .ipv4 }) {
            pairs.append((address("198.51.100.7"), first))
        }
        return pairs
    }

    static func send(_ flow: ReachabilityFlow, reply: Bool, at: EmulatedTime, through pipeline: inout ForwardingPipeline) throws -> ForwardingPipeline.Verdict {
        let frame = PacketBuilder.frame(for: ReachabilityAgreementTests.packet(flow, reply: reply))
        var headers = PacketHeaders()
        return try frame.withUnsafeBytes { bytes throws(ForwardingPipeline.OptionError) in
            try pipeline.forward(bytes, linkType: .ethernet, timestamp: at.nanoseconds, headers: &headers)
        }
    }
}
