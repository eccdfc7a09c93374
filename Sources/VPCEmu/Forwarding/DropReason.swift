/// Why the pipeline dropped a packet: one documented set (docs/forwarding.md), each case
/// carrying the object that caused it as an id into the `DataPlane` the packet was
/// forwarded through. The values are small integers, so a verdict costs no allocation;
/// `code` is the stable machine-readable name, `describe(in:)` the sentence for people.
public enum DropReason: Hashable, Sendable {
    /// The frame cannot be decoded (the parser's reason).
    case malformed(MalformedReason)
    /// A well-formed frame that carries no IP (the EtherType or equivalent).
    case notIP(UInt16)
    /// No instance owns the source address (and no `--bind` names one), or several instances
    /// in overlapping VPCs do.
    case unknownSource
    /// The instance's security groups failed to compile; its traffic is dropped rather than guessed.
    case securityGroupUnavailable(instance: UInt32)
    /// A security group of `instance` denied the packet; `decider` indexes that filter's deciders.
    case securityGroupDenied(TrafficDirection, instance: UInt32, decider: UInt32)
    /// The network ACL of `vswitch` denied the packet; `decider` indexes that filter's deciders.
    case aclDenied(TrafficDirection, vswitch: UInt32, decider: UInt32)
    /// The route table of the source vSwitch has no route to the destination.
    case noRoute(table: UInt32)
    /// The route taken is a blackhole route (`route` indexes the table's routes).
    case blackholeRoute(table: UInt32, route: UInt32)
    /// The route points at a peering that is not Activated (nil state: not created yet).
    case peeringNotActive(peering: UInt32, state: PeeringState?)
    /// The packet crossed `peering` but its destination is not local in the VPC at the other
    /// end: peering connections never transit.
    case nonTransitive(peering: UInt32, vpc: UInt32)
    /// The destination is local in `vpc` but no instance owns the address.
    case noInstance(vpc: UInt32)
    /// The token bucket of an inter-region peering direction dropped the packet
    /// ("packets dropped due to throttling"): out of tokens when policing, larger than the burst.
    case throttled(peering: UInt32, PeeringDirectionKey.Direction, TokenBucket.DropCause)
    /// Shaping (`--shape`): the direction's bounded queue was full.
    case queueFull(peering: UInt32, PeeringDirectionKey.Direction)
    /// TTL / hop limit reached zero at the router of `vpc`; a time-exceeded answer was built.
    case ttlExpired(vpc: UInt32)
    /// The connection table was full: a new connection `instance`'s security groups accepted was
    /// refused, or this packet belongs to one that was (`ConnectionTracker`, docs/filtering.md).
    case connectionTableFull(TrafficDirection, instance: UInt32)

    /// The kinds, in the order counters and reports list them.
    public enum Kind: UInt8, CaseIterable, Sendable, Hashable, Codable {
        case malformed, notIP, unknownSource, securityGroupUnavailable, securityGroupDenied, aclDenied
        case noRoute, blackholeRoute, peeringNotActive, nonTransitive, noInstance, throttled, queueFull, ttlExpired
        case connectionTableFull

        /// Stable code used in reports, metrics and packet comments.
        public var code: String {
            switch self {
            case .malformed: "malformed"
            case .notIP: "not-ip"
            case .unknownSource: "unknown-source"
            case .securityGroupUnavailable: "security-group-unavailable"
            case .securityGroupDenied: "security-group-denied"
            case .aclDenied: "acl-denied"
            case .noRoute: "no-route"
            case .blackholeRoute: "blackhole-route"
            case .peeringNotActive: "peering-not-active"
            case .nonTransitive: "non-transitive"
            case .noInstance: "no-instance"
            case .throttled: "throttled"
            case .queueFull: "queue-full"
            case .ttlExpired: "ttl-expired"
            case .connectionTableFull: "connection-table-full"
            }
        }
    }

