import Testing
@testable import VPCEmu

/// The peering lifecycle, permissions, quotas and route rules of the control plane.
@Suite struct ControlPlaneTests {
    /// n VPCs named vpc0… (10.n.0.0/16, one vSwitch 10.n.1.0/24), vpc0 owned by alice, the
    /// others by `owner(n)`, all in cn-hangzhou except those `region(n)` moves.
    static func topology(vpcs count: Int, profile: RoutingProfile = .alibaba, owner: (Int) -> String = { _ in "alice" },
                         region: (Int) -> String = { _ in "cn-hangzhou" }) -> Topology {
        var topology = Topology(profile: profile)
        topology.regions = [Region(name: "cn-hangzhou", latencyTo: ["us-west-1": .milliseconds(80)]), Region(name: "us-west-1")]
        topology.accounts = ["alice", "bob", "carol"].map(Account.init)
        for n in 0..<count {
            topology.vpcs.append(VPC(name: "vpc\(n)", account: n == 0 ? "alice" : owner(n), region: region(n),
                                     cidr: network("10.\(n).0.0/16")))
            topology.routeTables.append(VPCRouteTable(name: "rt\(n)", vpc: "vpc\(n)", isSystem: true))
            topology.vswitches.append(VSwitch(name: "vsw\(n)", vpc: "vpc\(n)", zone: "z", cidr: network("10.\(n).1.0/24"), routeTable: "rt\(n)"))
            topology.instances.append(Instance(name: "ecs\(n)", vswitch: "vsw\(n)", addresses: [address("10.\(n).1.10")]))
        }
        return topology
    }

    static func create(_ name: String, _ a: Int, _ b: Int, bandwidth: Int? = nil) -> ControlPlaneAction {
        .createPeering(PeeringConnection(name: name, requesterVPC: "vpc\(a)", accepterVPC: "vpc\(b)", bandwidthMbps: bandwidth), by: nil)
    }

