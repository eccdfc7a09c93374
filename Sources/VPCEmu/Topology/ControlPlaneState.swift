/// The state of the world at one point of emulated time: the topology with its current route
/// entries and rules, and every peering with its lifecycle state. Actions are applied with
/// `apply(_:at:)`; states that end by themselves (Accepting expiry, Updating, Deleting) advance
/// with `advance(to:)`. Time never goes backwards.
public struct ControlPlaneState: Sendable {
    /// The current model: route tables, security groups and network ACLs as edited so far.
    public private(set) var topology: Topology
    public let index: TopologyIndex
    public private(set) var time: EmulatedTime
    /// Peerings in creation order (including Deleted ones, which keep their history).
    public private(set) var peerings: [PeeringStatus] = []
    private var peeringPositions: [String: Int] = [:]
    /// Positions of the peerings between each pair of VPCs (names in sorted order).
    private var pairPositions: [[String]: [Int]] = [:]
    /// Peerings that count against the quotas, by `[vpc, "inter" or "intra"]` (both ends) and by
    /// `[account, region]` (each side it touches, once): quota checks do not scan the peerings.
    private var liveByVPC: [[String]: Int] = [:]
    private var liveByAccountRegion: [[String]: Int] = [:]
    /// Deadlines waiting, one queue per state that ends by itself. A state's deadline is its
    /// entry time plus one fixed delay and time never goes backwards, so appending keeps each
    /// queue in time order: the next deadline is at a head, found without scanning the
    /// peerings. An entry whose peering left the state early is skipped when it reaches the head.
    private var deadlineQueues = Array(repeating: DeadlineQueue(), count: Self.timedStates.count)
    private static let timedStates: [PeeringState] = [.accepting, .updating, .deleting]

    private struct DeadlineQueue: Sendable {
        var entries: [Entry] = []
        var head = 0
        struct Entry: Sendable {
            var time: EmulatedTime
            var position: Int
        }
        var first: Entry? { head < entries.count ? entries[head] : nil }
    }
    /// Peerings the file declares anywhere (also later in the timeline): routes may name them
    /// before they exist, and are inactive until then.
    public let declaredPeerings: [String: PeeringConnection]

    /// The state before anything was created: no peerings yet, the routes and rules as declared.
    public init(topology: Topology) {
        self.topology = topology
        index = TopologyIndex(topology)
        time = .zero
        var declared: [String: PeeringConnection] = [:]
        for peering in topology.peerings { declared[peering.name] = declared[peering.name] ?? peering }
        for event in topology.timeline {
            if case .createPeering(let peering, _) = event.action { declared[peering.name] = declared[peering.name] ?? peering }
        }
        declaredPeerings = declared
    }

    public func peering(named name: String) -> PeeringStatus? { peeringPositions[name].map { peerings[$0] } }

    /// Lookups through the index (VPCs, vSwitches and instances do not change with time).
    func vpc(named name: String) -> VPC? { index.vpcs[name].map { topology.vpcs[$0] } }
    func vpc(ofInstance name: String) -> String? {
        index.instances[name].flatMap { index.vswitches[topology.instances[$0].vswitch] }.map { topology.vswitches[$0].vpc }
    }

    /// The earliest time at which a peering changes state by itself.
    public var nextDeadline: EmulatedTime? { deadlineQueues.compactMap(\.first?.time).min() }

    /// Whether a queued deadline is still the peering's (it did not leave the state early).
    private func isCurrent(_ entry: DeadlineQueue.Entry, queue: Int) -> Bool {
        peerings[entry.position].state == Self.timedStates[queue] && peerings[entry.position].deadline == entry.time
    }

    /// Moves a peering to `state`, keeping the quota counts and deadline queues in step.
    private mutating func enter(_ position: Int, _ state: PeeringState, at time: EmulatedTime, deadline: EmulatedTime? = nil) {
        let wasLive = peerings[position].state.countsAgainstQuota
        peerings[position].enter(state, at: time, deadline: deadline)
        // Deleting counts again: a Rejected or Expired peering may be deleted.
        if wasLive != state.countsAgainstQuota { countLive(peerings[position], wasLive ? -1 : +1) }
        schedule(position)
    }

