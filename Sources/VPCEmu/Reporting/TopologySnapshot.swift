import Foundation

/// The state of a topology at one time, flattened for `topology show`: as JSON (stable field
/// names, documented in docs/topology.md) and as a text table. Security group rules and network
/// ACL entries are listed per direction in the order they are evaluated.
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

    public struct SecurityGroupRow: Encodable, Sendable {
        public struct Rule: Encodable, Sendable {
            public var id, direction, policy: String
            public var priority: Int
            public var `protocol`: String
            /// tcp and udp only: `22`, `80-443`, `all`.
            public var ports: String?
            /// The peer: a CIDR block, or a security group's members.
            public var cidr, group: String?
            public var description: String?
        }
        public var name, vpc: String
        public var instances: [String]
        /// Ingress then egress, each in evaluation order (`SecurityGroupRule.evaluationOrder`).
        public var rules: [Rule]
    }

    public struct NetworkACLRow: Encodable, Sendable {
        public struct Entry: Encodable, Sendable {
            public var name, policy: String
            public var `protocol`: String
            public var ports: String?
            public var cidr: String
        }
        public var name, vpc: String
        public var vswitches: [String]
        /// In evaluation order: the first matching entry decides, none matching denies.
        public var ingress, egress: [Entry]
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
    public var securityGroups: [SecurityGroupRow]
    public var networkACLs: [NetworkACLRow]

    enum CodingKeys: String, CodingKey {
        // `networkACLs` would split as network_ac_ls.
        case timeNanoseconds, profile, vpcs, vswitches, instances, peerings, routeTables, securityGroups, networkACLs = "network_acls"
    }

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
        func ports(_ range: PortRange, _ ipProtocol: RuleProtocol) -> String? {
            ipProtocol.hasPorts ? (range == .any ? "all" : range.description) : nil
        }
        securityGroups = topology.securityGroups.map { group in
            let ordered = TrafficDirection.allCases.flatMap { direction in
                SecurityGroupRule.evaluationOrder(group.rules.filter { $0.direction == direction }) { $0 }
            }
            return SecurityGroupRow(name: group.name, vpc: group.vpc,
                                    instances: topology.instances.filter { $0.securityGroups.contains(group.name) }.map(\.name),
                                    rules: ordered.map { rule in
                                        var cidr: String?, peerGroup: String?
                                        switch rule.peer {
                                        case .network(let network): cidr = network.description
                                        case .securityGroup(let name): peerGroup = name
                                        }
                                        return .init(id: rule.id, direction: rule.direction.rawValue, policy: rule.policy.rawValue,
                                                     priority: rule.priority, protocol: rule.ipProtocol.rawValue,
                                                     ports: ports(rule.ports, rule.ipProtocol), cidr: cidr, group: peerGroup,
                                                     description: rule.description)
                                    })
        }
        networkACLs = topology.networkACLs.map { acl in
            func entries(_ list: [NetworkACLEntry]) -> [NetworkACLRow.Entry] {
                list.map { .init(name: $0.name, policy: $0.policy.rawValue, protocol: $0.ipProtocol.rawValue,
                                 ports: ports($0.ports, $0.ipProtocol), cidr: $0.network.description) }
            }
            return NetworkACLRow(name: acl.name, vpc: acl.vpc, vswitches: topology.vswitches.filter { $0.networkACL == acl.name }.map(\.name),
                                 ingress: entries(acl.ingress), egress: entries(acl.egress))
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
        for group in securityGroups {
            let title = "Security group \(group.name) (VPC \(group.vpc); instances: \(group.instances.isEmpty ? "none" : group.instances.joined(separator: ", "))); "
                + "in evaluation order, no match: ingress denied, egress accepted"
            out += section(title, ["DIRECTION", "PRIORITY", "POLICY", "PROTOCOL", "PORTS", "PEER", "ID"],
                           group.rules.map { [$0.direction, "\($0.priority)", $0.policy, $0.protocol, $0.ports ?? "-",
                                              $0.cidr ?? $0.group.map { "group \($0)" } ?? "-", $0.id] })
        }
        for acl in networkACLs {
            let title = "Network ACL \(acl.name) (VPC \(acl.vpc); vSwitches: \(acl.vswitches.isEmpty ? "none" : acl.vswitches.joined(separator: ", "))); "
                + "first match decides, no match: denied"
            let rows = [("ingress", acl.ingress), ("egress", acl.egress)].flatMap { direction, entries in
                entries.enumerated().map { [direction, "\($0.offset + 1)", $0.element.policy, $0.element.protocol, $0.element.ports ?? "-",
                                            $0.element.cidr, $0.element.name] }
            }
            out += section(title, ["DIRECTION", "#", "POLICY", "PROTOCOL", "PORTS", "CIDR", "NAME"], rows)
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
