import Foundation
import Testing
@testable import VPCEmu

/// The two real AWS dumps in ../shared/data/aws (pulled by the Batfish project from real
/// accounts), imported and checked against what Batfish's own tests expect of them (the README's
/// tables). Batfish's flows are of IP protocol 0; the analyzer's flows are TCP, UDP or ICMP, so
/// ICMP stands in for them (the security groups allow TCP 22 only, so ICMP is denied the same way).
/// Each flow is analyzed and also sent as packets (request and reply) through the pipeline.
@Suite(.needsSharedData) struct AWSDumpImportTests {
    static func directory(_ name: String) -> String { SharedData.root.appendingPathComponent("aws/\(name)").path }

    static func load(_ name: String) throws -> (imported: ImportedTopology, topology: Topology) {
        var warnings: [String] = []
        let imported = try AWSDescribeImporter.importDirectory(directory(name), warnings: &warnings)
        #expect(warnings.isEmpty)
        // The file as written, loaded back through the topology loader (what `topology check` runs).
        let loaded = try TopologyLoader.load(yaml: imported.yaml, file: "\(name).yaml")
        return (imported, loaded.topology)
    }

    @Test func vpcPeeringOutcomesMatchBatfish() throws {
        let (imported, topology) = try Self.load("test-vpc-peering")
        #expect(topology.vpcs.map(\.name) == ["VPC-B", "VPC-A", "VPC-C"])
        #expect(imported.cloudIDs[TopologySourceMap.key(.vpc, "VPC-A")] == "vpc-0404e08ceddf7f650")
        #expect(topology.peerings.map(\.name) == ["A-B", "A-C"])
        let a = "10.10.10.157", b = "192.168.1.106", c = "192.168.2.229"

        // A → B crosses the peering and is denied at B's inbound security group.
        let aToB = try ImportFixtures.analyze(topology, a, b)
        #expect(aToB.forward.hops.map(\.stage).contains(.peering))
        #expect(aToB.forward.block?.stage == .securityGroupIngress)
        #expect(aToB.forward.block?.component == "launch-wizard-1")
        #expect(aToB.forward.block?.code == "security-group-denied")
        // B → A likewise at A's.
        let bToA = try ImportFixtures.analyze(topology, b, a)
        #expect(bToA.forward.hops.map(\.component).contains("A-B"))
        #expect(bToA.forward.block?.stage == .securityGroupIngress)
        #expect(bToA.forward.block?.component == "launch-wizard-2")
        // A → 192.168.100.1: no route at A's subnet (its table routes only B's and C's /24s).
        let noRoute = try ImportFixtures.analyze(topology, a, "192.168.100.1")
        #expect(noRoute.forward.block?.code == "no-route")
        #expect(noRoute.forward.block?.component == "rtb-0891861fffaea6d52")
        // B → 10.10.100.1 crosses the peering; nothing in VPC A holds it.
        let nullRouted = try ImportFixtures.analyze(topology, b, "10.10.100.1")
        #expect(nullRouted.forward.hops.map(\.stage).contains(.peering))
        #expect(nullRouted.forward.block?.code == "no-instance")
        #expect(nullRouted.forward.block?.component == "VPC-A")
        // B → 10.10.10.11 reaches A's subnet; no instance has the address.
        let noInstance = try ImportFixtures.analyze(topology, b, "10.10.10.11")
        #expect(noInstance.forward.block?.code == "no-instance")
        // TCP 22 between the instances: their security groups allow it, both ways, over both peerings.
        for (from, to) in [(a, b), (b, a), (a, c), (c, a)] {
            let ssh = try ImportFixtures.analyze(topology, from, to, .tcp, port: 22)
            #expect(ssh.isReachable, "\(from) -> \(to): \(ssh.text)")
        }
        // B and C share 192.168.0.0/16: C's address is local to B (and peering would not transit through A anyway).
        let bToC = try ImportFixtures.analyze(topology, b, c, .tcp, port: 22)
        #expect(bToC.forward.block?.code == "no-instance")
        #expect(bToC.forward.block?.component == "VPC-B")
        // B's blackhole route to the deleted internet gateway.
        let blackhole = try ImportFixtures.analyze(topology, b, "8.8.8.8")
        #expect(blackhole.forward.block?.code == "blackhole-route")
    }

