/// Why the walk dropped a packet: one documented set (docs/forwarding.md), each case carrying
/// the object that caused it as an id into the `DataPlane` the packet was forwarded through.
/// The values are small integers, so a verdict costs no allocation.
///
/// This file is the catalogue of every reason: its stable `code`, the sentence for people
/// (`describe(in:)`), the object it names (`location(in:)`) and the suggested change
/// (`fix(for:in:state:)`). A new reason is a case here, its four entries below, and the stage
/// (`Forwarding/Stages/`) that raises it.
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
    /// The packet crossed a peering to `vpc`, whose CIDR blocks hold the destination, but no
    /// vSwitch of `vpc` does (so its system routes have no local route for it).
    case noVSwitch(vpc: UInt32)
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
        case noRoute, blackholeRoute, peeringNotActive, nonTransitive, noVSwitch, noInstance, throttled, queueFull, ttlExpired
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
            case .noVSwitch: "no-vswitch"
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
        case .noVSwitch: .noVSwitch
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
        case .noVSwitch(let vpc): return "destination is in \(name(topology.vpcNames, vpc))'s block but in none of its vSwitches"
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

extension DropReason {
    /// The name of the object that dropped the packet, as ping prints it after `From`.
    public func location(in topology: DataPlane) -> String {
        func name(_ names: [String], _ id: UInt32) -> String { Int(id) < names.count ? names[Int(id)] : "#\(id)" }
        switch self {
        // Decided before any topology object is reached.
        case .malformed, .notIP, .unknownSource: return "pipeline"
        case .securityGroupUnavailable(let instance), .securityGroupDenied(_, let instance, _), .connectionTableFull(_, let instance):
            return name(topology.instanceNames, instance)
        case .aclDenied(_, let vswitch, _): return name(topology.vswitchNames, vswitch)
        case .noRoute(let table), .blackholeRoute(let table, _): return name(topology.tables.map(\.name), table)
        case .peeringNotActive(let peering, _), .nonTransitive(let peering, _), .throttled(let peering, _, _),
             .queueFull(let peering, _):
            return name(topology.peerings.map(\.name), peering)
        case .noVSwitch(let vpc), .noInstance(let vpc), .ttlExpired(let vpc): return name(topology.vpcNames, vpc)
        }
    }

    /// The suggested change, in the words of the cloud console — the route to add, the account
    /// that must accept, the rule or entry to add or remove — for `tuple` (the packet or flow
    /// dropped) in the data plane and control plane of its moment.
    public func fix(for tuple: FiveTuple, in dataPlane: DataPlane, state: ControlPlaneState) -> String {
        let advice = FixAdvice(dataPlane: dataPlane, state: state)
        let topology = state.topology
        func name(_ instance: UInt32) -> String { dataPlane.instanceNames[Int(instance)] }
        switch self {
        case .unknownSource:
            let owners = topology.instances.filter { $0.addresses.contains(tuple.source) }
            return owners.isEmpty
                ? "use the address of an instance as the source (or name the instance with --from)"
                : "the address is used in overlapping VPCs (\(owners.map(\.name).joined(separator: ", "))): renumber one of them, or bind the address to one instance when replaying (--bind)"
        case .securityGroupUnavailable(let instance):
            let errors = dataPlane.compileErrors.filter { $0.hasPrefix("instance \(name(instance)):") }
            return "fix the security groups of \(name(instance)): \(errors.joined(separator: "; "))"
        case .securityGroupDenied(let direction, let instance, let decider):
            guard let filters = dataPlane.instanceFilters[Int(instance)] else { return "fix the security groups of \(name(instance))" }
            let rules = direction == .ingress ? filters.ingress : filters.egress
            return advice.securityGroupFix(ConnectionTracker.decider(of: FilterVerdict(policy: .drop, decider: decider), rules: rules),
                                    direction: direction, instance: instance, tuple: tuple)
        case .aclDenied(let direction, let vswitch, let decider):
            guard let filters = dataPlane.vswitchFilters[Int(vswitch)] else { return "fix the network ACL of \(dataPlane.vswitchNames[Int(vswitch)])" }
            let acl = direction == .ingress ? filters.ingress : filters.egress
            let allow = "\(direction) entry allowing \(advice.protocolPhrase(tuple)) \(advice.remotePhrase(direction, tuple))"
            switch acl.decider(of: FilterVerdict(policy: .drop, decider: decider)) {
            case .networkACLEntry(let name, _, let entry):
                return "entry \(entry) of network ACL \(name) denies it: remove or narrow it, or add an \(allow) before it"
            default:
                return "add an \(allow) to network ACL \(acl.acl) (network ACLs are stateless: replies need their own entries)"
            }
        case .noRoute(let table):
            switch advice.routeFix(table: table, tuple: tuple, verb: "add a route") {
            case .route(let action): return action
            case .noDestination(let problem): return "\(problem): check the destination address"
            }
        case .blackholeRoute(let table, let route):
            let routes = dataPlane.tables[Int(table)].routes
            let entry = Int(route) < routes.count ? "\(routes[Int(route)].destination)" : "#\(route)"
            let blackhole = "route \(entry) in \(dataPlane.tables[Int(table)].name) is a blackhole"
            switch advice.routeFix(table: table, tuple: tuple, verb: "replace it with a route") {
            case .route(let action): return "\(blackhole): remove it, or \(action)"
            case .noDestination(let problem): return "\(blackhole) and \(problem), so no route can replace it: check the destination address"
            }
        case .peeringNotActive(let id, let peeringState):
            return advice.peeringFix(Int(id) < dataPlane.peerings.count ? dataPlane.peerings[Int(id)].name : "#\(id)", state: peeringState)
        case .nonTransitive(let id, let vpc):
            guard Int(id) < dataPlane.peerings.count else { return "peering #\(id) does not transit" }
            let peering = dataPlane.peerings[Int(id)]
            let from = dataPlane.vpcNames[Int(peering.peer(of: vpc))]
            guard let owner = advice.owningVPC(tuple.destination, excluding: from) else {
                return "no VPC has \(tuple.destination); remove the route that sends it to peering \(peering.name)"
            }
            let block = advice.destinationBlock(tuple.destination, in: owner)
            let table = state.topology.routeTables.first { $0.vpc == from && $0.routes.contains { $0.nextHop == .peering(peering.name) } }?.name
            let action = "create a peering between \(from) and \(owner.name) and route \(block) to it instead of to \(peering.name)"
            return "peering \(peering.name) does not transit through \(dataPlane.vpcNames[Int(vpc)]): "
                + (table.map { advice.checkedRoute(block, via: nil, in: $0, action) } ?? action)
        case .noVSwitch(let vpc):
            return "no vSwitch of \(dataPlane.vpcNames[Int(vpc)]) holds \(tuple.destination): check the destination address, or create a vSwitch for it in \(dataPlane.vpcNames[Int(vpc)])"
        case .noInstance(let vpc):
            return "no instance of \(dataPlane.vpcNames[Int(vpc)]) has \(tuple.destination): check the destination address"
        case .malformed, .notIP, .throttled, .queueFull, .ttlExpired, .connectionTableFull:
            return "not predicted by the analysis (it depends on the packets, not the topology)"
        }
    }
}

