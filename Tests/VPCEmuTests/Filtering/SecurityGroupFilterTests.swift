import Testing
@testable import VPCEmu

@Suite struct SecurityGroupFilterTests {
    static let web = IPAddress("192.168.1.10")!
    static let client = IPAddress("10.1.2.3")!
    static let other = IPAddress("172.16.0.9")!

    static func tcp(from source: IPAddress, to destination: IPAddress, port: UInt16) -> FiveTuple {
        FiveTuple(source: source, destination: destination, sourcePort: 40000, destinationPort: port, ipProtocol: 6)
    }

    static func rule(_ id: String, _ policy: RulePolicy, priority: Int, _ proto: RuleProtocol = .tcp,
                     ports: PortRange = .any, peer: String, direction: TrafficDirection = .ingress) -> SecurityGroupRule {
        let rulePeer: RulePeer = peer.contains("/") ? .network(try! IPNetwork(parsing: peer)) : .securityGroup(peer)
        return SecurityGroupRule(id: id, direction: direction, policy: policy, priority: priority, ipProtocol: proto,
                                 ports: ports, peer: rulePeer)
    }

    static func decide(_ groups: [SecurityGroup], _ direction: TrafficDirection, _ tuple: FiveTuple,
                       members: [String: [IPAddress]] = [:]) throws -> (RulePolicy, FilterDecider) {
        let filter = try SecurityGroupFilter(groups: groups, direction: direction, members: members)
        let verdict = filter.evaluate(tuple)
        return (verdict.policy, filter.decider(of: verdict))
    }

    @Test func higherPriorityWins() throws {
        let group = SecurityGroup(name: "sg-web", vpc: "vpc-a", rules: [
            Self.rule("allow-http", .accept, priority: 10, ports: PortRange(80, 80), peer: "0.0.0.0/0"),
            Self.rule("deny-client", .drop, priority: 5, ports: .any, peer: "10.1.0.0/16"),
        ])
        let fromClient = Self.tcp(from: Self.client, to: Self.web, port: 80)
        #expect(try Self.decide([group], .ingress, fromClient) == (.drop, .securityGroupRule(group: "sg-web", rule: "deny-client")))
        let fromOther = Self.tcp(from: Self.other, to: Self.web, port: 80)
        #expect(try Self.decide([group], .ingress, fromOther) == (.accept, .securityGroupRule(group: "sg-web", rule: "allow-http")))
    }

    @Test func dropWinsAtEqualPriorityAcrossGroups() throws {
        // The accept rule comes first, in the first group; the drop rule of equal priority still wins.
        let first = SecurityGroup(name: "sg-a", vpc: "vpc-a", rules: [Self.rule("allow", .accept, priority: 7, peer: "0.0.0.0/0")])
        let second = SecurityGroup(name: "sg-b", vpc: "vpc-a", rules: [Self.rule("deny", .drop, priority: 7, peer: "10.0.0.0/8")])
        let tuple = Self.tcp(from: Self.client, to: Self.web, port: 22)
        #expect(try Self.decide([first, second], .ingress, tuple) == (.drop, .securityGroupRule(group: "sg-b", rule: "deny")))
        // A better-priority accept in the other group beats it.
        let third = SecurityGroup(name: "sg-c", vpc: "vpc-a", rules: [Self.rule("allow-ssh", .accept, priority: 6, ports: PortRange(22, 22), peer: "10.1.2.3/32")])
        #expect(try Self.decide([first, second, third], .ingress, tuple) == (.accept, .securityGroupRule(group: "sg-c", rule: "allow-ssh")))
    }

    @Test func defaultsDenyIngressAllowEgress() throws {
        let group = SecurityGroup(name: "sg-empty", vpc: "vpc-a", rules: [])
        let inbound = Self.tcp(from: Self.client, to: Self.web, port: 443)
        #expect(try Self.decide([group], .ingress, inbound) == (.drop, .securityGroupDefault(.ingress)))
        let outbound = Self.tcp(from: Self.web, to: Self.client, port: 443)
        #expect(try Self.decide([group], .egress, outbound) == (.accept, .securityGroupDefault(.egress)))
    }

    @Test func egressRulesMatchTheDestination() throws {
        let group = SecurityGroup(name: "sg-out", vpc: "vpc-a", rules: [
            Self.rule("no-smtp", .drop, priority: 1, ports: PortRange(25, 25), peer: "0.0.0.0/0", direction: .egress),
        ])
        #expect(try Self.decide([group], .egress, Self.tcp(from: Self.web, to: Self.client, port: 25)).0 == .drop)
        #expect(try Self.decide([group], .egress, Self.tcp(from: Self.web, to: Self.client, port: 26)).0 == .accept)
        // An ingress rule does not apply to egress.
        #expect(try Self.decide([group], .ingress, Self.tcp(from: Self.client, to: Self.web, port: 25)).1 == .securityGroupDefault(.ingress))
    }