    /// Queues the peering's deadline, if its state has one.
    private mutating func schedule(_ position: Int) {
        if let deadline = peerings[position].deadline, let queue = Self.timedStates.firstIndex(of: peerings[position].state) {
            deadlineQueues[queue].entries.append(.init(time: deadline, position: position))
        }
        dropStaleHeads()
    }

    /// Skips head entries that are no longer current, so that `nextDeadline` can read the heads
    /// as they are.
    private mutating func dropStaleHeads() {
        for queue in deadlineQueues.indices {
            while let first = deadlineQueues[queue].first, !isCurrent(first, queue: queue) { deadlineQueues[queue].head += 1 }
        }
    }

    private mutating func countLive(_ peering: PeeringStatus, _ delta: Int) {
        let scope = peering.isInterRegion ? "inter" : "intra"
        for vpc in [peering.connection.requesterVPC, peering.connection.accepterVPC] { liveByVPC[[vpc, scope], default: 0] += delta }
        for side in Set([[peering.requesterAccount, peering.requesterRegion], [peering.accepterAccount, peering.accepterRegion]]) {
            liveByAccountRegion[side, default: 0] += delta
        }
    }

    // MARK: automatic transitions

    /// Applies every automatic transition due at or before `time`, in time order.
    @discardableResult
    public mutating func advance(to time: EmulatedTime) -> [ControlPlaneChange] {
        var changes: [ControlPlaneChange] = []
        while let due = nextDeadline, due <= time {
            var positions: [Int] = []
            for queue in deadlineQueues.indices {
                while let first = deadlineQueues[queue].first, first.time == due {
                    deadlineQueues[queue].head += 1
                    if isCurrent(first, queue: queue) { positions.append(first.position) }
                }
            }
            dropStaleHeads()
            // In creation order, as the peerings are listed.
            for position in positions.sorted() {
                let from = peerings[position].state
                let next: PeeringState = switch from {
                case .accepting: .expired
                case .updating: .activated
                case .deleting: .deleted
                default: from
                }
                enter(position, next, at: due)
                changes.append(.peeringState(peerings[position].name, from: from, to: next))
            }
        }
        self.time = max(self.time, time)
        return changes
    }

    // MARK: actions

    /// Applies one action at `time` (after the automatic transitions due by then).
    public mutating func apply(_ action: ControlPlaneAction, at time: EmulatedTime) throws(ControlPlaneError) -> [ControlPlaneChange] {
        var changes = advance(to: time)
        switch action {
        case .createPeering(let connection, let by): changes += try createPeering(connection, by: by)
        case .acceptPeering(let name, let by): changes += try accept(name, by: by)
        case .rejectPeering(let name, let by): changes += try reject(name, by: by)
        case .deletePeering(let name, let by): changes += try delete(name, by: by)
        case .modifyPeering(let name, let bandwidth, let linkType): changes += try modify(name, bandwidthMbps: bandwidth, linkType: linkType)
        case .addRoute(let table, let entry): changes += try addRoute(entry, to: table)
        case .removeRoute(let table, let destination): changes += try removeRoute(destination, from: table)
        case .addSecurityGroupRule(let group, let rule): changes += try addRule(rule, to: group)
        case .removeSecurityGroupRule(let group, let id): changes += try removeRule(id, from: group)
        case .addACLEntry(let acl, let direction, let entry, let position): changes += try addEntry(entry, to: acl, direction, at: position)
        case .removeACLEntry(let acl, let direction, let name): changes += try removeEntry(name, from: acl, direction)
        }
        return changes
    }

    private func vpc(_ name: String, role: String) throws(ControlPlaneError) -> VPC {
        guard let position = index.vpcs[name] else { throw ControlPlaneError(.unknownObject, "\(role) VPC '\(name)' does not exist") }
        return topology.vpcs[position]
    }

