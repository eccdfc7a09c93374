import Foundation
import Testing
@testable import VPCEmu

/// The connection table as replays meet it: 100k SYNs from ecs-a to ecs-b, then their SYN-ACKs,
/// through a topology where ecs-a's security group has no ingress rule (two-vpcs-same-account
/// without `from-b`), so each reply gets in only by the state its SYN left.
@Suite struct ConnectionTableForwardingTests {
    static let flows = 100_000
    static let client = "172.16.1.10", server = "192.168.1.10"

    static func harness(connectionTable: Int?) throws -> PipelineHarness {
        try PipelineHarness("two-vpcs-same-account.yaml") { text in
            var text = text.replacingOccurrences(of: "- {id: from-b, direction: ingress, protocol: all, cidr: 192.168.0.0/16}\n", with: "")
            if let connectionTable {
                text = text.replacingOccurrences(of: "profile: alibaba\n", with: "profile: alibaba\nsettings: {connection_table: \(connectionTable)}\n")
            }
            return text
        }
    }

    /// Flow `index`'s SYN (or, `reply`, its SYN-ACK): sequential source ports, a second server port past 60,000.
    static func segment(_ index: Int, reply: Bool) -> TransportSpec {
        let clientPort = UInt16(1024 + index % 60_000), serverPort = UInt16(80 + index / 60_000)
        return reply ? .tcp(TCPSegmentSpec(sourcePort: serverPort, destinationPort: clientPort, flags: [.syn, .ack]))
                     : .tcp(TCPSegmentSpec(sourcePort: clientPort, destinationPort: serverPort, flags: [.syn]))
    }

    /// Sends every SYN, then every SYN-ACK (1 µs apart, all well inside SYN_SENT's 120 s), and
    /// returns the outcomes in order.
    static func exchange(_ net: inout PipelineHarness) -> [ForwardingPipeline.Outcome] {
        var outcomes: [ForwardingPipeline.Outcome] = []
        outcomes.reserveCapacity(2 * flows)
        for reply in [false, true] {
            let start: Int64 = reply ? second : second / 2
            for index in 0..<flows {
                let (from, to) = reply ? (server, client) : (client, server)
                outcomes.append(net.send(from, to, segment(index, reply: reply), at: start + Int64(index) * 1000).outcome)
            }
        }
        return outcomes
    }

    @Test func everyReplyIsDeliveredWithTheDefaultBound() throws {
        var net = try Self.harness(connectionTable: nil)
        let outcomes = Self.exchange(&net)
        let a = net.instance("ecs-a"), b = net.instance("ecs-b")
        #expect(outcomes[..<Self.flows].allSatisfy { if case .delivered(b, _) = $0 { true } else { false } })
        #expect(outcomes[Self.flows...].allSatisfy { if case .delivered(a, _) = $0 { true } else { false } })
        #expect(net.pipeline.connectionStatistics.refused == 0)
        // Each flow is tracked at both ends: ecs-a's egress and ecs-b's ingress.
        #expect(net.pipeline.connectionStatistics.peak == 2 * Self.flows)
        // The reply really needs the state: a packet from ecs-b that no SYN opened is denied.
        let unsolicited = net.send(Self.server, Self.client, .tcp(TCPSegmentSpec(sourcePort: 80, destinationPort: 999, flags: [.syn, .ack])),
                                   at: 2 * second)
        #expect(unsolicited.outcome == .dropped(.securityGroupDenied(.ingress, instance: a, decider: Self.ingressDefault(net, a))))
    }

    /// The decider index of ecs-a's ingress default deny.
    static func ingressDefault(_ net: PipelineHarness, _ instance: UInt32) -> UInt32 {
        net.pipeline.topology.instanceFilters[Int(instance)]!.ingress.evaluate(
            FiveTuple(source: IPAddress(server)!, destination: IPAddress(client)!, sourcePort: 80, destinationPort: 999, ipProtocol: 6)).decider
    }