    @Test func protocolsAndPortlessRules() throws {
        let group = SecurityGroup(name: "sg", vpc: "vpc-a", rules: [
            Self.rule("ping", .accept, priority: 1, .icmp, ports: PortRange(1, 1), peer: "0.0.0.0/0"),  // range ignored for ICMP
            Self.rule("dns", .accept, priority: 1, .udp, ports: PortRange(53, 53), peer: "0.0.0.0/0"),
        ])
        let ping = FiveTuple(icmpSource: Self.client, destination: Self.web, type: 8, code: 0, identifier: 7)
        #expect(try Self.decide([group], .ingress, ping) == (.accept, .securityGroupRule(group: "sg", rule: "ping")))
        let dns = FiveTuple(source: Self.client, destination: Self.web, sourcePort: 5353, destinationPort: 53, ipProtocol: 17)
        #expect(try Self.decide([group], .ingress, dns).0 == .accept)
        #expect(try Self.decide([group], .ingress, Self.tcp(from: Self.client, to: Self.web, port: 53)).0 == .drop)
    }

    @Test func securityGroupPeerMeansItsMembers() throws {
        let group = SecurityGroup(name: "sg-db", vpc: "vpc-a", rules: [
            Self.rule("from-app", .accept, priority: 1, ports: PortRange(5432, 5432), peer: "sg-app"),
        ])
        let app6 = IPAddress("fd00::5")!
        let members = ["sg-app": [Self.client, app6], "sg-db": [Self.web]]
        #expect(try Self.decide([group], .ingress, Self.tcp(from: Self.client, to: Self.web, port: 5432), members: members).0 == .accept)
        #expect(try Self.decide([group], .ingress, Self.tcp(from: Self.other, to: Self.web, port: 5432), members: members).0 == .drop)
        let v6 = FiveTuple(source: app6, destination: IPAddress("fd00::9")!, sourcePort: 1, destinationPort: 5432, ipProtocol: 6)
        #expect(try Self.decide([group], .ingress, v6, members: members) == (.accept, .securityGroupRule(group: "sg-db", rule: "from-app")))
        #expect(try Self.decide([group], .ingress, v6, members: ["sg-app": []]).0 == .drop)
    }

    @Test func compileErrorsNameTheRule() {
        let unknown = SecurityGroup(name: "sg-db", vpc: "vpc-a", rules: [Self.rule("r1", .accept, priority: 1, peer: "sg-missing")])
        #expect(throws: SecurityGroupFilter.CompileError.unknownPeerGroup(group: "sg-db", rule: "r1", peer: "sg-missing")) {
            try SecurityGroupFilter(groups: [unknown], direction: .ingress, members: [:])
        }
        let badPriority = SecurityGroup(name: "sg-x", vpc: "vpc-a", rules: [Self.rule("r2", .accept, priority: 101, peer: "0.0.0.0/0")])
        #expect(throws: SecurityGroupFilter.CompileError.priorityOutOfRange(group: "sg-x", rule: "r2", priority: 101)) {
            try SecurityGroupFilter(groups: [badPriority], direction: .ingress, members: [:])
        }
    }

    /// Random groups against a direct reading of the documented semantics.
    @Test func randomGroupsMatchTheDocumentedSemantics() throws {
        var generator = SeededGenerator(seed: 42)
        let peers = ["0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3/32", "172.16.0.0/12"]
        for _ in 0..<20 {
            let groups = (0..<3).map { g in
                SecurityGroup(name: "sg-\(g)", vpc: "v", rules: (0..<8).map { r in
                    let low = UInt16.random(in: 20...90, using: &generator)
                    return Self.rule("r\(r)", Bool.random(using: &generator) ? .accept : .drop,
                                     priority: Int.random(in: 1...4, using: &generator),
                                     [RuleProtocol.tcp, .all, .udp].randomElement(using: &generator)!,
                                     ports: PortRange(low, low + UInt16.random(in: 0...20, using: &generator)),
                                     peer: peers.randomElement(using: &generator)!)
                })
            }
            let filter = try SecurityGroupFilter(groups: groups, direction: .ingress, members: [:])
            for _ in 0..<100 {
                let source = [Self.client, Self.other, IPAddress("10.9.9.9")!].randomElement(using: &generator)!
                let tuple = FiveTuple(source: source, destination: Self.web, sourcePort: 1000,
                                      destinationPort: UInt16.random(in: 15...115, using: &generator), ipProtocol: [6, 17].randomElement(using: &generator)!)
                // The documented rule: the best priority among matching rules; drop if any drop matches there.
                let matching = groups.flatMap { group in group.rules.map { (group.name, $0) } }.filter { _, rule in
                    guard case .network(let network) = rule.peer else { return false }
                    return network.contains(tuple.source) && (rule.ipProtocol == .all || rule.ipProtocol.number == tuple.ipProtocol)
                        && (!rule.ipProtocol.hasPorts || rule.ports.contains(tuple.destinationPort))
                }
                let expected: RulePolicy = if let best = matching.map(\.1.priority).min() {
                    matching.contains { $0.1.priority == best && $0.1.policy == .drop } ? .drop : .accept
                } else { .drop }
                let verdict = filter.evaluate(tuple)
                #expect(verdict.policy == expected)
                if case .securityGroupRule(let group, let id) = filter.decider(of: verdict) {
                    let rule = try #require(groups.first { $0.name == group }?.rules.first { $0.id == id })
                    #expect(rule.priority == matching.map(\.1.priority).min() && rule.policy == expected)
                }
            }
        }
    }
}

