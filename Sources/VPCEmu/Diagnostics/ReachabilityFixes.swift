/// The suggested change for each way a flow can be blocked, in the words of the cloud console:
/// the route to add, the account that must accept, the rule or entry to add or remove.
extension ReachabilityAnalyzer {
    func fix(for reason: DropReason, tuple: FiveTuple) -> String {
        let topology = state.topology
        switch reason {
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
            return securityGroupFix(ConnectionTracker.decider(of: FilterVerdict(policy: .drop, decider: decider), rules: rules),
                                    direction: direction, instance: instance, tuple: tuple)
        case .aclDenied(let direction, let vswitch, let decider):
            guard let filters = dataPlane.vswitchFilters[Int(vswitch)] else { return "fix the network ACL of \(dataPlane.vswitchNames[Int(vswitch)])" }
            let acl = direction == .ingress ? filters.ingress : filters.egress
            let allow = "\(direction) entry allowing \(protocolPhrase(tuple)) \(remotePhrase(direction, tuple))"
            switch acl.decider(of: FilterVerdict(policy: .drop, decider: decider)) {
            case .networkACLEntry(let name, _, let entry):
                return "entry \(entry) of network ACL \(name) denies it: remove or narrow it, or add an \(allow) before it"
            default:
                return "add an \(allow) to network ACL \(acl.acl) (network ACLs are stateless: replies need their own entries)"
            }
        case .noRoute(let table):
            switch routeFix(table: table, tuple: tuple, verb: "add a route") {
            case .route(let action): return action
            case .noDestination(let problem): return "\(problem): check the destination address"
            }
        case .blackholeRoute(let table, let route):
            let routes = dataPlane.tables[Int(table)].routes
            let entry = Int(route) < routes.count ? "\(routes[Int(route)].destination)" : "#\(route)"
            let blackhole = "route \(entry) in \(dataPlane.tables[Int(table)].name) is a blackhole"
            switch routeFix(table: table, tuple: tuple, verb: "replace it with a route") {
            case .route(let action): return "\(blackhole): remove it, or \(action)"
            case .noDestination(let problem): return "\(blackhole) and \(problem), so no route can replace it: check the destination address"
            }
        case .peeringNotActive(let id, let peeringState):
            return peeringFix(Int(id) < dataPlane.peerings.count ? dataPlane.peerings[Int(id)].name : "#\(id)", state: peeringState)
        case .nonTransitive(let id, let vpc):
            guard Int(id) < dataPlane.peerings.count else { return "peering #\(id) does not transit" }
            let peering = dataPlane.peerings[Int(id)]
            let from = dataPlane.vpcNames[Int(peering.peer(of: vpc))]
            guard let owner = owningVPC(tuple.destination, excluding: from) else {
                return "no VPC has \(tuple.destination); remove the route that sends it to peering \(peering.name)"
            }
            return "peering \(peering.name) does not transit through \(dataPlane.vpcNames[Int(vpc)]): create a peering between \(from) and \(owner.name) and route \(destinationBlock(tuple.destination, in: owner)) to it instead of to \(peering.name)"
        case .noInstance(let vpc):
            return "no instance of \(dataPlane.vpcNames[Int(vpc)]) has \(tuple.destination): check the destination address"
        case .malformed, .notIP, .throttled, .queueFull, .ttlExpired, .connectionTableFull:
            return "not predicted by the analysis (it depends on the packets, not the topology)"
        }
    }

    private func securityGroupFix(_ decider: FilterDecider, direction: TrafficDirection, instance: UInt32, tuple: FiveTuple) -> String {
        let allow = "\(direction) rule allowing \(protocolPhrase(tuple)) \(remotePhrase(direction, tuple))"
        if case .securityGroupRule(let group, let id) = decider {
            let priority = state.topology.securityGroups.first { $0.name == group }?.rules.first { $0.id == id }?.priority ?? 1
            // Priority 1 is the highest, and at equal priority drop wins (ECS security group rules).
            let outrank = priority > 1 ? ", or add an \(allow) with a priority number below \(priority) to \(group)"
                : " (at priority 1 no accept rule can outrank it)"
            return "rule \(id) of security group \(group) (priority \(priority), drop) denies it: remove or narrow it\(outrank)"
        }
        let group = state.topology.instance(named: name(instance))?.securityGroups.first
        return "add an \(allow) to \(group.map { "security group \($0)" } ?? "a security group of \(name(instance))")"
    }

    /// What a route fix can say: the route to add (a clause starting with `verb`), or, when no
    /// peer VPC holds the destination, why (a clause to end with advice of the caller's).
    private enum RouteAdvice {
        case route(String)
        case noDestination(String)
    }

    private func routeFix(table: UInt32, tuple: FiveTuple, verb: String) -> RouteAdvice {
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
            return .route("create a peering between \(sourceVPC) and \(owner.name) (no peering connects them, and peering does not transit), "
                + "then \(verb) \(block) -> it to \(tableName)")
        }
        return .route("\(verb) \(block) -> peering \(peering) to \(tableName)")
    }

    func peeringFix(_ name: String, state peeringState: PeeringState?) -> String {
        guard let status = state.peering(named: name) else {
            let created = state.topology.timeline.first { event in
                if case .createPeering(let connection, _) = event.action { connection.name == name } else { false }
            }
            return created.map { "peering \(name) is created by the timeline at \($0.time.compoundDescription); analyze at that time or later (--at)" }
                ?? "create peering \(name)"
        }
        let vpcs = "\(status.connection.requesterVPC) and \(status.connection.accepterVPC)"
        switch peeringState ?? status.state {
        case .accepting:
            return "accept the peering as account \(status.accepterAccount) (the accepter); the request expires if not accepted"
        case .updating:
            return "wait: the accepted peering becomes Activated at \(status.deadline.map(\.compoundDescription) ?? "the end of its activation delay")"
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
    private func protocolPhrase(_ tuple: FiveTuple) -> String {
        switch tuple.ipProtocol {
        case 6: "tcp \(tuple.destinationPort)"
        case 17: "udp \(tuple.destinationPort)"
        case 58: "icmpv6"
        default: "icmp"
        }
    }

    /// `from 10.1.0.0/16` (ingress: the source's block) or `to 10.2.0.0/16` (egress).
    private func remotePhrase(_ direction: TrafficDirection, _ tuple: FiveTuple) -> String {
        let remote = direction == .ingress ? tuple.source : tuple.destination
        let block = owningVPC(remote, excluding: nil).map { destinationBlock(remote, in: $0) }
            ?? IPNetwork(address: remote, prefixLength: remote.family.bitWidth)
        return "\(direction == .ingress ? "from" : "to") \(block)"
    }

    /// The VPC whose blocks contain `address` (not `excluding`), preferring the VPC of an
    /// instance that has the address.
    private func owningVPC(_ address: IPAddress, excluding: String?) -> VPC? {
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