    /// With a bound of 25,001 connections, 12,500 flows are tracked at both ends and the 12,501st
    /// at ecs-a only; every other packet is dropped as `connection-table-full` where its table
    /// refused it, none as `security-group-denied`. Packet by packet, the outcomes are those of
    /// `ReferenceConnectionTracker` (a Dictionary with the same bound and policy) walked through
    /// the same security groups in the pipeline's order (egress of the sender, ingress of the receiver).
    @Test func overflowIsCountedAndEachAffectedPacketGetsItsOwnReason() throws {
        let bound = 25_001
        var net = try Self.harness(connectionTable: bound)
        let outcomes = Self.exchange(&net)
        let a = net.instance("ecs-a"), b = net.instance("ecs-b")
        let filters = net.pipeline.topology.instanceFilters
        var model = ReferenceConnectionTracker(capacity: bound)
        var mismatches = 0
        for (position, outcome) in outcomes.enumerated() {
            let reply = position >= Self.flows, index = position % Self.flows
            let (from, to) = reply ? (b, a) : (a, b)
            let now = UInt64((reply ? second : second / 2) + Int64(index) * 1000)
            let clientPort = UInt16(1024 + index % 60_000), serverPort = UInt16(80 + index / 60_000)
            let syn = FiveTuple(source: IPAddress(Self.client)!, destination: IPAddress(Self.server)!,
                                sourcePort: clientPort, destinationPort: serverPort, ipProtocol: 6)
            let tuple = reply ? syn.reversed : syn
            let flags: TCPFlags = reply ? [.syn, .ack] : .syn
            func stage(_ direction: TrafficDirection, _ instance: UInt32) -> DropReason? {
                let rules = direction == .egress ? filters[Int(instance)]!.egress : filters[Int(instance)]!.ingress
                let verdict = model.filter(tuple, tcpFlags: flags, zone: instance, now: now, rules: rules)
                guard verdict.policy != .accept else { return nil }
                return verdict == ConnectionTracker.refusedVerdict ? .connectionTableFull(direction, instance: instance)
                    : .securityGroupDenied(direction, instance: instance, decider: verdict.decider)
            }
            let expected: ForwardingPipeline.Outcome = if let drop = stage(.egress, from) ?? stage(.ingress, to) {
                .dropped(drop)
            } else {
                .delivered(instance: to, arrival: Int64(now) + 100_000)
            }
            if outcome != expected {
                mismatches += 1
                if mismatches <= 5 { Issue.record("packet \(position): \(outcome), the model says \(expected)") }
            }
        }
        #expect(mismatches == 0)
        let statistics = net.pipeline.connectionStatistics
        #expect(statistics.refused == model.refused && statistics.refusedUnremembered == model.unremembered)
        #expect(statistics.peak == bound)
        // The same, counted by hand: SYN 12,500 is refused at ecs-b's ingress, the 87,499 later
        // SYNs at ecs-a's egress, and the SYN-ACKs of all those flows at ecs-b's egress — a new
        // connection there, except flow 12,500's, which ecs-b's table remembers having refused.
        #expect(statistics.refused == 1 + 87_499 + 87_499)
        #expect(net.pipeline.counters.delivered == 25_000)
        #expect(net.drops(.connectionTableFull) == 175_000)
        #expect(net.drops(.securityGroupDenied) == 0)
        #expect(outcomes[12_500] == .dropped(.connectionTableFull(.ingress, instance: b)))
        #expect(outcomes[12_501] == .dropped(.connectionTableFull(.egress, instance: a)))
        #expect(outcomes[Self.flows + 12_500] == .dropped(.connectionTableFull(.egress, instance: b)))
        #expect(DropReason.connectionTableFull(.egress, instance: a).describe(in: net.pipeline.topology)
                == "egress of ecs-a refused: connection table full")
    }

    @Test func theBoundIsCheckedWhenTheTopologyLoads() throws {
        for bad in ["0", "-3", "268435457", "lots"] {
            let text = try String(contentsOfFile: packageRoot.appendingPathComponent("captures/two-vpcs-same-account.yaml").path, encoding: .utf8)
                .replacingOccurrences(of: "profile: alibaba\n", with: "profile: alibaba\nsettings: {connection_table: \(bad)}\n")
            #expect(throws: (any Error).self, "connection_table: \(bad)") { try TopologyLoader.load(yaml: text, file: "t.yaml") }
            do { _ = try TopologyLoader.load(yaml: text, file: "t.yaml") } catch {
                #expect("\(error)".contains("settings.connection_table"), "\(error)")
                #expect("\(error)".contains("a whole number from 1 to 268435456 connections"), "\(error)")
            }
        }
    }
}