    private func existingPeering(_ name: String) throws(ControlPlaneError) -> Int {
        guard let position = peeringPositions[name] else {
            let hint = declaredPeerings[name] != nil ? " yet at \(time)" : ""
            throw ControlPlaneError(.unknownObject, "peering '\(name)' does not exist\(hint)")
        }
        return position
    }

    private mutating func createPeering(_ connection: PeeringConnection, by actor: String?) throws(ControlPlaneError) -> [ControlPlaneChange] {
        guard peeringPositions[connection.name] == nil else {
            throw ControlPlaneError(.duplicate, "peering '\(connection.name)' already exists")
        }
        let requester = try vpc(connection.requesterVPC, role: "requester")
        let accepter = try vpc(connection.accepterVPC, role: "accepter")
        guard requester.name != accepter.name else {
            throw ControlPlaneError(.invalidParameter, "peering '\(connection.name)' connects VPC '\(requester.name)' to itself")
        }
        if let actor, actor != requester.account {
            throw ControlPlaneError(.forbidden, "only the requester VPC's account '\(requester.account)' may create peering '\(connection.name)', not '\(actor)'")
        }
        // One peering between two VPCs at a time (AWS VPC Peering Guide, "VPC peering
        // limitations"; Alibaba Cloud refuses a second one likewise): a new one only once the
        // earlier is Rejected, Expired or Deleted.
        let pair = [requester.name, accepter.name].sorted()
        if let other = (pairPositions[pair] ?? []).map({ peerings[$0] }).first(where: \.state.countsAgainstQuota) {
            throw ControlPlaneError(.duplicate, "VPCs '\(pair[0])' and '\(pair[1])' are already peered by '\(other.name)' (\(other.state)); a second peering between the same two VPCs can be created only once it is Rejected, Expired or Deleted")
        }
        var connection = connection
        let interRegion = requester.region != accepter.region
        let settings = topology.settings
        if interRegion, topology.profile == .aws {
            // AWS does not limit or grade inter-region peering traffic (VPC Peering Guide).
            if connection.bandwidthMbps != nil || connection.linkType != nil || connection.burstBytes != nil {
                throw ControlPlaneError(.invalidParameter, "peering '\(connection.name)': AWS inter-region peerings have no bandwidth, link type or burst (aws profile)")
            }
            guard topology.latency(from: requester.region, to: accepter.region) != nil else {
                throw ControlPlaneError(.invalidParameter, "no latency is declared between regions '\(requester.region)' and '\(accepter.region)' (add it under regions[].latency)")
            }
        } else if interRegion {
            let bandwidth = connection.bandwidthMbps ?? settings.defaultInterRegionBandwidthMbps
            try checkBandwidth(bandwidth, peering: connection.name)
            connection.bandwidthMbps = bandwidth
            connection.linkType = connection.linkType ?? settings.defaultLinkType
            guard topology.latency(from: requester.region, to: accepter.region) != nil else {
                throw ControlPlaneError(.invalidParameter, "no latency is declared between regions '\(requester.region)' and '\(accepter.region)' (add it under regions[].latency)")
            }
        } else if connection.bandwidthMbps != nil || connection.linkType != nil || connection.burstBytes != nil {
            throw ControlPlaneError(.invalidParameter, "peering '\(connection.name)' is intra-region (\(requester.region)): bandwidth, link type and burst exist only for inter-region peerings")
        }
        if topology.profile == .aws {
            for a in requester.allCIDRs { for b in accepter.allCIDRs where a.overlaps(b) {
                throw ControlPlaneError(.invalidParameter, "AWS does not peer VPCs with overlapping CIDR blocks: \(requester.name) \(a) overlaps \(accepter.name) \(b)")
            } }
        }
        try checkQuotas(requester: requester, accepter: accepter, interRegion: interRegion)

        let crossAccount = requester.account != accepter.account
        let status = PeeringStatus(connection: connection, requester: requester, accepter: accepter,
                                   state: crossAccount ? .accepting : .activated, at: time,
                                   deadline: crossAccount ? time + settings.acceptanceTimeout : nil)
        let position = peerings.count
        peeringPositions[connection.name] = position
        pairPositions[pair, default: []].append(position)
        peerings.append(status)
        countLive(status, +1)
        schedule(position)
        return [.peeringState(connection.name, from: nil, to: status.state)]
    }