/// What the fixes of `DropReason.fix(for:in:state:)` look up in the topology: the VPC that holds
/// an address, the block to route or allow, the peering to use, the rule to outrank.
struct FixAdvice {
    let dataPlane: DataPlane
    let state: ControlPlaneState

    func securityGroupFix(_ decider: FilterDecider, direction: TrafficDirection, instance: UInt32, tuple: FiveTuple) -> String {
        let allow = "\(direction) rule allowing \(protocolPhrase(tuple)) \(remotePhrase(direction, tuple))"
        if case .securityGroupRule(let group, let id) = decider {
            let priority = state.topology.securityGroups.first { $0.name == group }?.rules.first { $0.id == id }?.priority ?? 1
            // Priority 1 is the highest, and at equal priority drop wins (ECS security group rules).
            let outrank = priority > 1 ? ", or add an \(allow) with a priority number below \(priority) to \(group)"
                : " (at priority 1 no accept rule can outrank it)"
            return "rule \(id) of security group \(group) (priority \(priority), drop) denies it: remove or narrow it\(outrank)"
        }
        let group = state.topology.instance(named: dataPlane.instanceNames[Int(instance)])?.securityGroups.first
        return "add an \(allow) to \(group.map { "security group \($0)" } ?? "a security group of \(dataPlane.instanceNames[Int(instance)])")"
    }

    /// What a route fix can say: the route to add (a clause starting with `verb`), or, when no
    /// peer VPC holds the destination, why (a clause to end with advice of the caller's).
    enum RouteAdvice {
        case route(String)
        case noDestination(String)
    }

    func routeFix(table: UInt32, tuple: FiveTuple, verb: String) -> RouteAdvice {
        let tableName = dataPlane.tables[Int(table)].name
        let sourceVPC = dataPlane.vpcNames[Int(dataPlane.tables[Int(table)].vpc)]
        guard let owner = owningVPC(tuple.destination, excluding: sourceVPC) else {
            let own = state.topology.vpc(named: sourceVPC)?.allCIDRs.contains { $0.contains(tuple.destination) } ?? false
            return .noDestination(own ? "\(tuple.destination) is in \(sourceVPC)'s block but in none of its vSwitches"
                : "no VPC of the topology has \(tuple.destination)")
        }
        let block = destinationBlock(tuple.destination, in: owner)
        let peering = state.peerings.last { $0.state != .deleted && $0.peer(of: sourceVPC) == owner.name }?.name
            ?? state.declaredPeerings.values.filter { [$0.requesterVPC, $0.accepterVPC] == [sourceVPC, owner.name] || [$0.accepterVPC, $0.requesterVPC] == [sourceVPC, owner.name] }
                .map(\.name).sorted().first
        guard let peering else {
            return .route(checkedRoute(block, via: nil, in: tableName,
                                       "create a peering between \(sourceVPC) and \(owner.name) (no peering connects them, and peering does not transit), "
                                           + "then \(verb) \(block) -> it to \(tableName)"))
        }
        return .route(checkedRoute(block, via: .peering(peering), in: tableName, "\(verb) \(block) -> peering \(peering) to \(tableName)"))
    }

