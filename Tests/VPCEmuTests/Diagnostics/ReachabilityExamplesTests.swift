import Foundation
import Testing
@testable import VPCEmu

/// What each example's header comment predicts, as the analyzer reports it.
@Suite struct ReachabilityExamplesTests {
    /// Analyzes `from` → `to` (instance names) in a captures/ example.
    func analyze(_ file: String, _ from: String, _ to: String, _ flowProtocol: ReachabilityFlow.FlowProtocol = .icmp,
                 port: UInt16 = 0, at: EmulatedTime = .zero, family: AddressFamily = .ipv4, reverse: Bool = false) throws -> ReachabilityReport {
        let topology = try loadCapture(file).topology
        let endpoints = try DiagnosticEndpoints(topology: topology, source: EndpointArgument(flag: "--from", text: from),
                                                destination: EndpointArgument(flag: "--to", text: to), ipv6: family == .ipv6)
        let flow = try ReachabilityFlow(source: endpoints.sourceAddress, destination: endpoints.destinationAddress,
                                        ipProtocol: flowProtocol, destinationPort: port)
        return ReachabilityAnalyzer(topology: topology, at: at).analyze(flow, reverse: reverse)
    }

    @Test func hubAndSpokeBranchReachesTheHubButNotTheOtherBranch() throws {
        let toHub = try analyze("hub-and-spoke.yaml", "ecs-b1", "ecs-hub", .tcp, port: 22, reverse: true)
        #expect(toHub.isReachable)
        #expect(toHub.forward.hops.map(\.stage) == [.source, .securityGroupEgress, .route, .peering, .peerRoute,
                                                    .securityGroupIngress, .destination])
        #expect(toHub.forward.hops.map(\.component) == ["ecs-b1", "sg-b1", "rt-b1", "pcx-hub-b1", "rt-hub", "sg-hub", "ecs-hub"])
        #expect(toHub.forward.hops[2].detail == "10.0.0.0/16 -> peering pcx-hub-b1 (custom)")
        #expect(toHub.forward.hops[5].detail == "allowed by security group sg-hub rule branches")
        // The reply passes both security groups as tracked return traffic.
        #expect(toHub.reverse?.hops.filter { $0.detail.contains("tracked connection") }.map(\.component) == ["sg-hub", "sg-b1"])

        let toBranch = try analyze("hub-and-spoke.yaml", "ecs-b1", "ecs-b2", reverse: true)
        #expect(!toBranch.isReachable)
        #expect(toBranch.forward.block == ReachabilityBlock(
            stage: .peerRoute, component: "rt-hub", code: "non-transitive",
            reason: "destination is not in hub; peering pcx-hub-b1 does not transit",
            fix: "peering pcx-hub-b1 does not transit through hub: create a peering between branch-1 and branch-2 and route 10.2.0.0/16 to it instead of to pcx-hub-b1"))
        #expect(toBranch.reverse?.block?.code == "no-route")
        #expect(toBranch.reverse?.block?.fix == "create a peering between branch-2 and branch-1 (no peering connects them, and peering does not transit), then add a route 10.1.0.0/16 -> it to rt-b2")
    }

    @Test func threeVPCsPartialReachesOnlyVSwitch3AndTheSingleInstance() throws {
        let topology = try loadCapture("three-vpcs-partial.yaml").topology
        let others = topology.instances.map(\.name).filter { $0 != "ecs-1a" }
        let reached = try others.filter { try analyze("three-vpcs-partial.yaml", "ecs-1a", $0, .tcp, port: 443, reverse: true).isReachable }
        #expect(reached == ["ecs-2c", "ecs-3a"])
        let toOtherVSwitch = try analyze("three-vpcs-partial.yaml", "ecs-1a", "ecs-2a")
        #expect(toOtherVSwitch.forward.block?.code == "no-route")
        #expect(toOtherVSwitch.forward.block?.fix == "add a route 10.2.0.0/16 -> peering pcx-12 to rt-1")
        // VPC2 and VPC3 reach each other entirely.
        #expect(try analyze("three-vpcs-partial.yaml", "ecs-2a", "ecs-3b", reverse: true).isReachable)
    }

    @Test func crossAccountIsBlockedUntilAcceptedThenReachable() throws {
        let before = try analyze("cross-account-acceptance.yaml", "ecs-a", "ecs-b", at: time("59s"))
        #expect(before.forward.block?.code == "peering-not-active")
        #expect(before.forward.block?.reason == "peering pcx-alice-bob is Accepting, not Activated")
        #expect(before.forward.block?.fix.hasPrefix("accept the peering as account bob") == true)
        let updating = try analyze("cross-account-acceptance.yaml", "ecs-a", "ecs-b", at: time("60500ms"))
        #expect(updating.forward.block?.fix == "wait: the accepted peering becomes Activated at 1 m 1 s")
        #expect(try analyze("cross-account-acceptance.yaml", "ecs-a", "ecs-b", at: time("61s"), reverse: true).isReachable)
    }

    @Test func peeringLifecycleStopsTrafficFromTheDeletion() throws {
        let file = "peering-lifecycle.yaml"
        #expect(try analyze(file, "ecs-alice", "ecs-dave", at: time("5s")).forward.block?.reason == "peering pcx-deleted is Accepting, not Activated")
        #expect(try analyze(file, "ecs-alice", "ecs-dave", at: time("11s"), reverse: true).isReachable)
        #expect(try analyze(file, "ecs-alice", "ecs-dave", at: time("599s"), reverse: true).isReachable)
        for at in ["600s", "601s", "3600s"] {
            let deleted = try analyze(file, "ecs-alice", "ecs-dave", at: time(at))
            #expect(deleted.forward.block?.code == "peering-not-active", "\(at)")
            #expect(deleted.forward.block?.fix == "the peering was deleted: create a new peering between vpc-alice and vpc-dave and point the routes at it")
        }
        // SSH is allowed into sg-dave from t=300s on.
        let sshBefore = try analyze(file, "ecs-alice", "ecs-dave", .tcp, port: 22, at: time("200s"))
        #expect(sshBefore.forward.block?.fix == "add an ingress rule allowing tcp 22 from 10.1.0.0/16 to security group sg-dave")
        #expect(try analyze(file, "ecs-alice", "ecs-dave", .tcp, port: 22, at: time("300s")).isReachable)
    }

    @Test func overlappingCIDRsReachOnlyBetweenRoutedVSwitches() throws {
        let file = "overlapping-cidrs.yaml"
        #expect(try analyze(file, "ecs-a1", "ecs-b1", reverse: true).isReachable)
        #expect(try analyze(file, "ecs-a2", "ecs-b1", reverse: true).isReachable)
        let fromB2 = try analyze(file, "ecs-b2", "ecs-a1", reverse: true)
        #expect(fromB2.forward.isDelivered)
        // vpc-a has no route back to 10.0.4.0/24; the fix routes the vSwitch block, not the overlapping VPC block.
        #expect(fromB2.reverse?.block?.fix == "add a route 10.0.4.0/24 -> peering pcx-overlap to rt-a")
    }

    @Test func interRegionNamesTheBandwidthAndTheDenyingRule() throws {
        let file = "inter-region-bandwidth.yaml"
        let http = try analyze(file, "client-hz", "web-sv", .tcp, port: 80, reverse: true)
        #expect(http.isReachable)
        #expect(http.forward.hops.map(\.stage).contains(.networkACLEgress))
        #expect(http.forward.hops.first { $0.stage == .peering }?.detail.contains("10 Mbit/s") == true)
        let later = try analyze(file, "client-hz", "web-sv", .tcp, port: 80, at: time("120s"))
        #expect(later.forward.hops.first { $0.stage == .peering }?.detail.contains("20 Mbit/s") == true)
        let ssh = try analyze(file, "client-hz", "web-sv", .tcp, port: 22)
        #expect(ssh.forward.block?.code == "security-group-denied")
        #expect(ssh.forward.block?.reason == "ingress of web-sv denied by security group sg-web rule no-ssh")
        #expect(ssh.forward.block?.fix == "rule no-ssh of security group sg-web (priority 1, drop) denies it: remove or narrow it (at priority 1 no accept rule can outrank it)")
    }

    @Test func dualStackAndSameAccountPairsReachEachOther() throws {
        #expect(try analyze("dual-stack.yaml", "ecs-v6a", "ecs-v6b", .icmpv6, family: .ipv6, reverse: true).isReachable)
        #expect(try analyze("dual-stack.yaml", "ecs-v6b", "ecs-v6a", .udp, port: 53, family: .ipv6, reverse: true).isReachable)
        #expect(try analyze("two-vpcs-same-account.yaml", "ecs-a", "ecs-b", .tcp, port: 80, reverse: true).isReachable)
        #expect(try analyze("two-vpcs-same-account.yaml", "ecs-b", "ecs-a", reverse: true).isReachable)
    }

    @Test func badEndpointsAreClearErrors() throws {
        let topology = try loadCapture("two-vpcs-same-account.yaml").topology
        #expect(throws: ReachabilityFlow.FlowError.protocolFamily(.icmp, .ipv6)) {
            try ReachabilityFlow(source: address("2408::1"), destination: address("2408::2"), ipProtocol: .icmp)
        }
        #expect(throws: ReachabilityFlow.FlowError.familyMismatch(source: address("10.0.0.1"), destination: address("2408::2"))) {
            try ReachabilityFlow(source: address("10.0.0.1"), destination: address("2408::2"), ipProtocol: .tcp)
        }
        // An address no instance owns is the pipeline's unknown-source.
        let stray = ReachabilityAnalyzer(topology: topology).analyze(
            try ReachabilityFlow(source: address("172.16.1.99"), destination: address("192.168.1.10"), ipProtocol: .icmp))
        #expect(stray.forward.block?.code == "unknown-source")
        #expect(stray.forward.block?.stage == .source)
        // The reason names no flag of another command (replay's --bind belongs in replay's output).
        #expect(stray.forward.block?.reason == "source address belongs to no instance")
        // Destinations nobody routes: outside every VPC, or in the own VPC's block but in no vSwitch.
        for (destination, fix) in [("8.8.8.8", "no VPC of the topology has 8.8.8.8: check the destination address"),
                                   ("172.16.9.9", "172.16.9.9 is in vpc-a's block but in none of its vSwitches: check the destination address")] {
            let report = ReachabilityAnalyzer(topology: topology).analyze(
                try ReachabilityFlow(source: address("172.16.1.10"), destination: address(destination), ipProtocol: .icmp))
            #expect(report.forward.block?.code == "no-route")
            #expect(report.forward.block?.fix == fix)
        }
        #expect(throws: ReachabilityFlow.FlowError.portZero(.tcp, destination: true)) {
            try ReachabilityFlow(source: address("172.16.1.10"), destination: address("192.168.1.10"), ipProtocol: .tcp, destinationPort: 0)
        }
        #expect(throws: ReachabilityFlow.FlowError.portZero(.udp, destination: false)) {
            try ReachabilityFlow(source: address("172.16.1.10"), destination: address("192.168.1.10"), ipProtocol: .udp,
                                 sourcePort: 0, destinationPort: 53)
        }
    }

    @Test func aBlackholeToAnAddressNoVPCHasIsOneSentence() throws {
        let report = try analyze("peering-lifecycle.yaml", "ecs-alice", "10.9.1.1", at: time("401s"))
        #expect(report.forward.block?.code == "blackhole-route")
        #expect(report.forward.block?.fix == "route 10.9.0.0/16 in rt-alice is a blackhole and no VPC of the topology has 10.9.1.1, "
            + "so no route can replace it: check the destination address")
    }

    @Test func jsonShape() throws {
        let report = try analyze("hub-and-spoke.yaml", "ecs-b1", "ecs-b2", .tcp, port: 22, reverse: true)
        let json = try ReachabilityReport.json([report])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        let first = try #require(object.first)
        #expect(Set(first.keys) == ["time_ns", "flow", "reachable", "forward", "reverse"])
        #expect(first["reachable"] as? Bool == false)
        let flow = try #require(first["flow"] as? [String: Any])
        #expect(flow["protocol"] as? String == "tcp")
        #expect(flow["destination_port"] as? Int == 22)
        let forward = try #require(first["forward"] as? [String: Any])
        #expect(forward["verdict"] as? String == "blocked")
        let blocked = try #require(forward["blocked"] as? [String: Any])
        #expect(Set(blocked.keys) == ["stage", "component", "code", "reason", "fix"])
        #expect(blocked["code"] as? String == "non-transitive")
        let hops = try #require(forward["hops"] as? [[String: Any]])
        #expect(hops.map { $0["stage"] as? String } == ["source", "security-group-egress", "route", "peering", "peer-route"])
        #expect(hops.last?["passed"] as? Bool == false)
        let delivered = try ReachabilityReport.json([try analyze("hub-and-spoke.yaml", "ecs-b1", "ecs-hub")])
        #expect(delivered.contains("\"delivered_to\" : \"ecs-hub\""))
    }
}