    private func checkBandwidth(_ bandwidth: Int, peering: String) throws(ControlPlaneError) {
        let limit = topology.settings.quotas.maxInterRegionBandwidthMbps
        guard bandwidth > 0, bandwidth <= limit else {
            throw ControlPlaneError(.quotaExceeded, "peering '\(peering)': bandwidth \(bandwidth) Mbit/s is outside the quota of 1...\(limit) Mbit/s for inter-region peerings")
        }
    }

    private func checkQuotas(requester: VPC, accepter: VPC, interRegion: Bool) throws(ControlPlaneError) {
        let quotas = topology.settings.quotas
        for vpc in [requester, accepter] {
            let count = liveByVPC[[vpc.name, interRegion ? "inter" : "intra"], default: 0]
            let limit = interRegion ? quotas.interRegionPeeringsPerVPC : quotas.intraRegionPeeringsPerVPC
            if count + 1 > limit {
                throw ControlPlaneError(.quotaExceeded, "VPC '\(vpc.name)' already has \(count) \(interRegion ? "inter" : "intra")-region peerings; the quota is \(limit)")
            }
        }
        // Counted per account and region on each side the peering touches.
        for vpc in [requester, accepter] {
            let count = liveByAccountRegion[[vpc.account, vpc.region], default: 0]
            if count + 1 > quotas.peeringsPerAccountPerRegion {
                throw ControlPlaneError(.quotaExceeded, "account '\(vpc.account)' already has \(count) peerings in region '\(vpc.region)'; the quota is \(quotas.peeringsPerAccountPerRegion)")
            }
        }
    }

    private mutating func accept(_ name: String, by actor: String?) throws(ControlPlaneError) -> [ControlPlaneChange] {
        let position = try acceptOrRejectPrecheck(name, by: actor, verb: "accept")
        let delay = topology.settings.activationDelay
        if delay.nanoseconds == 0 {
            enter(position, .updating, at: time)
            enter(position, .activated, at: time)
            return [.peeringState(name, from: .accepting, to: .activated)]
        }
        enter(position, .updating, at: time, deadline: time + delay)
        return [.peeringState(name, from: .accepting, to: .updating)]
    }

    private mutating func reject(_ name: String, by actor: String?) throws(ControlPlaneError) -> [ControlPlaneChange] {
        let position = try acceptOrRejectPrecheck(name, by: actor, verb: "reject")
        enter(position, .rejected, at: time)
        return [.peeringState(name, from: .accepting, to: .rejected)]
    }

    private func acceptOrRejectPrecheck(_ name: String, by actor: String?, verb: String) throws(ControlPlaneError) -> Int {
        let position = try existingPeering(name)
        let peering = peerings[position]
        if let actor, actor != peering.accepterAccount {
            throw ControlPlaneError(.forbidden, "only the accepter account '\(peering.accepterAccount)' may \(verb) peering '\(name)', not '\(actor)'")
        }
        guard peering.state == .accepting else {
            throw ControlPlaneError(.invalidState(peering.state), "cannot \(verb) peering '\(name)': it is \(peering.state), and only a peering in state Accepting can be accepted or rejected")
        }
        return position
    }

    private mutating func delete(_ name: String, by actor: String?) throws(ControlPlaneError) -> [ControlPlaneChange] {
        let position = try existingPeering(name)
        let peering = peerings[position]
        if let actor, actor != peering.requesterAccount, actor != peering.accepterAccount {
            throw ControlPlaneError(.forbidden, "only the accounts of peering '\(name)' ('\(peering.requesterAccount)', '\(peering.accepterAccount)') may delete it, not '\(actor)'")
        }
        guard peering.state.allowsDeletion else {
            throw ControlPlaneError(.invalidState(peering.state), "cannot delete peering '\(name)': it is \(peering.state)")
        }
        let delay = topology.settings.deletionDelay
        if delay.nanoseconds == 0 {
            enter(position, .deleting, at: time)
            enter(position, .deleted, at: time)
            return [.peeringState(name, from: peering.state, to: .deleted)]
        }
        enter(position, .deleting, at: time, deadline: time + delay)
        return [.peeringState(name, from: peering.state, to: .deleting)]
    }