    /// `action`, a fix proposing the route `destination` -> `nextHop` in `table`, when that route
    /// passes the validation of a route the user types (`ControlPlaneState.routeProblem`, which
    /// `topology check` and `add_route` run); else why it would be refused and the documented
    /// alternative. `nextHop` nil: a peering the fix asks to create, so only the destination is checked.
    func checkedRoute(_ destination: IPNetwork, via nextHop: RouteNextHop?, in table: String, _ action: String) -> String {
        guard let problem = state.routeProblem(RouteEntry(destination: destination, nextHop: nextHop ?? .blackhole), inTable: table) else {
            return action
        }
        let route = "a route \(destination)\(nextHop.map { " -> \($0)" } ?? "") in \(table) would be refused (\(problem.message))"
        guard problem.kind == .routeRejected else { return "\(route): fix that first" }
        // Alibaba Cloud: a vSwitch block of the route's own VPC holds the destination, so the two
        // VPCs' vSwitches overlap; the documented answer is to migrate to non-overlapping blocks.
        return "\(route): the vSwitch blocks overlap, and the answer is to migrate to non-overlapping blocks (renumber one vSwitch of the overlapping pair)"
    }

    func peeringFix(_ name: String, state peeringState: PeeringState?) -> String {
        guard let status = state.peering(named: name) else {
            let created = state.topology.timeline.first { event in
                if case .createPeering(let connection, _) = event.action { connection.name == name } else { false }
            }
            return created.map { "peering \(name) is created by the timeline at \($0.time.humanDescription); analyze at that time or later (--at)" }
                ?? "create peering \(name)"
        }
        let vpcs = "\(status.connection.requesterVPC) and \(status.connection.accepterVPC)"
        switch peeringState ?? status.state {
        case .accepting:
            return "accept the peering as account \(status.accepterAccount) (the accepter); the request expires if not accepted"
        case .updating:
            return "wait: the accepted peering becomes Activated at \(status.deadline.map(\.humanDescription) ?? "the end of its activation delay")"
        case .rejected:
            return "account \(status.accepterAccount) rejected the request: create a new peering between \(vpcs) and have \(status.accepterAccount) accept it"
        case .expired:
            return "the request expired unanswered: create a new peering between \(vpcs) and have account \(status.accepterAccount) accept it"
        case .deleting, .deleted:
            return "the peering was deleted: create a new peering between \(vpcs) and point the routes at it"
        case .activated:
            return "the peering is Activated now; analyze again"
        }
    }

    /// `tcp 22`, `udp 53`, `icmp`.
    func protocolPhrase(_ tuple: FiveTuple) -> String {
        switch tuple.ipProtocol {
        case 6: "tcp \(tuple.destinationPort)"
        case 17: "udp \(tuple.destinationPort)"
        case 58: "icmpv6"
        default: "icmp"
        }
    }

    /// `from 10.1.0.0/16` (ingress: the source's block) or `to 10.2.0.0/16` (egress).
    func remotePhrase(_ direction: TrafficDirection, _ tuple: FiveTuple) -> String {
        let remote = direction == .ingress ? tuple.source : tuple.destination
        let block = owningVPC(remote, excluding: nil).map { destinationBlock(remote, in: $0) }
            ?? IPNetwork(address: remote, prefixLength: remote.family.bitWidth)
        return "\(direction == .ingress ? "from" : "to") \(block)"
    }

    /// The VPC whose blocks contain `address` (not `excluding`), preferring the VPC of an
    /// instance that has the address.
    func owningVPC(_ address: IPAddress, excluding: String?) -> VPC? {
        let topology = state.topology
        let candidates = topology.vpcs.filter { $0.name != excluding && $0.allCIDRs.contains { $0.contains(address) } }
        let instanceVPC = topology.instances.first { $0.addresses.contains(address) }.flatMap { topology.vpc(ofInstance: $0.name) }
        return candidates.first { $0.name == instanceVPC } ?? candidates.first
    }

    /// The block to route or allow for `address` in `vpc`: its CIDR block, or the vSwitch block
    /// when that CIDR overlaps another VPC (only vSwitch routes can tell the two apart).
    func destinationBlock(_ address: IPAddress, in vpc: VPC) -> IPNetwork {
        let topology = state.topology
        let host = IPNetwork(address: address, prefixLength: address.family.bitWidth)
        guard let block = vpc.allCIDRs.first(where: { $0.contains(address) }) else { return host }
        let overlaps = topology.vpcs.contains { other in other.name != vpc.name && other.allCIDRs.contains { $0.overlaps(block) } }
        guard overlaps else { return block }
        return topology.vswitches.filter { $0.vpc == vpc.name }.flatMap(\.allCIDRs).first { $0.contains(address) } ?? host
    }
}
