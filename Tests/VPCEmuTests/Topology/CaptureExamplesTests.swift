import Testing
@testable import VPCEmu

/// Every example in captures/ loads, and shows the states and effective routes its comment
/// (and docs/topology.md) predicts.
@Suite struct CaptureExamplesTests {
    @Test func everyExampleLoadsAndIsCovered() throws {
        let files = captureFiles()
        #expect(Set(files) == Set(Self.covered), "each captures/*.yaml needs its expectations here")
        for file in files {
            let loaded = try loadCapture(file)
            #expect(!loaded.topology.vpcs.isEmpty, "\(file)")
            #expect(TopologyTimeline.rejectedEvents(of: loaded.topology).isEmpty, "\(file)")
        }
    }

    static let covered = [
        "two-vpcs-same-account.yaml", "cross-account-acceptance.yaml", "three-vpcs-partial.yaml", "hub-and-spoke.yaml",
        "overlapping-cidrs.yaml", "inter-region-bandwidth.yaml", "dual-stack.yaml", "peering-lifecycle.yaml",
    ]

    @Test func twoVPCsSameAccount() throws {
        let loaded = try loadCapture("two-vpcs-same-account.yaml")
        #expect(loaded.warnings.isEmpty)
        let state = TopologyTimeline.state(of: loaded.topology, at: .zero)
        #expect(state.state(of: "pcx-ab") == .activated)
        #expect(state.peering(named: "pcx-ab")?.history.map(\.state) == [.activated])
        #expect(state.peering(named: "pcx-ab")?.bandwidthMbps == nil)
        #expect(state.routeSummary("rt-a") == ["172.16.1.0/24 -> local (vSwitch vsw-a1)", "192.168.0.0/16 -> peering pcx-ab"])
        #expect(state.routeSummary("rt-b") == ["192.168.1.0/24 -> local (vSwitch vsw-b1)", "172.16.0.0/16 -> peering pcx-ab"])
        #expect(state.hop("rt-a", "192.168.1.10") == "peering pcx-ab")
        #expect(state.hop("rt-a", "172.16.1.99") == "local (vSwitch vsw-a1)")
        #expect(state.hop("rt-a", "8.8.8.8") == "no route")
    }

    @Test func crossAccountAcceptance() throws {
        let topology = try loadCapture("cross-account-acceptance.yaml").topology
        let before = TopologyTimeline.state(of: topology, at: time("59s"))
        #expect(before.state(of: "pcx-alice-bob") == .accepting)
        #expect(before.routeSummary("rt-a").last == "10.2.0.0/16 -> peering pcx-alice-bob [peering pcx-alice-bob is Accepting, not Activated]")
        // The inactive route stays installed: packets match it and are dropped for the peering's state.
        #expect(before.hop("rt-a", "10.2.1.10") == "peering pcx-alice-bob")
        #expect(TopologyTimeline.state(of: topology, at: time("60s")).state(of: "pcx-alice-bob") == .updating)
        #expect(TopologyTimeline.state(of: topology, at: time("60999ms")).state(of: "pcx-alice-bob") == .updating)
        let after = TopologyTimeline.state(of: topology, at: time("61s"))
        #expect(after.state(of: "pcx-alice-bob") == .activated)
        #expect(after.routeSummary("rt-b").last == "10.1.0.0/16 -> peering pcx-alice-bob")
        #expect(after.peering(named: "pcx-alice-bob")?.history.map(\.state) == [.accepting, .updating, .activated])
        #expect(after.peering(named: "pcx-alice-bob")?.history.map(\.time) == [.zero, time("60s"), time("61s")])
    }

