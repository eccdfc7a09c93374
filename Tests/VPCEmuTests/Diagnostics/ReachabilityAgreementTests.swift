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
        try compare(try loadCapture(file).topology, name: file) { try PipelineHarness(file) }
    }

    /// The examples have no denying network ACL, blackhole or instance route on the random
    /// paths; this topology has them all, with security-group priorities, group peers, IPv6,
    /// a cross-account peering accepted then deleted, and rules and entries edited over time.
    @Test func analyzerAgreesWithThePipelineOnFiltersAndRouteKinds() throws {
        let topology = try TopologyLoader.load(yaml: Self.filtersYAML, file: "agreement-filters.yaml").topology
        let outcomes = try compare(topology, name: "agreement-filters.yaml") {
            // The harness reads a captures/ file and lets the test replace its text.
            try PipelineHarness("two-vpcs-same-account.yaml", yaml: { _ in Self.filtersYAML })
        }
        #expect(outcomes.isSuperset(of: ["delivered", "acl-denied", "security-group-denied", "blackhole-route", "no-route",
                                          "no-vswitch", "no-instance", "peering-not-active"]), "\(outcomes)")
    }

    /// Compares the verdicts of random flows; returns the verdict codes seen.
    @discardableResult
    func compare(_ topology: Topology, name: String, harness: () throws -> PipelineHarness) throws -> Set<String> {
        var random = SeededGenerator(seed: name.utf8.reduce(0x5EED) { $0 &* 31 &+ UInt64($1) })
        let times = Self.interestingTimes(topology)
        var compared = 0
        var outcomes: Set<String> = []
        for _ in 0..<Self.flowsPerTopology {
            guard let flow = Self.randomFlow(topology, using: &random) else { continue }
            let base = times.randomElement(using: &random) ?? .zero
            let offset = [-1_000_000, 0, 1, 1_000_000, 500_000_000, 2_000_000_000].randomElement(using: &random) ?? 0
            let at = EmulatedTime(nanoseconds: max(0, base.nanoseconds + Int64(offset)))

            let analyzer = ReachabilityAnalyzer(topology: topology, at: at)
            let analysis = analyzer.analyze(flow, reverse: true)
            let externals = analyzer.dataPlane.externals
            var net = try harness()
            let request = net.send(PacketBuilder.frame(for: Self.packet(flow, reply: false)), at: at.nanoseconds)
            let reply = net.send(PacketBuilder.frame(for: Self.packet(flow, reply: true)), at: at.nanoseconds)
            #expect(analysis.forward.outcome == Self.outcome(request, externals), "\(name) at \(at): \(flow)")
            // A flow that leaves the modelled network has no reply to analyze.
            #expect(analysis.reverse?.outcome == (analysis.forward.leaves == nil ? Self.outcome(reply, externals) : nil), "\(name) at \(at): reply of \(flow)")
            outcomes.insert(Self.code(analysis.forward.outcome))
            outcomes.insert(analysis.reverse.map { Self.code($0.outcome) } ?? "")
            compared += 1
        }
        #expect(compared > Self.flowsPerTopology / 2)
        // Both verdicts occur on every topology, so the comparison is not one-sided.
        #expect(outcomes.contains("delivered"), "\(name): \(outcomes)")
        #expect(outcomes.count >= 2, "\(name): \(outcomes)")
        return outcomes
    }

    static func outcome(_ verdict: ForwardingPipeline.Verdict, _ externals: [ExternalGateway]) -> ReachabilityOutcome {
        switch verdict.outcome {
        case .delivered(let instance, _): .delivered(instance: instance)
        case .dropped(let reason): .dropped(reason)
        case .left(let gateway): .left(externals[Int(gateway)])
        }
    }

    static func code(_ outcome: ReachabilityOutcome) -> String {
        switch outcome {
        case .delivered: "delivered"
        case .dropped(let reason): reason.code
        case .left: "left"
        }
    }

    /// Time zero, every timeline event, the end of each activation delay, and the acceptance
    /// timeout (when unanswered requests expire).
    static func interestingTimes(_ topology: Topology) -> [EmulatedTime] {
        let events = topology.timeline.map(\.time)
        return [.zero, .zero + topology.settings.acceptanceTimeout] + events + events.map { $0 + topology.settings.activationDelay }
    }

    /// A random source instance; a random other instance or (one time in six) a random
    /// address inside a random VPC, vSwitch or route destination block; a random protocol and port.
    static func randomFlow(_ topology: Topology, using random: inout SeededGenerator) -> ReachabilityFlow? {
        guard let from = topology.instances.randomElement(using: &random) else { return nil }
        let families = from.addresses.map(\.family)
        guard let family = families.randomElement(using: &random), let source = from.addresses.first(where: { $0.family == family }) else { return nil }
        let destination: IPAddress
        if random.next() % 6 == 0 {
            let blocks = (topology.vpcs.flatMap(\.allCIDRs) + topology.vswitches.flatMap(\.allCIDRs)
                + topology.routeTables.flatMap { $0.routes.map(\.destination) }).filter { $0.family == family }
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

    static let filtersYAML = """
        name: agreement-filters
        regions: [cn-hangzhou]
        accounts: [alice, bob]
        vpcs:
          - name: vpc-a
            account: alice
            region: cn-hangzhou
            cidr: 10.1.0.0/16
            ipv6_cidr: 2408:4000:1000::/56
            vswitches:
              - {name: vsw-a1, zone: cn-hangzhou-h, cidr: 10.1.1.0/24, ipv6_cidr: 2408:4000:1000:1::/64, network_acl: acl-a}
              - {name: vsw-a2, zone: cn-hangzhou-h, cidr: 10.1.2.0/24, route_table: rt-a2}
            route_tables:
              - name: rt-a
                system: true
                routes:
                  - {destination: 10.2.0.0/16, peering: pcx-ab}
                  - {destination: 2408:4000:2000::/56, peering: pcx-ab}
                  - {destination: 10.2.1.20/32, blackhole: true}
                  - {destination: 10.3.0.0/16, peering: pcx-ac}
              - name: rt-a2
                routes:
                  - {destination: 10.2.1.0/24, instance: ecs-a1}
            security_groups:
              - name: sg-a
                rules:
                  - {id: web, direction: ingress, protocol: tcp, ports: 80-443, cidr: 10.0.0.0/8}
                  - {id: ping, direction: ingress, protocol: icmp, cidr: 10.0.0.0/8}
                  - {id: v6, direction: ingress, protocol: all, cidr: "::/0"}
                  - {id: peers, direction: ingress, protocol: udp, group: sg-a}
                  - {id: no-telnet-out, direction: egress, policy: drop, priority: 5, protocol: tcp, ports: 23, cidr: 0.0.0.0/0}
                  - {id: out, direction: egress, priority: 10, protocol: all, cidr: 0.0.0.0/0}
            network_acls:
              - name: acl-a
                ingress:
                  - {name: no-dns, policy: drop, protocol: udp, ports: 53, cidr: 0.0.0.0/0}
                  - {name: private, protocol: all, cidr: 10.0.0.0/8}
                  - {name: v6, protocol: all, cidr: "::/0"}
                egress:
                  - {name: high-ports, protocol: tcp, ports: 1024-65535, cidr: 10.2.0.0/16}
                  - {name: web, protocol: tcp, ports: 80-443, cidr: 10.0.0.0/8}
                  - {name: ping, protocol: icmp, cidr: 10.0.0.0/8}
                  - {name: udp, protocol: udp, cidr: 10.0.0.0/8}
                  - {name: v6, protocol: all, cidr: "::/0"}
          - name: vpc-b
            account: alice
            region: cn-hangzhou
            cidr: 10.2.0.0/16
            ipv6_cidr: 2408:4000:2000::/56
            vswitches:
              - {name: vsw-b1, zone: cn-hangzhou-h, cidr: 10.2.1.0/24, ipv6_cidr: 2408:4000:2000:1::/64}
            route_tables:
              - name: rt-b
                system: true
                routes:
                  - {destination: 10.1.0.0/16, peering: pcx-ab}
                  - {destination: 2408:4000:1000::/56, peering: pcx-ab}
            security_groups:
              - name: sg-b
                rules:
                  - {id: ssh, direction: ingress, protocol: tcp, ports: 22, cidr: 10.1.0.0/16}
                  - {id: ping, direction: ingress, protocol: icmp, cidr: 10.1.1.0/24}
                  - {id: v6, direction: ingress, protocol: all, cidr: "::/0"}
                  - {id: out, direction: egress, protocol: all, cidr: 0.0.0.0/0}
                  - {id: out6, direction: egress, protocol: all, cidr: "::/0"}
          - name: vpc-c
            account: bob
            region: cn-hangzhou
            cidr: 10.3.0.0/16
            vswitches:
              - {name: vsw-c1, zone: cn-hangzhou-h, cidr: 10.3.1.0/24}
            route_tables:
              - name: rt-c
                system: true
                routes:
                  - {destination: 10.1.0.0/16, peering: pcx-ac}
            security_groups:
              - name: sg-c
                rules:
                  - {id: private, direction: ingress, protocol: all, cidr: 10.0.0.0/8}
                  - {id: out, direction: egress, protocol: all, cidr: 0.0.0.0/0}
        instances:
          - {name: ecs-a1, vswitch: vsw-a1, ipv4: 10.1.1.10, ipv6: 2408:4000:1000:1::10, security_groups: [sg-a]}
          - {name: ecs-a2, vswitch: vsw-a2, ipv4: 10.1.2.10, security_groups: [sg-a]}
          - {name: ecs-b1, vswitch: vsw-b1, ipv4: 10.2.1.10, ipv6: 2408:4000:2000:1::10, security_groups: [sg-b]}
          - {name: ecs-b2, vswitch: vsw-b1, ipv4: 10.2.1.20}
          - {name: ecs-c1, vswitch: vsw-c1, ipv4: 10.3.1.10, security_groups: [sg-c]}
        peerings:
          - {name: pcx-ab, requester: vpc-a, accepter: vpc-b}
          - {name: pcx-ac, requester: vpc-a, accepter: vpc-c}
        timeline:
          - {at: 30s, action: accept_peering, peering: pcx-ac, by: bob}
          - at: 60s
            action: add_security_group_rule
            security_group: sg-b
            rule: {id: web, direction: ingress, protocol: tcp, ports: 80, cidr: 10.1.0.0/16}
          - at: 75s
            action: add_acl_entry
            network_acl: acl-a
            direction: ingress
            position: 0
            entry: {name: no-ssh-in, policy: drop, protocol: tcp, ports: 22, cidr: 10.2.0.0/16}
          - {at: 90s, action: delete_peering, peering: pcx-ac, by: alice}
        """
}