    public var kind: Kind {
        switch self {
        case .malformed: .malformed
        case .notIP: .notIP
        case .unknownSource: .unknownSource
        case .securityGroupUnavailable: .securityGroupUnavailable
        case .securityGroupDenied: .securityGroupDenied
        case .aclDenied: .aclDenied
        case .noRoute: .noRoute
        case .blackholeRoute: .blackholeRoute
        case .peeringNotActive: .peeringNotActive
        case .nonTransitive: .nonTransitive
        case .noInstance: .noInstance
        case .throttled: .throttled
        case .queueFull: .queueFull
        case .ttlExpired: .ttlExpired
        case .connectionTableFull: .connectionTableFull
        }
    }

    /// The stable code: the kind's code, with the parser's reason for malformed packets
    /// (`malformed:truncated-tcp`).
    public var code: String {
        if case .malformed(let reason) = self { return "malformed:\(reason.code)" }
        return kind.code
    }

    /// A sentence naming the objects involved, resolved against `topology` (use the compiled
    /// topology the packet was forwarded through, before later events change it).
    public func describe(in topology: DataPlane) -> String {
        func name(_ names: [String], _ id: UInt32) -> String { Int(id) < names.count ? names[Int(id)] : "#\(id)" }
        func peering(_ id: UInt32) -> String { Int(id) < topology.peerings.count ? topology.peerings[Int(id)].name : "#\(id)" }
        func table(_ id: UInt32) -> String { Int(id) < topology.tables.count ? topology.tables[Int(id)].name : "#\(id)" }
        switch self {
        case .malformed(let reason): return "malformed packet: \(reason.explanation)"
        case .notIP(let type): return "not an IP packet (protocol 0x\(String(type, radix: 16)))"
        case .unknownSource: return "source address belongs to no instance"
        case .securityGroupUnavailable(let instance):
            return "security groups of \(name(topology.instanceNames, instance)) failed to compile"
        case .securityGroupDenied(let direction, let instance, let decider):
            let filters = Int(instance) < topology.instanceFilters.count ? topology.instanceFilters[Int(instance)] : nil
            let rules = direction == .ingress ? filters?.ingress : filters?.egress
            let what = rules.map { ConnectionTracker.decider(of: FilterVerdict(policy: .drop, decider: decider), rules: $0).description }
            return "\(direction) of \(name(topology.instanceNames, instance)) denied by \(what ?? "its security groups")"
        case .aclDenied(let direction, let vswitch, let decider):
            let filters = Int(vswitch) < topology.vswitchFilters.count ? topology.vswitchFilters[Int(vswitch)] : nil
            let acl = direction == .ingress ? filters?.ingress : filters?.egress
            let what = acl.map { $0.decider(of: FilterVerdict(policy: .drop, decider: decider)).description }
            return "\(direction) of vSwitch \(name(topology.vswitchNames, vswitch)) denied by \(what ?? "its network ACL")"
        case .noRoute(let id): return "no route in \(table(id))"
        case .blackholeRoute(let id, let route):
            let tables = topology.tables
            let entry = Int(id) < tables.count && Int(route) < tables[Int(id)].routes.count
                ? "\(tables[Int(id)].routes[Int(route)].destination)" : "#\(route)"
            return "blackhole route \(entry) in \(table(id))"
        case .peeringNotActive(let id, let state):
            return "peering \(peering(id)) is \(state.map(\.rawValue) ?? "not created"), not Activated"
        case .nonTransitive(let id, let vpc):
            return "destination is not in \(name(topology.vpcNames, vpc)); peering \(peering(id)) does not transit"
        case .noInstance(let vpc): return "no instance of \(name(topology.vpcNames, vpc)) has the destination address"
        case .throttled(let id, let direction, let cause):
            return "throttled on \(peering(id)) \(direction.rawValue) (\(cause.rawValue))"
        case .queueFull(let id, let direction): return "shaping queue full on \(peering(id)) \(direction.rawValue)"
        case .ttlExpired(let vpc): return "TTL expired at the router of \(name(topology.vpcNames, vpc)); time exceeded sent"
        case .connectionTableFull(let direction, let instance):
            return "\(direction) of \(name(topology.instanceNames, instance)) refused: connection table full"
        }
    }
}
