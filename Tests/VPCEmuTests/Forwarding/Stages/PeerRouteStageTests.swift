import Testing
@testable import VPCEmu

/// An address inside the peer VPC's block that no vSwitch holds (three-vpcs-partial.yaml: vpc3 is
/// 10.3.0.0/16, its only vSwitch 10.3.1.0/24, and rt-2 sends 10.3.0.0/16 to pcx-23): the packet
/// reached the VPC that owns the address, so it is `no-vswitch`, not `non-transitive`, in the
/// replay, analyze and ping alike.
@Suite struct PeerRouteStageTests {
    static let file = "three-vpcs-partial.yaml"
    static let orphan = "10.3.200.5"

    @Test func theReplayDropsItAsNoVSwitch() throws {
        var net = try PipelineHarness(Self.file)
        let verdict = net.send("10.2.1.10", Self.orphan, ping, at: second)
        #expect(verdict.outcome == .dropped(.noVSwitch(vpc: net.vpc("vpc3"))))
        #expect(net.drops(.noVSwitch) == 1 && net.drops(.nonTransitive) == 0)
    }

    @Test func analyzeBlocksItAtThePeerRouteWithTheVSwitchFix() throws {
        let topology = try loadCapture(Self.file).topology
        let flow = try ReachabilityFlow(source: address("10.2.1.10"), destination: address(Self.orphan), ipProtocol: .icmp, destinationPort: 0)
        let report = ReachabilityAnalyzer(topology: topology, at: .zero).analyze(flow, reverse: false)
        #expect(report.forward.block == ReachabilityBlock(
            stage: .peerRoute, component: "rt-3", code: "no-vswitch",
            reason: "destination is in vpc3's block but in none of its vSwitches",
            fix: "no vSwitch of vpc3 holds 10.3.200.5: check the destination address, or create a vSwitch for it in vpc3"))
        #expect(report.forward.hops.last?.detail == "10.3.200.5 is in vpc3's block but in none of its vSwitches (no route)")
    }

    @Test func pingReportsItFromTheVPC() throws {
        let result = try PingExamplesTests.ping(Self.file, from: "ecs-2a", to: Self.orphan, count: 1)
        let drop = try #require(result.replies.first?.drop)
        #expect(drop.code == "no-vswitch")
        #expect(drop.location == "vpc3")
        #expect(result.text.contains("From vpc3 icmp_seq=1 no-vswitch (destination is in vpc3's block but in none of its vSwitches)"))
    }

    /// AWS: the local route covers the whole VPC block, so the packet is local in vpc3 and no
    /// instance has the address; inside the source VPC (Alibaba) no system route covers it and the
    /// route fix says so. Both unchanged.
    @Test func awsAndTheSourceVPCKeepTheirAnswers() throws {
        var aws = try PipelineHarness(Self.file, yaml: { $0.replacingOccurrences(of: "profile: alibaba", with: "profile: aws") })
        #expect(aws.send("10.2.1.10", Self.orphan, ping, at: second).outcome == .dropped(.noInstance(vpc: aws.vpc("vpc3"))))
        let topology = try loadCapture(Self.file).topology
        let own = try ReachabilityFlow(source: address("10.2.1.10"), destination: address("10.2.200.5"), ipProtocol: .icmp, destinationPort: 0)
        let block = ReachabilityAnalyzer(topology: topology, at: .zero).analyze(own, reverse: false).forward.block
        #expect(block?.code == "no-route")
        #expect(block?.fix == "10.2.200.5 is in vpc2's block but in none of its vSwitches: check the destination address")
    }
}