    @Test func publicPrivateSubnetRoutesAndSecurityGroupsMatchBatfish() throws {
        let (_, topology) = try Self.load("test-public-private-subnet")
        let publicInstance = "10.0.0.47", privateInstance = "10.0.1.204"
        // Private → public and public → private: denied at the destination's inbound security group.
        let toPublic = try ImportFixtures.analyze(topology, privateInstance, publicInstance)
        #expect(toPublic.forward.block?.stage == .securityGroupIngress)
        #expect(toPublic.forward.block?.component == "launch-wizard-2")
        let toPrivate = try ImportFixtures.analyze(topology, publicInstance, privateInstance)
        #expect(toPrivate.forward.block?.stage == .securityGroupIngress)
        #expect(toPrivate.forward.block?.component == "launch-wizard-3")
        // Which gateway each destination leaves through, from each subnet's table.
        let state = ControlPlaneState(topology: topology)
        let publicTable = topology.vswitch(named: "Public-subnet")!.routeTable
        let privateTable = topology.vswitch(named: "Private-subnet")!.routeTable
        let igw = EffectiveRoute.Target.external(ExternalGateway(id: "igw-0eac198308206c358", kind: .internetGateway))
        let vgw = EffectiveRoute.Target.external(ExternalGateway(id: "vgw-070087240d6fa2989", kind: .vpnGateway))
        #expect(state.lookupRoute(IPAddress("8.8.8.8")!, table: publicTable)?.target == igw)
        #expect(state.lookupRoute(IPAddress("19.168.0.1")!, table: publicTable)?.target == igw)
        #expect(state.lookupRoute(IPAddress("19.168.0.1")!, table: privateTable)?.target == vgw)
        #expect(state.lookupRoute(IPAddress("8.8.8.8")!, table: privateTable)?.target == vgw)
        #expect(state.lookupRoute(IPAddress("13.58.55.60")!, table: privateTable)?.target == vgw)
        // The private subnet has no association: the main table serves it.
        #expect(topology.routeTable(named: privateTable)?.isSystem == true)

        // The analyzer: each flow leaves the modelled network through its gateway, never no-route.
        let internet = ExternalGateway(id: "igw-0eac198308206c358", kind: .internetGateway)
        let vpn = ExternalGateway(id: "vgw-070087240d6fa2989", kind: .vpnGateway)
        for (from, to, gateway) in [(publicInstance, "8.8.8.8", internet), (publicInstance, "19.168.0.1", internet),
                                    (privateInstance, "19.168.0.1", vpn), (privateInstance, "8.8.8.8", vpn), (privateInstance, "13.58.55.60", vpn)] {
            let report = try ImportFixtures.analyze(topology, from, to, .tcp, port: 443)
            #expect(report.forward.leaves == gateway, "\(from) -> \(to)")
            #expect(report.forward.block == nil)
            #expect(report.reverse == nil)
            #expect(report.text.contains("=> left the modelled network through \(gateway)"))
        }
        // Replayed packets: counted apart from delivered and dropped.
        var pipeline = try ForwardingPipeline(topology: topology)
        var headers = PacketHeaders()
        for (index, (from, to)) in [(publicInstance, "8.8.8.8"), (privateInstance, "8.8.8.8"), (privateInstance, publicInstance)].enumerated() {
            let frame = PacketBuilder.frame(for: PacketSpec(source: IPAddress(from)!, destination: IPAddress(to)!, ttl: 64,
                                                            transport: .icmpEcho(isRequest: true, identifier: 1, sequence: 1), payload: []))
            let verdict = try frame.withUnsafeBytes { bytes in
                try pipeline.forward(bytes, linkType: .raw, timestamp: Int64(index) * 1_000_000, headers: &headers)
            }
            if index < 2 { #expect(verdict.outcome == .left(gateway: index == 0 ? 1 : 0), "\(from) -> \(to)") }
        }
        #expect(pipeline.topology.externals == [vpn, internet])
        #expect(pipeline.counters.left == 2)
        #expect(pipeline.counters.dropped == 1)
        #expect(pipeline.counters.delivered == 0)
        // Ping: no reply expected, the request leaves through the gateway.
        var options = Ping.Options(source: "i-094a9e5b545a4fde4", destination: "8.8.8.8")
        options.count = 2
        let ping = try Ping.run(topology, options)
        #expect(ping.replies.map(\.status) == [.left, .left])
        #expect(ping.replies.first?.leftThrough == "internet-gateway igw-0eac198308206c358")
        #expect(ping.text.contains("icmp_seq=1 no reply expected: leaves through internet-gateway igw-0eac198308206c358"))
    }

    @Test(arguments: ["test-vpc-peering", "test-public-private-subnet"])
    func importingTwiceGivesTheSameBytes(name: String) throws {
        var warnings: [String] = []
        let first = try AWSDescribeImporter.importDirectory(Self.directory(name), warnings: &warnings).yaml
        let second = try AWSDescribeImporter.importDirectory(Self.directory(name), warnings: &warnings).yaml
        #expect(first == second)
        #expect(first.contains("# account 554773406868, region us-east-2"))
    }

    @Test func objectsNotModelledAreListedWithTheirFate() throws {
        let (imported, _) = try Self.load("test-public-private-subnet")
        let lines = imported.notices.lines
        #expect(lines.contains("1 internet gateways (igw-0eac198308206c358): not modelled: routes to them are external next hops (leave the modelled network)"))
        #expect(lines.contains { $0.hasPrefix("1 virtual private gateways (vgw-070087240d6fa2989)") })
        #expect(lines.contains { $0.hasPrefix("1 VPN connections (vpn-") })
        #expect(lines.contains { $0.hasPrefix("1 customer gateways (cgw-0e0d620a3ae284684)") })
    }
}