    @Test func crossAccountNeedsTheAccepter() throws {
        var state = ControlPlaneState(topology: Self.topology(vpcs: 2, owner: { _ in "bob" }))
        #expect(try state.apply(Self.create("p", 0, 1), at: .zero) == [.peeringState("p", from: nil, to: .accepting)])
        #expect(state.peering(named: "p")?.isCrossAccount == true)
        #expect(state.nextDeadline == time("7d"))
        #expect(throws: ControlPlaneError(.forbidden, "only the accepter account 'bob' may accept peering 'p', not 'alice'")) {
            try state.apply(.acceptPeering("p", by: "alice"), at: time("1s"))
        }
        var waiting = Self.interRegion()
        #expect(throws: ControlPlaneError(.invalidState(.accepting), "cannot modify peering 'p': it is Accepting, and only an Activated peering can be modified")) {
            try waiting.apply(.modifyPeering("p", bandwidthMbps: 5, linkType: nil), at: time("1s"))
        }
        #expect(try state.apply(.acceptPeering("p", by: "bob"), at: time("2s")) == [.peeringState("p", from: .accepting, to: .updating)])
        let again = #expect(throws: ControlPlaneError.self) { try state.apply(.rejectPeering("p", by: "bob"), at: time("2500ms")) }
        #expect(again?.kind == .invalidState(.updating))
        #expect(again?.message.contains("it is Updating") == true)
        #expect(state.advance(to: time("3s")) == [.peeringState("p", from: .updating, to: .activated)])
        #expect(state.nextDeadline == nil)
    }

    /// A cross-account inter-region peering still waiting for acceptance.
    static func interRegion() -> ControlPlaneState {
        var state = ControlPlaneState(topology: topology(vpcs: 2, owner: { _ in "bob" }, region: { $0 == 1 ? "us-west-1" : "cn-hangzhou" }))
        _ = try? state.apply(create("p", 0, 1, bandwidth: 100), at: .zero)
        return state
    }

    @Test func rejectAndExpiry() throws {
        var state = ControlPlaneState(topology: Self.topology(vpcs: 3, owner: { _ in "bob" }))
        _ = try state.apply(Self.create("r", 0, 1), at: .zero)
        _ = try state.apply(Self.create("e", 0, 2), at: time("1h"))
        _ = try state.apply(.rejectPeering("r", by: "bob"), at: time("2h"))
        #expect(state.state(of: "r") == .rejected)
        #expect(state.advance(to: time("7d")) == [])
        #expect(state.advance(to: time("169h")) == [.peeringState("e", from: .accepting, to: .expired)])
        #expect(state.peering(named: "e")?.stateSince == time("169h"))
        let late = #expect(throws: ControlPlaneError.self) { try state.apply(.acceptPeering("e", by: "bob"), at: time("170h")) }
        #expect(late?.kind == .invalidState(.expired))
        // Rejected and expired peerings can be deleted by either side.
        _ = try state.apply(.deletePeering("r", by: "bob"), at: time("171h"))
        _ = try state.apply(.deletePeering("e", by: "alice"), at: time("171h"))
        #expect(state.state(of: "r") == .deleting)
        state.advance(to: time("171h") + .seconds(1))
        #expect(state.peerings.map(\.state) == [.deleted, .deleted])
        let gone = #expect(throws: ControlPlaneError.self) { try state.apply(.deletePeering("r", by: "bob"), at: time("172h")) }
        #expect(gone?.message == "cannot delete peering 'r': it is Deleted")
    }

    @Test func deleteNeedsAnAccountOfThePeering() throws {
        var state = ControlPlaneState(topology: Self.topology(vpcs: 2))
        _ = try state.apply(Self.create("p", 0, 1), at: .zero)
        #expect(state.state(of: "p") == .activated)
        let error = #expect(throws: ControlPlaneError.self) { try state.apply(.deletePeering("p", by: "carol"), at: .zero) }
        #expect(error?.kind == .forbidden)
        let duplicate = #expect(throws: ControlPlaneError.self) { try state.apply(Self.create("p", 0, 1), at: .zero) }
        #expect(duplicate?.kind == .duplicate)
    }

    @Test func bandwidthAndLinkTypeOnlyForInterRegion() throws {
        var intra = ControlPlaneState(topology: Self.topology(vpcs: 2))
        let onCreate = #expect(throws: ControlPlaneError.self) { try intra.apply(Self.create("p", 0, 1, bandwidth: 10), at: .zero) }
        #expect(onCreate?.kind == .invalidParameter)
        _ = try intra.apply(Self.create("p", 0, 1), at: .zero)
        let onModify = #expect(throws: ControlPlaneError.self) {
            try intra.apply(.modifyPeering("p", bandwidthMbps: 10, linkType: nil), at: .zero)
        }
        #expect(onModify?.message.contains("intra-region") == true)

        var inter = Self.interRegion()
        #expect(inter.peering(named: "p")?.linkType == .gold)
        _ = try inter.apply(.acceptPeering("p", by: "bob"), at: time("1s"))
        inter.advance(to: time("2s"))
        #expect(try inter.apply(.modifyPeering("p", bandwidthMbps: 200, linkType: .platinum), at: time("3s")) == [.peeringModified("p")])
        #expect(inter.peering(named: "p")?.bandwidthMbps == 200)
        #expect(inter.peering(named: "p")?.linkType == .platinum)
        let tooMuch = #expect(throws: ControlPlaneError.self) {
            try inter.apply(.modifyPeering("p", bandwidthMbps: 1025, linkType: nil), at: time("4s"))
        }
        #expect(tooMuch?.kind == .quotaExceeded)
    }

    @Test func quotasAreConfigurable() throws {
        var topology = Self.topology(vpcs: 4)
        topology.settings.quotas.intraRegionPeeringsPerVPC = 2
        var state = ControlPlaneState(topology: topology)
        _ = try state.apply(Self.create("a", 0, 1), at: .zero)
        _ = try state.apply(Self.create("b", 0, 2), at: .zero)
        let third = #expect(throws: ControlPlaneError.self) { try state.apply(Self.create("c", 0, 3), at: .zero) }
        #expect(third?.message == "VPC 'vpc0' already has 2 intra-region peerings; the quota is 2")
        // A deleted peering frees its slot.
        _ = try state.apply(.deletePeering("a", by: nil), at: .zero)
        state.advance(to: time("1s"))
        _ = try state.apply(Self.create("c", 0, 3), at: time("1s"))

        var perAccount = Self.topology(vpcs: 4)
        perAccount.settings.quotas.peeringsPerAccountPerRegion = 1
        var accountState = ControlPlaneState(topology: perAccount)
        _ = try accountState.apply(Self.create("a", 0, 1), at: .zero)
        let second = #expect(throws: ControlPlaneError.self) { try accountState.apply(Self.create("b", 2, 3), at: .zero) }
        #expect(second?.kind == .quotaExceeded)
    }

    @Test func alibabaRejectsRoutesAsSpecificAsASystemRoute() throws {
        var state = ControlPlaneState(topology: Self.topology(vpcs: 2))
        _ = try state.apply(Self.create("p", 0, 1), at: .zero)
        for destination in ["10.0.1.0/24", "10.0.1.128/25", "10.0.1.10/32"] {
            let error = #expect(throws: ControlPlaneError.self) {
                try state.apply(.addRoute(table: "rt0", RouteEntry(destination: network(destination), nextHop: .blackhole)), at: .zero)
            }
            #expect(error?.kind == .routeRejected)
        }
        // Less specific than a system route is allowed, and the system route still wins inside its vSwitch.
        _ = try state.apply(.addRoute(table: "rt0", RouteEntry(destination: network("10.0.0.0/8"), nextHop: .peering("p"))), at: .zero)
        #expect(state.hop("rt0", "10.0.1.10") == "local (vSwitch vsw0)")
        #expect(state.hop("rt0", "10.0.2.10") == "peering p")
        #expect(state.hop("rt0", "10.1.1.10") == "peering p")
        let wrongVPC = #expect(throws: ControlPlaneError.self) {
            try state.apply(.addRoute(table: "rt0", RouteEntry(destination: network("10.7.0.0/16"), nextHop: .instance("ecs1"))), at: .zero)
        }
        #expect(wrongVPC?.kind == .invalidParameter)
        _ = try state.apply(.removeRoute(table: "rt0", destination: network("10.0.0.0/8")), at: .zero)
        #expect(state.hop("rt0", "10.1.1.10") == "no route")
    }

    @Test func awsLocalRouteWinsTiesAndCannotBeOverriddenByAPeeringRoute() throws {
        var topology = Self.topology(vpcs: 2, profile: .aws)
        topology.vpcs[0].secondaryCIDRs = [network("100.64.0.0/16")]
        topology.routeTables[0].routes = [
            RouteEntry(destination: network("10.0.0.0/16"), nextHop: .blackhole),             // tie: local wins
            RouteEntry(destination: network("10.0.5.0/24"), nextHop: .peering("p")),          // more specific, to a peering
            RouteEntry(destination: network("10.0.6.0/24"), nextHop: .instance("ecs0")),      // more specific middlebox route
            RouteEntry(destination: network("10.1.0.0/16"), nextHop: .peering("p")),
        ]
        topology.peerings = [PeeringConnection(name: "p", requesterVPC: "vpc0", accepterVPC: "vpc1")]
        let state = TopologyTimeline.state(of: topology, at: .zero)
        #expect(state.routeSummary("rt0") == [
            "10.0.0.0/16 -> local", "100.64.0.0/16 -> local",
            "10.0.0.0/16 -> blackhole [the local route 10.0.0.0/16 takes precedence]",
            "10.0.5.0/24 -> peering p [the local route 10.0.0.0/16 takes precedence]",
            "10.0.6.0/24 -> instance ecs0",
            "10.1.0.0/16 -> peering p",
        ])
        #expect(state.hop("rt0", "10.0.5.1") == "local")
        #expect(state.hop("rt0", "10.0.6.1") == "instance ecs0")
        #expect(state.hop("rt0", "10.0.200.1") == "local")     // no vSwitch there, the VPC route still covers it
        #expect(state.precheckFindings().filter { $0.kind == .routeOverridden }.count == 2)
        #expect(state.precheckFindings().filter { $0.kind == .nonRFC1918 }.count == 1)
    }

    @Test func awsRefusesOverlappingPeers() {
        var topology = Self.topology(vpcs: 2, profile: .aws)
        topology.vpcs[1].cidr = network("10.0.0.0/8")
        var state = ControlPlaneState(topology: topology)
        let error = #expect(throws: ControlPlaneError.self) { try state.apply(Self.create("p", 0, 1), at: .zero) }
        #expect(error?.message.contains("overlapping") == true)
    }

    @Test func stepperReportsChangesInOrder() {
        var topology = Self.topology(vpcs: 2, owner: { _ in "bob" })
        topology.peerings = [PeeringConnection(name: "p", requesterVPC: "vpc0", accepterVPC: "vpc1")]
        topology.timeline = [
            TimelineEvent(time: time("10s"), action: .deletePeering("p", by: "alice")),
            TimelineEvent(time: time("5s"), action: .acceptPeering("p", by: "bob")),
            TimelineEvent(time: time("5s"), action: .addRoute(table: "rt0", RouteEntry(destination: network("10.1.0.0/16"), nextHop: .peering("p")))),
            TimelineEvent(time: time("20s"), action: .acceptPeering("p", by: "bob")),
        ]
        var timeline = TopologyTimeline(topology: topology)
        #expect(timeline.nextChangeTime == time("5s"))
        #expect(timeline.advance(to: time("4s")) == [])
        #expect(timeline.advance(to: time("5s")) == [.peeringState("p", from: .accepting, to: .updating), .routeTable("rt0")])
        #expect(timeline.nextChangeTime == time("6s"))
        #expect(timeline.advance(to: time("10s")) == [.peeringState("p", from: .updating, to: .activated),
                                                      .peeringState("p", from: .activated, to: .deleting)])
        // The refused event at 20 s does not swallow the transition due before it.
        #expect(timeline.advance(to: time("1h")) == [.peeringState("p", from: .deleting, to: .deleted)])
        #expect(timeline.rejected.map(\.eventIndex) == [3])
        #expect(timeline.rejected.first?.error.kind == .invalidState(.deleted))
        #expect(timeline.nextChangeTime == nil)
    }

    @Test func aclEntriesAreInsertedAndRemovedInOrder() throws {
        var topology = Self.topology(vpcs: 1)
        let entry = { (name: String) in NetworkACLEntry(name: name, policy: .accept, ipProtocol: .all, network: network("0.0.0.0/0")) }
        topology.networkACLs = [NetworkACL(name: "acl", vpc: "vpc0", ingress: [entry("a"), entry("c")], egress: [])]
        var state = ControlPlaneState(topology: topology)
        #expect(try state.apply(.addACLEntry(acl: "acl", .ingress, entry("b"), position: 1), at: .zero) == [.networkACL("acl")])
        _ = try state.apply(.addACLEntry(acl: "acl", .egress, entry("out"), position: nil), at: .zero)
        #expect(state.topology.networkACLs[0].ingress.map(\.name) == ["a", "b", "c"])
        #expect(state.topology.networkACLs[0].egress.map(\.name) == ["out"])
        let past = #expect(throws: ControlPlaneError.self) { try state.apply(.addACLEntry(acl: "acl", .egress, entry("x"), position: 5), at: .zero) }
        #expect(past?.kind == .invalidParameter)
        let twice = #expect(throws: ControlPlaneError.self) { try state.apply(.addACLEntry(acl: "acl", .ingress, entry("a"), position: nil), at: .zero) }
        #expect(twice?.kind == .duplicate)
        _ = try state.apply(.removeACLEntry(acl: "acl", .ingress, name: "a"), at: .zero)
        #expect(state.topology.networkACLs[0].ingress.map(\.name) == ["b", "c"])
        let missing = #expect(throws: ControlPlaneError.self) { try state.apply(.removeACLEntry(acl: "nope", .ingress, name: "a"), at: .zero) }
        #expect(missing?.message == "network ACL 'nope' does not exist")
    }

    @Test func securityGroupRulesNeedKnownPeers() throws {
        var topology = Self.topology(vpcs: 1)
        topology.securityGroups = [SecurityGroup(name: "sg", vpc: "vpc0", rules: [])]
        var state = ControlPlaneState(topology: topology)
        let rule = SecurityGroupRule(id: "r", direction: .ingress, policy: .accept, ipProtocol: .tcp, ports: PortRange(22, 22),
                                     peer: .securityGroup("ghost"))
        let error = #expect(throws: ControlPlaneError.self) { try state.apply(.addSecurityGroupRule(group: "sg", rule), at: .zero) }
        #expect(error?.kind == .unknownObject)
        var valid = rule
        valid.peer = .securityGroup("sg")
        #expect(try state.apply(.addSecurityGroupRule(group: "sg", valid), at: .zero) == [.securityGroup("sg")])
        #expect(try state.apply(.removeSecurityGroupRule(group: "sg", id: "r"), at: .zero) == [.securityGroup("sg")])
        #expect(state.topology.securityGroups[0].rules.isEmpty)
    }

    @Test func gatewaysAndReservedAddressesFollowTheProfile() {
        let vswitch = VSwitch(name: "v", vpc: "p", zone: "z", cidr: network("10.0.1.0/24"), routeTable: "t")
        #expect(vswitch.gatewayIPv4Address(profile: .alibaba) == address("10.0.1.253"))
        #expect(vswitch.gatewayIPv4Address(profile: .aws) == address("10.0.1.1"))
        #expect(vswitch.reservedIPv4Addresses(profile: .alibaba).map(\.description) == ["10.0.1.0", "10.0.1.255", "10.0.1.254", "10.0.1.253"])
        #expect(vswitch.reservedIPv4Addresses(profile: .aws).map(\.description) == ["10.0.1.0", "10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.255"])
        #expect(vswitch.allowedPrefixLengths(profile: .alibaba) == 16...29)
        let tiny = VSwitch(name: "v", vpc: "p", zone: "z", cidr: network("10.0.1.0/30"), routeTable: "t")
        #expect(tiny.gatewayIPv4Address(profile: .alibaba) == nil)
        #expect(tiny.reservedIPv4Addresses(profile: .aws).isEmpty)
    }

    @Test func durationsParseAndPrint() {
        #expect(EmulatedDuration(parsing: "90")?.nanoseconds == 90_000_000_000)
        #expect(EmulatedDuration(parsing: "1.5ms")?.nanoseconds == 1_500_000)
        #expect(EmulatedDuration(parsing: "7d") == .seconds(604_800))
        #expect(EmulatedDuration(parsing: " 250us ") == .microseconds(250))
        for bad in ["", "s", "-1s", "1x", "1..2s", "1e3s", "99999999999d"] { #expect(EmulatedDuration(parsing: bad) == nil, "\(bad)") }
        #expect(EmulatedDuration.seconds(3600).description == "1h")
        #expect(EmulatedDuration(nanoseconds: 1_500_000).description == "1500us")
    }

    @Test func durationsBeyondInt64NanosecondsAreTooLargeNotMalformed() throws {
        #expect(EmulatedDuration.maximumDays == 106_751)
        #expect(throws: EmulatedDuration.ParseError.tooLarge) { try EmulatedDuration(validating: "106752d") }
        #expect(throws: EmulatedDuration.ParseError.tooLarge) { try EmulatedTime(validating: "99999999999d") }
        #expect(throws: EmulatedDuration.ParseError.malformed) { try EmulatedDuration(validating: "1x") }
        #expect(try EmulatedDuration(validating: "106751d") == .seconds(106_751 * 86_400))
    }

    /// The CLI's one human form of a time: one unit with a tenth below a minute, the two largest
    /// units from a minute on (`28.0 s`, `3 d 4 h`), never `27999600us`.
    @Test func humanTimesUseOneOrTwoUnits() {
        #expect(EmulatedDuration(nanoseconds: 27_999_600_000).humanDescription == "28.0 s")
        #expect(EmulatedDuration.seconds(3 * 86_400 + 4 * 3_600 + 5 * 60).humanDescription == "3 d 4 h")
        #expect(time("61s").humanDescription == "1 m 1 s")
        #expect(time("60s").humanDescription == "1 m")
        #expect(time("601s").humanDescription == "10 m 1 s")
        #expect(time("8d").humanDescription == "8 d")
        #expect(time("90061.5s").humanDescription == "1 d 1 h")
        #expect(EmulatedTime.zero.humanDescription == "0 s")
        #expect(EmulatedDuration(nanoseconds: 850).humanDescription == "850 ns")
        #expect(EmulatedDuration.microseconds(100).humanDescription == "100.0 us")
        #expect(EmulatedDuration(nanoseconds: 999_960).humanDescription == "1.0 ms")
        #expect(EmulatedDuration.milliseconds(250).humanDescription == "250.0 ms")
        #expect(EmulatedDuration(nanoseconds: -1_500_000_000).humanDescription == "-1.5 s")
        #expect(EmulatedDuration(nanoseconds: .max).humanDescription == "106751 d 23 h")
        // 1613592 minutes, the span a replay summary once printed as `1613592m`.
        #expect(EmulatedDuration(nanoseconds: 1_613_592 * 60_000_000_000).humanDescription == "1120 d 13 h")
    }

    /// Against the obvious reading on seeded random spans: below a minute the number times the
    /// unit is within half a tenth of the span; above, the two units floor it within one minor unit.
    @Test func humanTimesReadBackAsTheSpan() {
        var random = SeededGenerator(seed: 21)
        let scale: [String: Double] = ["ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9, "m": 6e10, "h": 3.6e12, "d": 8.64e13]
        for _ in 0..<2_000 {
            let nanoseconds = Int64.random(in: 0...(Int64(1) << Int64.random(in: 0...62, using: &random)), using: &random)
            let words = EmulatedDuration(nanoseconds: nanoseconds).humanDescription.split(separator: " ").map(String.init)
            if words.count == 2, let value = Double(words[0]), let unit = scale[words[1]] {
                let tolerance = words[1] == "ns" ? 0 : unit / 20
                #expect(abs(value * unit - Double(nanoseconds)) <= tolerance + 1e-6 * Double(nanoseconds), "\(nanoseconds)")
            } else {
                #expect(words.count == 4, "\(nanoseconds)")
                guard words.count == 4, let major = Double(words[0]), let minor = Double(words[2]),
                      let first = scale[words[1]], let second = scale[words[3]] else { continue }
                let floor = major * first + minor * second
                #expect(floor <= Double(nanoseconds) * (1 + 1e-12) && Double(nanoseconds) < floor + second * (1 + 1e-9), "\(nanoseconds)")
            }
        }
    }
}
