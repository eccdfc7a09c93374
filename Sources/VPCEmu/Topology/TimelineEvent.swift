/// A control-plane action at a point of emulated time. Events are applied in time order; events
/// with the same time in the order the file lists them.
public struct TimelineEvent: Sendable, Hashable {
    public var time: EmulatedTime
    public var action: ControlPlaneAction

    public init(time: EmulatedTime, action: ControlPlaneAction) {
        self.time = time
        self.action = action
    }
}

/// What the control plane can be asked to do. `by` is the account acting; nil means the account
/// the documentation expects (the requester creates and deletes, the accepter accepts/rejects).
public enum ControlPlaneAction: Sendable, Hashable, CustomStringConvertible {
    case createPeering(PeeringConnection, by: String?)
    case acceptPeering(String, by: String?)
    case rejectPeering(String, by: String?)
    case deletePeering(String, by: String?)
    case modifyPeering(String, bandwidthMbps: Int?, linkType: InterRegionLinkType?)
    case addRoute(table: String, RouteEntry)
    case removeRoute(table: String, destination: IPNetwork)
    case addSecurityGroupRule(group: String, SecurityGroupRule)
    case removeSecurityGroupRule(group: String, id: String)
    case addACLEntry(acl: String, TrafficDirection, NetworkACLEntry, position: Int?)
    case removeACLEntry(acl: String, TrafficDirection, name: String)

    /// The keyword used in the topology file's `action:` field.
    public var keyword: String {
        switch self {
        case .createPeering: "create_peering"
        case .acceptPeering: "accept_peering"
        case .rejectPeering: "reject_peering"
        case .deletePeering: "delete_peering"
        case .modifyPeering: "modify_peering"
        case .addRoute: "add_route"
        case .removeRoute: "remove_route"
        case .addSecurityGroupRule: "add_security_group_rule"
        case .removeSecurityGroupRule: "remove_security_group_rule"
        case .addACLEntry: "add_acl_entry"
        case .removeACLEntry: "remove_acl_entry"
        }
    }

    public var description: String {
        switch self {
        case .createPeering(let p, _): "\(keyword) \(p.name) (\(p.requesterVPC) -> \(p.accepterVPC))"
        case .acceptPeering(let n, _), .rejectPeering(let n, _), .deletePeering(let n, _): "\(keyword) \(n)"
        case .modifyPeering(let n, let bandwidth, let linkType):
            "\(keyword) \(n)" + (bandwidth.map { " bandwidth=\($0)Mbit/s" } ?? "") + (linkType.map { " link_type=\($0)" } ?? "")
        case .addRoute(let table, let entry): "\(keyword) \(table): \(entry.destination) -> \(entry.nextHop)"
        case .removeRoute(let table, let destination): "\(keyword) \(table): \(destination)"
        case .addSecurityGroupRule(let group, let rule): "\(keyword) \(group): \(rule.id)"
        case .removeSecurityGroupRule(let group, let id): "\(keyword) \(group): \(id)"
        case .addACLEntry(let acl, let direction, let entry, _): "\(keyword) \(acl) \(direction): \(entry.name)"
        case .removeACLEntry(let acl, let direction, let name): "\(keyword) \(acl) \(direction): \(name)"
        }
    }
}
