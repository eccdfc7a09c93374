import Testing
@testable import VPCEmu

/// The analyzer and the pipeline agree: for seeded random flows over every example topology
/// (instance pairs and stray destinations, all protocols, IPv4 and IPv6 where the topology has
/// it, times around its timeline events), the analyzer's verdict — delivered to which instance,
/// or the exact drop reason — is the pipeline's for the request, and for the reply sent after it.
@Suite struct ReachabilityAgreementTests {
    static let flowsPerTopology = 100

    @Test(arguments: captureFiles())
    func analyzerAgreesWithThePipeline(file: String) throws {
        let topology = try loadCapture(file).topology
        var random = SeededGenerator(seed: file.utf8.reduce(0x5EED) { $0 &* 31 &+ UInt64($1) })
        let times = Self.interestingTimes(topology)
        var compared = 0
        var outcomes: Set<String> = []
        for _ in 0..<Self.flowsPerTopology {
            guard let flow = Self.randomFlow(topology, using: &random) else { continue }
            let base = times.randomElement(using: &random) ?? .zero
            let offset = [-1_000_000, 0, 1, 1_000_000, 500_000_000, 2_000_000_000].randomElement(using: &random) ?? 0
            let at = EmulatedTime(nanoseconds: max(0, base.nanoseconds + Int64(offset)))

            let analysis = ReachabilityAnalyzer(topology: topology, at: at).analyze(flow, reverse: true)
            var net = try PipelineHarness(file)
            let request = net.send(PacketBuilder.frame(for: Self.packet(flow, reply: false)), at: at.nanoseconds)
            let reply = net.send(PacketBuilder.frame(for: Self.packet(flow, reply: true)), at: at.nanoseconds)
            #expect(analysis.forward.outcome == Self.outcome(request), "\(file) at \(at): \(flow)")
            #expect(analysis.reverse?.outcome == Self.outcome(reply), "\(file) at \(at): reply of \(flow)")
            outcomes.insert(Self.code(analysis.forward.outcome))
            outcomes.insert(analysis.reverse.map { Self.code($0.outcome) } ?? "")
            compared += 1
        }
        #expect(compared > Self.flowsPerTopology / 2)
        // Both verdicts occur on every example, so the comparison is not one-sided.
        #expect(outcomes.contains("delivered"), "\(file): \(outcomes)")
        #expect(outcomes.count >= 2, "\(file): \(outcomes)")
    }

    static func outcome(_ verdict: ForwardingPipeline.Verdict) -> ReachabilityOutcome {
        switch verdict.outcome {
        case .delivered(let instance, _): .delivered(instance: instance)
        case .dropped(let reason): .dropped(reason)
        }
    }

    static func code(_ outcome: ReachabilityOutcome) -> String {
        switch outcome {
        case .delivered: "delivered"
        case .dropped(let reason): reason.code
        }
    }

    /// Time zero, every timeline event, the end of each activation delay, and the acceptance
    /// timeout (when unanswered requests expire).
    static func interestingTimes(_ topology: Topology) -> [EmulatedTime] {
        let events = topology.timeline.map(\.time)
        return [.zero, .zero + topology.settings.acceptanceTimeout] + events + events.map { $0 + topology.settings.activationDelay }
    }

    /// A random source instance; a random other instance or (one time in eight) a random
    /// address inside a random VPC block; a random protocol and port.
    static func randomFlow(_ topology: Topology, using random: inout SeededGenerator) -> ReachabilityFlow? {
        guard let from = topology.instances.randomElement(using: &random) else { return nil }
        let families = from.addresses.map(\.family)
        guard let family = families.randomElement(using: &random), let source = from.addresses.first(where: { $0.family == family }) else { return nil }
        let destination: IPAddress
        if random.next() % 8 == 0 {
            let blocks = topology.vpcs.flatMap(\.allCIDRs).filter { $0.family == family }
            guard let block = blocks.randomElement(using: &random) else { return nil }
            destination = randomAddress(in: block, using: &random)
        } else {
            guard let to = topology.instances.randomElement(using: &random),
                  let address = to.addresses.first(where: { $0.family == family }) else { return nil }
            destination = address
        }
        let flowProtocol = ReachabilityFlow.FlowProtocol.all(for: family).randomElement(using: &random) ?? .tcp
        let port = [22, 80, 443, 53, UInt16.random(in: 1...65535, using: &random)].randomElement(using: &random) ?? 80
        return try? ReachabilityFlow(source: source, destination: destination, ipProtocol: flowProtocol,
                                     sourcePort: UInt16.random(in: 1024...65535, using: &random), destinationPort: port)
    }

    static func randomAddress(in block: IPNetwork, using random: inout SeededGenerator) -> IPAddress {
        let (high, low) = block.address.bits
        let hostBits = block.family.bitWidth - block.prefixLength
        let lowMask: UInt64 = hostBits >= 64 ? .max : (1 << UInt64(hostBits)) - 1
        let highMask: UInt64 = hostBits <= 64 ? 0 : (hostBits >= 128 ? .max : (1 << UInt64(hostBits - 64)) - 1)
        let newLow = low | (random.next() & lowMask), newHigh = high | (random.next() & highMask)
        return block.family == .ipv4 ? .v4(IPv4Address(UInt32(truncatingIfNeeded: newLow))) : .v6(IPv6Address(high: newHigh, low: newLow))
    }

    /// The request (TCP SYN, UDP, ICMP echo request) or its reply (SYN-ACK, UDP back, echo reply).
    static func packet(_ flow: ReachabilityFlow, reply: Bool) -> PacketSpec {
        let tuple = flow.tuple(reply: reply)
        let transport: TransportSpec = switch flow.ipProtocol {
        case .tcp: .tcp(TCPSegmentSpec(sourcePort: tuple.sourcePort, destinationPort: tuple.destinationPort,
                                       flags: reply ? [.syn, .ack] : .syn))
        case .udp: .udp(sourcePort: tuple.sourcePort, destinationPort: tuple.destinationPort)
        case .icmp, .icmpv6: .icmpEcho(isRequest: !reply, identifier: ReachabilityFlow.echoIdentifier, sequence: 1)
        }
        return PacketSpec(ethernet: EthernetSpec(), source: tuple.source, destination: tuple.destination, transport: transport)
    }
}