    private mutating func modify(_ name: String, bandwidthMbps: Int?, linkType: InterRegionLinkType?) throws(ControlPlaneError) -> [ControlPlaneChange] {
        let position = try existingPeering(name)
        let peering = peerings[position]
        guard topology.profile != .aws else {
            throw ControlPlaneError(.invalidParameter, "cannot modify peering '\(name)': AWS peerings have no bandwidth or link type (aws profile)")
        }
        guard peering.isInterRegion else {
            throw ControlPlaneError(.invalidParameter, "peering '\(name)' is intra-region (\(peering.requesterRegion)): bandwidth and link type exist only for inter-region peerings")
        }
        guard peering.state == .activated else {
            throw ControlPlaneError(.invalidState(peering.state), "cannot modify peering '\(name)': it is \(peering.state), and only an Activated peering can be modified")
        }
        if let bandwidthMbps {
            try checkBandwidth(bandwidthMbps, peering: name)
            peerings[position].connection.bandwidthMbps = bandwidthMbps
        }
        if let linkType { peerings[position].connection.linkType = linkType }
        return [.peeringModified(name)]
    }

    // MARK: routes

    /// The position of `name` in `positions`, or an unknown-object error naming its `kind`.
    private func position(of name: String, in positions: [String: Int], kind: String) throws(ControlPlaneError) -> Int {
        guard let position = positions[name] else { throw ControlPlaneError(.unknownObject, "\(kind) '\(name)' does not exist") }
        return position
    }

    private func tablePosition(_ name: String) throws(ControlPlaneError) -> Int {
        try position(of: name, in: index.routeTables, kind: "route table")
    }

    /// Why a custom route may not be in `table`, or nil when it may. Shared by the file
    /// validator and `add_route` events.
    public func routeProblem(_ entry: RouteEntry, inTable name: String) -> ControlPlaneError? {
        guard let position = index.routeTables[name] else { return ControlPlaneError(.unknownObject, "route table '\(name)' does not exist") }
        let vpcName = topology.routeTables[position].vpc
        switch entry.nextHop {
        case .peering(let peering):
            guard let connection = self.peering(named: peering)?.connection ?? declaredPeerings[peering] else {
                return ControlPlaneError(.unknownObject, "next hop peering '\(peering)' does not exist")
            }
            guard connection.requesterVPC == vpcName || connection.accepterVPC == vpcName else {
                return ControlPlaneError(.invalidParameter, "peering '\(peering)' connects \(connection.requesterVPC) and \(connection.accepterVPC), not this route table's VPC '\(vpcName)'")
            }
        case .instance(let instance):
            guard let vpc = vpc(ofInstance: instance) else {
                return ControlPlaneError(.unknownObject, "next hop instance '\(instance)' does not exist")
            }
            guard vpc == vpcName else {
                return ControlPlaneError(.invalidParameter, "next hop instance '\(instance)' is in VPC '\(vpc)', not in this route table's VPC '\(vpcName)'")
            }
        case .blackhole, .external:
            break
        }
        // Alibaba Cloud rejects a custom route whose destination equals or lies inside a vSwitch
        // CIDR block, because the system route for that vSwitch is matched first.
        if topology.profile == .alibaba,
           let system = systemRoutes(vpc: vpcName).first(where: { $0.destination.contains(entry.destination) }) {
            return ControlPlaneError(.routeRejected, "destination \(entry.destination) is equal to or more specific than system route \(system.destination) (vSwitch \(system.localVSwitch ?? "?")); Alibaba Cloud rejects such custom routes")
        }
        return nil
    }

    private mutating func addRoute(_ entry: RouteEntry, to name: String) throws(ControlPlaneError) -> [ControlPlaneChange] {
        let position = try tablePosition(name)
        if topology.routeTables[position].routes.contains(where: { $0.destination == entry.destination }) {
            throw ControlPlaneError(.duplicate, "route table '\(name)' already has a route to \(entry.destination)")
        }
        if let problem = routeProblem(entry, inTable: name) { throw problem }
        topology.routeTables[position].routes.append(entry)
        return [.routeTable(name)]
    }