    @Test func threeVPCsPartialRoutes() throws {
        let state = TopologyTimeline.state(of: try loadCapture("three-vpcs-partial.yaml").topology, at: .zero)
        #expect(state.peerings.map(\.state) == [.activated, .activated, .activated])
        #expect(state.routeSummary("rt-1") == [
            "10.1.1.0/24 -> local (vSwitch vsw-1a)", "10.2.3.0/24 -> peering pcx-12", "10.3.1.10/32 -> peering pcx-13",
        ])
        #expect(state.routeSummary("rt-2") == [
            "10.2.1.0/24 -> local (vSwitch vsw-2a)", "10.2.3.0/24 -> local (vSwitch vsw-2c)",
            "10.1.0.0/16 -> peering pcx-12", "10.3.0.0/16 -> peering pcx-23",
        ])
        #expect(state.hop("rt-1", "10.2.3.10") == "peering pcx-12")   // ecs-2c: reachable
        #expect(state.hop("rt-1", "10.2.1.10") == "no route")         // ecs-2a: no route
        #expect(state.hop("rt-1", "10.3.1.10") == "peering pcx-13")   // ecs-3a: the /32
        #expect(state.hop("rt-1", "10.3.1.11") == "no route")         // ecs-3b
        #expect(state.hop("rt-2", "10.3.1.11") == "peering pcx-23")
        #expect(state.hop("rt-3", "10.2.1.10") == "peering pcx-23")
    }

    @Test func hubAndSpoke() throws {
        let loaded = try loadCapture("hub-and-spoke.yaml")
        #expect(loaded.warnings.count == 1)
        let warning = try #require(loaded.warnings.first)
        #expect(warning.path == "vpcs[1].route_tables[0].routes[1]")
        #expect(warning.location == SourceLocation(line: 39, column: 13))
        #expect(warning.message.contains("10.2.0.0/16 via peering pcx-hub-b1 is not inside hub's blocks"))
        #expect(warning.message.contains("branch-2"))
        let state = TopologyTimeline.state(of: loaded.topology, at: .zero)
        #expect(state.hop("rt-hub", "10.1.1.10") == "peering pcx-hub-b1")
        #expect(state.hop("rt-hub", "10.2.1.10") == "peering pcx-hub-b2")
        #expect(state.hop("rt-b2", "10.0.1.10") == "peering pcx-hub-b2")
        #expect(state.hop("rt-b2", "10.1.1.10") == "no route")
        // branch-1's route leads into the hub, which has no route onwards for it (no transit).
        #expect(state.hop("rt-b1", "10.2.1.10") == "peering pcx-hub-b1")
        let findings = state.precheckFindings()
        #expect(findings.map(\.kind) == [.destinationNotReachable])
    }

    @Test func overlappingCIDRs() throws {
        let loaded = try loadCapture("overlapping-cidrs.yaml")
        #expect(loaded.warnings.count == 1)
        let message = try #require(loaded.warnings.first?.message)
        #expect(message.contains("vpc-a 10.0.0.0/16 overlaps vpc-b 10.0.0.0/16 in 10.0.0.0–10.0.255.255"))
        #expect(message.contains("no vSwitches overlap"))
        let state = TopologyTimeline.state(of: loaded.topology, at: .zero)
        #expect(state.hop("rt-a", "10.0.3.10") == "peering pcx-overlap")
        #expect(state.hop("rt-a", "10.0.4.10") == "no route")
        #expect(state.hop("rt-a", "10.0.2.10") == "local (vSwitch vsw-a2)")
        // vpc-b routes the whole /16 to the peering, but its own vSwitches stay local.
        #expect(state.hop("rt-b", "10.0.1.10") == "peering pcx-overlap")
        #expect(state.hop("rt-b", "10.0.4.10") == "local (vSwitch vsw-b2)")
        #expect(state.hop("rt-b", "10.0.3.10") == "local (vSwitch vsw-b1)")
    }

    @Test func interRegionBandwidth() throws {
        let topology = try loadCapture("inter-region-bandwidth.yaml").topology
        #expect(topology.latency(from: "cn-hangzhou", to: "us-west-1") == .milliseconds(80))
        #expect(topology.latency(from: "us-west-1", to: "cn-hangzhou") == .milliseconds(80))
        #expect(topology.latency(from: "us-west-1", to: "us-west-1") == .microseconds(100))
        let start = TopologyTimeline.state(of: topology, at: .zero)
        let peering = try #require(start.peering(named: "pcx-hz-sv"))
        #expect(peering.state == .activated && peering.isInterRegion)
        #expect(peering.bandwidthMbps == 10 && peering.linkType == .gold && peering.connection.burstBytes == 64_000)
        #expect(TopologyTimeline.state(of: topology, at: time("120s")).peering(named: "pcx-hz-sv")?.bandwidthMbps == 20)
        // vpc-db hangs off vpc-hz; vpc-sv's route to it points at pcx-hz-sv, which does not transit.
        let database = try #require(start.peering(named: "pcx-hz-db"))
        #expect(database.state == .activated && !database.isInterRegion && database.bandwidthMbps == nil)
        #expect(start.hop("rt-hz", "10.30.1.30") == "peering pcx-hz-db")
        #expect(start.hop("rt-db", "172.16.1.10") == "peering pcx-hz-db")
        #expect(start.hop("rt-sv", "10.30.1.30") == "peering pcx-hz-sv")
        #expect(topology.alerts.map(\.name) == ["throttling"])
        #expect(topology.alerts.first?.consecutivePeriods == 2 && topology.alerts.first?.comparison == .greaterThan)
        #expect(topology.pricing.pricePerGB[.gold] == MicroUSD(72_000) && topology.pricing.pricePerGB[.platinum] == MicroUSD(90_000))
        let web = try #require(topology.securityGroups.first { $0.name == "sg-web" })
        #expect(web.rules.first { $0.id == "no-ssh" }?.policy == .drop)
        #expect(web.rules.first { $0.id == "http" }?.ports == PortRange(80, 80))
        #expect(topology.networkACLs.first?.egress.map(\.name) == ["all-out"])
    }

    @Test func dualStack() throws {
        let topology = try loadCapture("dual-stack.yaml").topology
        let state = TopologyTimeline.state(of: topology, at: .zero)
        #expect(state.routeSummary("rt-v6a") == [
            "10.10.1.0/24 -> local (vSwitch vsw-v6a)", "2408:4000:1000:1::/64 -> local (vSwitch vsw-v6a)",
            "10.20.0.0/16 -> peering pcx-dual", "2408:4000:2000::/56 -> peering pcx-dual",
        ])
        #expect(state.hop("rt-v6a", "2408:4000:2000:1::10") == "peering pcx-dual")
        #expect(state.hop("rt-v6b", "2408:4000:1000:1::10") == "peering pcx-dual")
        #expect(state.hop("rt-v6b", "10.10.1.10") == "peering pcx-dual")
        #expect(topology.instance(named: "ecs-v6a")?.addresses.map(\.family) == [.ipv4, .ipv6])
    }

    @Test func peeringLifecycle() throws {
        let topology = try loadCapture("peering-lifecycle.yaml").topology
        let start = TopologyTimeline.state(of: topology, at: .zero)
        #expect(start.peerings.map(\.state) == [.accepting, .accepting, .accepting])
        #expect(TopologyTimeline.state(of: topology, at: time("30s")).state(of: "pcx-rejected") == .rejected)
        #expect(TopologyTimeline.state(of: topology, at: time("11s")).state(of: "pcx-deleted") == .activated)
        let sevenDays = TopologyTimeline.state(of: topology, at: time("7d"))
        #expect(sevenDays.state(of: "pcx-expired") == .expired)
        #expect(sevenDays.peering(named: "pcx-expired")?.stateSince == time("7d"))
        #expect(TopologyTimeline.state(of: topology, at: time("604799s")).state(of: "pcx-expired") == .accepting)
        let atDeletion = TopologyTimeline.state(of: topology, at: time("600s"))
        #expect(atDeletion.state(of: "pcx-deleted") == .deleting)
        #expect(TopologyTimeline.state(of: topology, at: time("601s")).state(of: "pcx-deleted") == .deleted)
        #expect(atDeletion.routeSummary("rt-alice") == [
            "10.1.1.0/24 -> local (vSwitch vsw-alice)",
            "10.2.0.0/16 -> peering pcx-rejected [peering pcx-rejected is Rejected, not Activated]",
            "10.3.0.0/16 -> peering pcx-expired [peering pcx-expired is Accepting, not Activated]",
            "10.4.0.0/16 -> peering pcx-deleted [peering pcx-deleted is Deleting, not Activated]",
            "10.9.0.0/16 -> blackhole",
        ])
        #expect(TopologyTimeline.state(of: topology, at: time("299s")).topology.securityGroups.first { $0.name == "sg-dave" }?.rules.count == 2)
        #expect(TopologyTimeline.state(of: topology, at: time("300s")).topology.securityGroups.first { $0.name == "sg-dave" }?.rules.map(\.id) == ["ping", "out", "ssh"])
    }
}