@Suite struct NetworkACLFilterTests {
    static let acl = NetworkACL(name: "nacl-1", vpc: "vpc-a", ingress: [
        NetworkACLEntry(name: "deny-bad-host", policy: .drop, ipProtocol: .all, network: try! IPNetwork(parsing: "10.1.2.3/32")),
        NetworkACLEntry(name: "allow-web", policy: .accept, ipProtocol: .tcp, ports: PortRange(80, 443), network: try! IPNetwork(parsing: "10.0.0.0/8")),
        NetworkACLEntry(name: "allow-all-v6", policy: .accept, ipProtocol: .all, network: try! IPNetwork(parsing: "::/0")),
    ], egress: [
        NetworkACLEntry(name: "allow-out", policy: .accept, ipProtocol: .all, network: try! IPNetwork(parsing: "0.0.0.0/0")),
    ])

    static func decide(_ direction: TrafficDirection, _ source: String, _ destination: String, port: UInt16) -> (RulePolicy, FilterDecider) {
        let filter = NetworkACLFilter(acl, direction: direction)
        let verdict = filter.evaluate(FiveTuple(source: IPAddress(source)!, destination: IPAddress(destination)!,
                                                sourcePort: 50000, destinationPort: port, ipProtocol: 6))
        return (verdict.policy, filter.decider(of: verdict))
    }

    @Test func firstMatchingEntryDecides() {
        // The drop entry comes first, so the later accept for 10/8 never applies to this host.
        #expect(Self.decide(.ingress, "10.1.2.3", "192.168.0.1", port: 80) == (.drop, .networkACLEntry(acl: "nacl-1", direction: .ingress, entry: "deny-bad-host")))
        #expect(Self.decide(.ingress, "10.1.2.4", "192.168.0.1", port: 80) == (.accept, .networkACLEntry(acl: "nacl-1", direction: .ingress, entry: "allow-web")))
        #expect(Self.decide(.ingress, "fd00::1", "fd00::2", port: 9) == (.accept, .networkACLEntry(acl: "nacl-1", direction: .ingress, entry: "allow-all-v6")))
    }

    @Test func implicitDenyAndStatelessness() {
        #expect(Self.decide(.ingress, "10.1.2.4", "192.168.0.1", port: 22) == (.drop, .networkACLDefault(acl: "nacl-1", direction: .ingress)))
        #expect(Self.decide(.ingress, "8.8.8.8", "192.168.0.1", port: 80).0 == .drop)
        // Egress entries match the destination; the reply to an allowed request is judged on its own.
        #expect(Self.decide(.egress, "192.168.0.1", "8.8.8.8", port: 53).0 == .accept)
        #expect(Self.decide(.ingress, "8.8.8.8", "192.168.0.1", port: 50000).0 == .drop)
        let empty = NetworkACLFilter(NetworkACL(name: "n", vpc: "v", ingress: [], egress: []), direction: .egress)
        let verdict = empty.evaluate(FiveTuple(ipv4Source: 1, destination: 2, sourcePort: 3, destinationPort: 4, ipProtocol: 17))
        #expect(verdict.policy == .drop && empty.decider(of: verdict) == .networkACLDefault(acl: "n", direction: .egress))
    }
}