    private mutating func removeRoute(_ destination: IPNetwork, from name: String) throws(ControlPlaneError) -> [ControlPlaneChange] {
        let position = try tablePosition(name)
        try Self.removeFirst(from: &topology.routeTables[position].routes, where: { $0.destination == destination },
                             else: "route table '\(name)' has no custom route to \(destination)")
        return [.routeTable(name)]
    }

    /// Removes the first element that matches, or throws an unknown-object error with `message`.
    private static func removeFirst<Element>(from list: inout [Element], where matches: (Element) -> Bool,
                                             else message: @autoclosure () -> String) throws(ControlPlaneError) {
        guard let position = list.firstIndex(where: matches) else { throw ControlPlaneError(.unknownObject, message()) }
        list.remove(at: position)
    }

    // MARK: rules

    private func groupPosition(_ name: String) throws(ControlPlaneError) -> Int {
        try position(of: name, in: index.securityGroups, kind: "security group")
    }

    private func aclPosition(_ name: String) throws(ControlPlaneError) -> Int {
        try position(of: name, in: index.networkACLs, kind: "network ACL")
    }

    private mutating func addRule(_ rule: SecurityGroupRule, to name: String) throws(ControlPlaneError) -> [ControlPlaneChange] {
        let position = try groupPosition(name)
        if topology.securityGroups[position].rules.contains(where: { $0.id == rule.id }) {
            throw ControlPlaneError(.duplicate, "security group '\(name)' already has a rule '\(rule.id)'")
        }
        if case .securityGroup(let peer) = rule.peer, index.securityGroups[peer] == nil {
            throw ControlPlaneError(.unknownObject, "rule '\(rule.id)' refers to security group '\(peer)', which does not exist")
        }
        topology.securityGroups[position].rules.append(rule)
        return [.securityGroup(name)]
    }

    private mutating func removeRule(_ id: String, from name: String) throws(ControlPlaneError) -> [ControlPlaneChange] {
        let position = try groupPosition(name)
        try Self.removeFirst(from: &topology.securityGroups[position].rules, where: { $0.id == id },
                             else: "security group '\(name)' has no rule '\(id)'")
        return [.securityGroup(name)]
    }

    private mutating func addEntry(_ entry: NetworkACLEntry, to name: String, _ direction: TrafficDirection, at insertion: Int?) throws(ControlPlaneError) -> [ControlPlaneChange] {
        let position = try aclPosition(name)
        var entries = direction == .ingress ? topology.networkACLs[position].ingress : topology.networkACLs[position].egress
        if entries.contains(where: { $0.name == entry.name }) {
            throw ControlPlaneError(.duplicate, "network ACL '\(name)' already has a \(direction.rawValue) entry '\(entry.name)'")
        }
        let at = insertion ?? entries.count
        guard at <= entries.count else {
            throw ControlPlaneError(.invalidParameter, "position \(at) is past the end of the \(entries.count) \(direction.rawValue) entries of network ACL '\(name)'")
        }
        entries.insert(entry, at: at)
        if direction == .ingress { topology.networkACLs[position].ingress = entries } else { topology.networkACLs[position].egress = entries }
        return [.networkACL(name)]
    }

    private mutating func removeEntry(_ entryName: String, from name: String, _ direction: TrafficDirection) throws(ControlPlaneError) -> [ControlPlaneChange] {
        let position = try aclPosition(name)
        var entries = direction == .ingress ? topology.networkACLs[position].ingress : topology.networkACLs[position].egress
        try Self.removeFirst(from: &entries, where: { $0.name == entryName },
                             else: "network ACL '\(name)' has no \(direction.rawValue) entry '\(entryName)'")
        if direction == .ingress { topology.networkACLs[position].ingress = entries } else { topology.networkACLs[position].egress = entries }
        return [.networkACL(name)]
    }
}
