import Testing
@testable import VPCEmu

/// ICMP and ICMPv6 errors quoting a tracked flow pass the security groups as related
/// (docs/filtering.md): the walk feeds the quoted header to the connection tracker.
@Suite struct RelatedICMPErrorTests {
    static let client = "172.16.1.10", server = "192.168.1.10"

    /// two-vpcs-same-account where ecs-a's security group admits only UDP from vpc-b: an ICMP
    /// message from ecs-b gets in only as related.
    static func harness() throws -> PipelineHarness {
        try PipelineHarness("two-vpcs-same-account.yaml") { text in
            text.replacingOccurrences(of: "- {id: from-b, direction: ingress, protocol: all, cidr: 192.168.0.0/16}",
                                      with: "- {id: from-b, direction: ingress, protocol: udp, cidr: 192.168.0.0/16}")
        }
    }

    static func unreachable(quoting probe: PacketSpec) -> [UInt8] {
        PacketBuilder.frame(for: PacketSpec(ethernet: EthernetSpec(), source: probe.destination, destination: probe.source,
                                            transport: .icmpMessage(type: 3, code: 3, restOfHeader: 0),
                                            payload: PacketBuilder.frame(for: probe)))
    }

    @Test func anErrorQuotingATrackedFlowIsRelated() throws {
        var net = try Self.harness()
        let probe = PacketSpec(source: address(Self.client), destination: address(Self.server),
                               transport: .udp(sourcePort: 44_444, destinationPort: 33_434), payload: [1, 2, 3])
        let sent = net.send(PacketBuilder.frame(for: PacketSpec(ethernet: EthernetSpec(), source: probe.source, destination: probe.destination,
                                                                transport: probe.transport, payload: probe.payload)), at: 0)
        #expect(Self.receiver(sent) == net.instance("ecs-b"))
        #expect(Self.receiver(net.send(Self.unreachable(quoting: probe), at: 2_000_000)) == net.instance("ecs-a"))
    }

    static func receiver(_ verdict: ForwardingPipeline.Verdict) -> UInt32? {
        if case .delivered(let instance, _) = verdict.outcome { return instance }
        return nil
    }

    @Test func anErrorQuotingAnUntrackedFlowMeetsTheRules() throws {
        var net = try Self.harness()
        let never = PacketSpec(source: address(Self.client), destination: address(Self.server),
                               transport: .udp(sourcePort: 44_445, destinationPort: 33_434))
        guard case .dropped(.securityGroupDenied(.ingress, let instance, _)) = net.send(Self.unreachable(quoting: never), at: 0).outcome else {
            Issue.record("an unrelated ICMP error passed ecs-a's security group")
            return
        }
        #expect(instance == net.instance("ecs-a"))
    }
}
