import Foundation

/// The state of a topology at one time, flattened for `topology show`: as JSON (stable field
/// names, documented in docs/topology.md) and as a text table.
public struct TopologySnapshot: Encodable, Sendable {
    public struct VPCRow: Encodable, Sendable {
        public var name, account, region: String
        public var cidrs: [String]
    }

    public struct VSwitchRow: Encodable, Sendable {
        public var name, vpc, zone: String
        public var cidrs: [String]
        public var routeTable: String
        public var networkACL: String?
    }

    public struct InstanceRow: Encodable, Sendable {
        public var name, vswitch, vpc: String
        public var addresses: [String]
        public var securityGroups: [String]
    }

    public struct PeeringRow: Encodable, Sendable {
        public struct Transition: Encodable, Sendable {
            public var timeNanoseconds: Int64
            public var state: String
        }
        public var name, requester, accepter: String
        public var state: String
        public var sinceNanoseconds: Int64
        public var interRegion: Bool
        public var bandwidthMbps: Int?
        public var linkType: String?
        public var history: [Transition]
    }

    public struct RouteRow: Encodable, Sendable {
        public var destination, origin, target: String
        public var active: Bool
        public var inactiveReason: String?
    }

    public struct RouteTableRow: Encodable, Sendable {
        public var name, vpc: String
        public var system: Bool
        public var vswitches: [String]
        public var routes: [RouteRow]
    }

    public var timeNanoseconds: Int64
    public var profile: String
    public var vpcs: [VPCRow]
    public var vswitches: [VSwitchRow]
    public var instances: [InstanceRow]
    public var peerings: [PeeringRow]
    public var routeTables: [RouteTableRow]

    public init(_ state: ControlPlaneState) {
        let topology = state.topology
        timeNanoseconds = state.time.nanoseconds
        profile = topology.profile.rawValue
        vpcs = topology.vpcs.map { VPCRow(name: $0.name, account: $0.account, region: $0.region, cidrs: $0.allCIDRs.map(\.description)) }
        vswitches = topology.vswitches.map {
            VSwitchRow(name: $0.name, vpc: $0.vpc, zone: $0.zone, cidrs: $0.allCIDRs.map(\.description), routeTable: $0.routeTable,
                       networkACL: $0.networkACL)
        }
        instances = topology.instances.map {
            InstanceRow(name: $0.name, vswitch: $0.vswitch, vpc: topology.vpc(ofInstance: $0.name) ?? "?",
                        addresses: $0.addresses.map(\.description), securityGroups: $0.securityGroups)
        }
        peerings = state.peerings.map { peering in
            PeeringRow(name: peering.name, requester: peering.connection.requesterVPC, accepter: peering.connection.accepterVPC,
                       state: peering.state.rawValue, sinceNanoseconds: peering.stateSince.nanoseconds, interRegion: peering.isInterRegion,
                       bandwidthMbps: peering.bandwidthMbps, linkType: peering.linkType?.description,
                       history: peering.history.map { .init(timeNanoseconds: $0.time.nanoseconds, state: $0.state.rawValue) })
        }
        routeTables = topology.routeTables.map { table in
            RouteTableRow(name: table.name, vpc: table.vpc, system: table.isSystem,
                          vswitches: topology.vswitches.filter { $0.routeTable == table.name }.map(\.name),
                          routes: state.effectiveRoutes(table: table.name).map {
                              RouteRow(destination: $0.destination.description, origin: $0.origin.rawValue, target: $0.target.description,
                                       active: $0.isActive, inactiveReason: $0.inactiveReason?.description)
                          })
        }
    }

    public func json() throws -> String { try SnakeCaseJSON.encode(self) }

    /// Aligned plain-text tables, one section per kind of object.
    public var text: String {
        var out = "Topology at \(EmulatedTime(nanoseconds: timeNanoseconds).humanDescription) (profile \(profile))\n"
        out += section("VPCs", ["NAME", "ACCOUNT", "REGION", "CIDR BLOCKS"],
                       vpcs.map { [$0.name, $0.account, $0.region, $0.cidrs.joined(separator: ", ")] })
        out += section("vSwitches", ["NAME", "VPC", "ZONE", "CIDR BLOCKS", "ROUTE TABLE", "NETWORK ACL"],
                       vswitches.map { [$0.name, $0.vpc, $0.zone, $0.cidrs.joined(separator: ", "), $0.routeTable, $0.networkACL ?? "-"] })
        out += section("Instances", ["NAME", "VPC", "VSWITCH", "ADDRESSES", "SECURITY GROUPS"],
                       instances.map { [$0.name, $0.vpc, $0.vswitch, $0.addresses.joined(separator: ", "), $0.securityGroups.joined(separator: ", ")] })
        out += section("Peerings", ["NAME", "REQUESTER", "ACCEPTER", "STATE", "SINCE", "BANDWIDTH", "LINK"],
                       peerings.map {
                           [$0.name, $0.requester, $0.accepter, $0.state, EmulatedTime(nanoseconds: $0.sinceNanoseconds).humanDescription,
                            $0.bandwidthMbps.map { "\($0) Mbit/s" } ?? ($0.interRegion ? "-" : "unlimited (intra-region)"), $0.linkType ?? "-"]
                       })
        for table in routeTables {
            let title = "Route table \(table.name) (VPC \(table.vpc)\(table.system ? ", system" : ""); vSwitches: \(table.vswitches.isEmpty ? "none" : table.vswitches.joined(separator: ", ")))"
            out += section(title, ["DESTINATION", "ORIGIN", "NEXT HOP", "STATUS"],
                           table.routes.map { [$0.destination, $0.origin, $0.target, $0.active ? "active" : "inactive: \($0.inactiveReason ?? "")"] })
        }
        return out
    }

    func section(_ title: String, _ header: [String], _ rows: [[String]]) -> String {
        var out = "\n\(title)\n"
        guard !rows.isEmpty else { return out + "  (none)\n" }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        for row in [header] + rows {
            let cells = row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }
            out += "  " + cells.joined(separator: "  ") + "\n"
        }
        return out
    }
}
