import Foundation
import Testing
@testable import VPCEmu

/// Alibaba Cloud API dumps. No public dumps of real Alibaba Cloud accounts exist, so the fixtures
/// (Fixtures/Import/alibaba) are built by hand from the API reference of each call —
/// DescribeVpcs, DescribeVSwitches, DescribeRouteTableList, DescribeRouteEntryList,
/// DescribeInstances, DescribeSecurityGroupAttribute, DescribeNetworkAcls, ListVpcPeerConnections —
/// with the API's shapes: lists under a singular wrapper (`Vpcs.Vpc[]`), numbers sent as strings
/// (`"Priority": "1"`, `"TotalCount": "3"`) or as numbers, paging metadata beside the lists.
@Suite struct AlibabaImportTests {
    static func imported() throws -> ImportedTopology {
        var warnings: [String] = []
        let result = try AlibabaAPIImporter.importDirectory(ImportFixtures.path("alibaba"), warnings: &warnings)
        #expect(warnings.isEmpty)
        return result
    }

    @Test func everyCallIsReadIntoTheModel() throws {
        let imported = try Self.imported()
        let topology = try ImportFixtures.reload(imported)
        #expect(topology.profile == .alibaba)
        #expect(topology.accounts.map(\.name) == ["1111222233334444", "5555666677778888"])
        #expect(topology.vpcs.map(\.name) == ["shop", "analytics"])
        #expect(topology.vpc(named: "shop")?.secondaryCIDRs == [try IPNetwork(parsing: "172.17.0.0/16")])
        #expect(imported.cloudIDs[TopologySourceMap.key(.vpc, "shop")] == "vpc-bp1hz0000000000000001")
        #expect(topology.vswitches.map(\.name) == ["db", "web", "analytics-a"])
        // vSwitch db uses its custom table and its network ACL; web the VPC's system table.
        #expect(topology.vswitch(named: "db")?.routeTable == "db-routes")
        #expect(topology.vswitch(named: "db")?.networkACL == "db-acl")
        #expect(topology.routeTable(named: topology.vswitch(named: "web")!.routeTable)?.isSystem == true)
        // System entries are derived, not copied; custom ones keep their next hop.
        let system = topology.routeTable(named: "vtb-bp1sys0000000000000001")!
        #expect(system.routes == [
            RouteEntry(destination: try IPNetwork(parsing: "192.168.0.0/16"), nextHop: .peering("shop-analytics")),
            RouteEntry(destination: try IPNetwork(parsing: "0.0.0.0/0"), nextHop: .external(ExternalGateway(id: "ngw-bp1nat0000000000001", kind: .natGateway))),
        ])
        #expect(topology.routeTable(named: "db-routes")?.routes.first?.nextHop == .instance("web-1"))
        // Priorities as strings and numbers, drop rules, a group of another account.
        let web = topology.securityGroups.first { $0.name == "web" }!
        #expect(web.rules.map(\.priority) == [1, 2, 10, 100])
        #expect(web.rules[1].policy == .drop)
        #expect(web.rules[2].peer == .securityGroup("analytics"))
        // Every private address of the primary interface.
        #expect(topology.instance(named: "web-1")?.addresses == [IPAddress("172.16.1.10")!, IPAddress("172.16.1.11")!])
        // The peering is inter-region with its bandwidth; cross-account and Activated: accepted at time zero.
        #expect(topology.peerings == [PeeringConnection(name: "shop-analytics", requesterVPC: "shop", accepterVPC: "analytics", bandwidthMbps: 10)])
        #expect(topology.timeline.map(\.action) == [.acceptPeering("shop-analytics", by: "5555666677778888")])
        #expect(topology.regions.first { $0.name == "cn-hangzhou" }?.latencyTo["us-west-1"] == .milliseconds(50))
    }

    @Test func trafficCrossesTheImportedPeering() throws {
        let topology = try ImportFixtures.reload(try Self.imported())
        // analytics allows PostgreSQL from the shop VPC; web allows everything from analytics' group.
        #expect(try ImportFixtures.analyze(topology, "172.16.1.10", "192.168.1.10", .tcp, port: 5432).isReachable)
        #expect(try ImportFixtures.analyze(topology, "192.168.1.10", "172.16.1.10", .tcp, port: 8080).isReachable)
        // The drop rule at priority 2 outranks the group's accept at priority 10: SSH is denied.
        let ssh = try ImportFixtures.analyze(topology, "192.168.1.10", "172.16.1.11", .tcp, port: 22)
        #expect(ssh.forward.block?.code == "security-group-denied")
        #expect(ssh.forward.block?.component == "web")
    }

    @Test func whatIsNotModelledIsListed() throws {
        let lines = try Self.imported().notices.lines
        #expect(lines.contains("1 security-group rules for IP protocols other than TCP, UDP, ICMP and ICMPv6 (GRE): omitted"))
        #expect(lines.contains("1 secondary elastic network interfaces (eni-bp1web0000000000002): omitted (DescribeInstances does not give their vSwitch)"))
    }

    @Test func importingTwiceGivesTheSameBytes() throws {
        #expect(try Self.imported().yaml == Self.imported().yaml)
    }
}
