/// Reachability analysis without packets: a flow description walks the stages of
/// `ForwardingPipeline.walk` in the same order, over the same compiled topology (the timeline
/// applied up to `time`), asking the same compiled filters and FIBs — so the verdict is the one
/// the pipeline gives the flow's first packet, and the blocking stage carries the pipeline's
/// own `DropReason`. What the analysis cannot know: token-bucket state (throttling), TTLs
/// (it assumes the packet has hops to spare) and malformed packets.
///
/// Stateful security groups go through a `ConnectionTracker` holding just this connection: a
/// security group that accepted the request (TCP SYN, UDP, ICMP echo request) lets the reply
/// through at that instance (`analyze(_:reverse:)`); network ACLs are stateless and judge the
/// reply by their entries.
public struct ReachabilityAnalyzer: Sendable {
    public let time: EmulatedTime
    public let state: ControlPlaneState
    public let compiled: CompiledTopology
    private let systemTables: [UInt32]

    /// The topology as it stands at `time` (timeline events and peering transitions applied).
    public init(topology: Topology, at time: EmulatedTime = .zero) {
        var runtime = TopologyRuntime(topology: topology)
        runtime.advance(to: time)
        self.time = time
        state = runtime.state
        compiled = runtime.compiled
        systemTables = compiled.systemTables(of: state.topology)
    }

    /// The forward path of `flow` and, when `reverse`, the path of its reply sent after it.
    public func analyze(_ flow: ReachabilityFlow, reverse: Bool = false) -> ReachabilityReport {
        // A fresh tracker holds the one connection, exactly as the pipeline's would.
        var tracker = ConnectionTracker(capacity: 4)
        let forward = walk(flow, reply: false, tracker: &tracker)
        let reply = reverse ? walk(flow, reply: true, tracker: &tracker) : nil
        return ReachabilityReport(flow: flow, time: time, forward: forward, reverse: reply, instanceNames: compiled.instanceNames)
    }

    /// One direction: the request, or its reply. Security groups decide through `tracker`
    /// (`ConnectionTracker.filter`, as in the pipeline), which records what they accept.
    func walk(_ flow: ReachabilityFlow, reply: Bool, tracker: inout ConnectionTracker) -> ReachabilityPath {
        let tuple = flow.tuple(reply: reply)
        let flags = flow.tcpFlags(reply: reply)
        let now = UInt64(max(0, time.nanoseconds))
        var path = ReachabilityPath(flow: tuple, flowDescription: flow.describe(reply: reply), hops: [], outcome: .dropped(.unknownSource))
        func stop(_ reason: DropReason, _ stage: ReachabilityHop.Stage, _ component: String, _ detail: String) -> ReachabilityPath {
            path.hops.append(ReachabilityHop(stage: stage, component: component, detail: detail, passed: false))
            path.outcome = .dropped(reason)
            path.block = ReachabilityBlock(stage: stage, component: component, code: reason.code,
                                           reason: reason.describe(in: compiled), fix: fix(for: reason, tuple: tuple))
            return path
        }
        func pass(_ stage: ReachabilityHop.Stage, _ component: String, _ detail: String) {
            path.hops.append(ReachabilityHop(stage: stage, component: component, detail: detail, passed: true))
        }
        /// The stateful security groups of `instance`, through the tracker as in the pipeline.
        func securityGroupStage(_ direction: TrafficDirection, instance: UInt32) -> ReachabilityPath? {
            let stage: ReachabilityHop.Stage = direction == .egress ? .securityGroupEgress : .securityGroupIngress
            guard let filters = compiled.instanceFilters[Int(instance)] else {
                return stop(.securityGroupUnavailable(instance: instance), stage, name(instance), "its security groups failed to compile")
            }
            let rules = direction == .egress ? filters.egress : filters.ingress
            let verdict = tracker.filter(tuple, tcpFlags: flags, zone: instance, now: now, rules: rules)
            let decider = ConnectionTracker.decider(of: verdict, rules: rules)
            guard verdict.policy == .accept else {
                return stop(.securityGroupDenied(direction, instance: instance, decider: verdict.decider), stage,
                            groupName(decider, instance: instance), "denied by \(decider)")
            }
            pass(stage, groupName(decider, instance: instance), "allowed by \(decider)")
            return nil
        }
        /// The stateless network ACL bound to `vswitch`, if any.
        func networkACLStage(_ direction: TrafficDirection, vswitch: UInt32) -> ReachabilityPath? {
            guard let filters = compiled.vswitchFilters[Int(vswitch)] else { return nil }
            let stage: ReachabilityHop.Stage = direction == .egress ? .networkACLEgress : .networkACLIngress
            let acl = direction == .egress ? filters.egress : filters.ingress
            let verdict = acl.evaluate(tuple)
            guard verdict.policy == .accept else {
                return stop(.aclDenied(direction, vswitch: vswitch, decider: verdict.decider), stage, acl.acl,
                            "denied by \(acl.decider(of: verdict))")
            }
            pass(stage, acl.acl, "allowed by \(acl.decider(of: verdict))")
            return nil
        }

        let source = tuple.source, destination = tuple.destination

        guard let sourceInstance = compiled.sourceOwners.lookup(source), sourceInstance != CompiledTopology.ambiguousOwner else {
            let owners = state.topology.instances.filter { $0.addresses.contains(source) }.map(\.name)
            return stop(.unknownSource, .source, "\(source)", owners.isEmpty ? "no instance owns this address"
                        : "several instances own this address: \(owners.joined(separator: ", "))")
        }
        pass(.source, name(sourceInstance), located(sourceInstance, source))

        if let blocked = securityGroupStage(.egress, instance: sourceInstance) { return blocked }
        let sourceVSwitch = compiled.instanceVSwitch[Int(sourceInstance)]
        if let blocked = networkACLStage(.egress, vswitch: sourceVSwitch) { return blocked }

        let sourceVPC = compiled.vswitchVPC[Int(sourceVSwitch)]
        let table = compiled.vswitchTable[Int(sourceVSwitch)]
        let tableName = compiled.tables[Int(table)].name
        guard let slot = compiled.route(table: table, to: destination) else {
            return stop(.noRoute(table: table), .route, tableName, "no route to \(destination)")
        }
        let entry = routeText(table: table, slot: slot)
        var destinationVPC = sourceVPC
        var destinationInstance: UInt32?
        switch slot.target {
        case .blackhole:
            return stop(.blackholeRoute(table: table, route: slot.route), .route, tableName, entry)
        case .local:
            pass(.route, tableName, entry)
        case .instance(let instance):
            pass(.route, tableName, entry)
            destinationInstance = instance
        case .peering(let peeringID):
            pass(.route, tableName, entry)
            guard Int(peeringID) < compiled.peerings.count else {
                return stop(.peeringNotActive(peering: peeringID, state: nil), .peering, "#\(peeringID)", "not declared")
            }
            let peering = compiled.peerings[Int(peeringID)]
            guard peering.state == .activated else {
                return stop(.peeringNotActive(peering: peeringID, state: peering.state), .peering, peering.name,
                            "\(peering.state.map(\.rawValue) ?? "not created yet"), not Activated")
            }
            destinationVPC = peering.peer(of: sourceVPC)
            pass(.peering, peering.name, peeringText(peering, from: sourceVPC))
            let farTable = systemTables[Int(destinationVPC)]
            let farName = compiled.tables[Int(farTable)].name
            let far = compiled.route(table: farTable, to: destination)
            guard let far, far.target == .local else {
                let taken = far.map { "route \(routeText(table: farTable, slot: $0))" } ?? "no route"
                return stop(.nonTransitive(peering: peeringID, vpc: destinationVPC), .peerRoute, farName,
                            "\(destination) is not local in \(compiled.vpcNames[Int(destinationVPC)]) (\(taken))")
            }
            pass(.peerRoute, farName, routeText(table: farTable, slot: far))
        }

        guard let target = destinationInstance ?? compiled.instance(in: destinationVPC, owning: destination) else {
            return stop(.noInstance(vpc: destinationVPC), .destination, compiled.vpcNames[Int(destinationVPC)],
                        "no instance has \(destination)")
        }
        let targetVSwitch = compiled.instanceVSwitch[Int(target)]
        if let blocked = networkACLStage(.ingress, vswitch: targetVSwitch) { return blocked }
        if let blocked = securityGroupStage(.ingress, instance: target) { return blocked }
        pass(.destination, name(target), located(target, destination))
        path.outcome = .delivered(instance: target)
        return path
    }

    // MARK: names

    func name(_ instance: UInt32) -> String { compiled.instanceNames[Int(instance)] }

    private func located(_ instance: UInt32, _ address: IPAddress) -> String {
        let vswitch = compiled.instanceVSwitch[Int(instance)]
        return "\(address) in vSwitch \(compiled.vswitchNames[Int(vswitch)]) (VPC \(compiled.vpcNames[Int(compiled.vswitchVPC[Int(vswitch)])]))"
    }

    /// The security group a decider names, or the instance's groups for defaults and tracking.
    private func groupName(_ decider: FilterDecider, instance: UInt32) -> String {
        if case .securityGroupRule(let group, _) = decider { return group }
        let groups = state.topology.instance(named: name(instance))?.securityGroups ?? []
        return groups.isEmpty ? name(instance) : groups.joined(separator: ",")
    }

    /// `10.2.0.0/16 -> peering pcx (custom)`.
    private func routeText(table: UInt32, slot: CompiledTopology.RouteSlot) -> String {
        let routes = compiled.tables[Int(table)].routes
        guard Int(slot.route) < routes.count else { return "route #\(slot.route)" }
        let route = routes[Int(slot.route)]
        return "\(route.destination) -> \(route.target) (\(route.origin.rawValue))"
    }

    private func peeringText(_ peering: CompiledTopology.Peering, from vpc: UInt32) -> String {
        let role = vpc == peering.requesterVPC ? "requester -> accepter" : "accepter -> requester"
        let bandwidth = peering.isInterRegion
            ? "inter-region, \(peering.bandwidthMbps.map { "\($0) Mbit/s" } ?? "unlimited")\(peering.linkType.map { " \($0)" } ?? "")"
            : "intra-region, bandwidth unlimited"
        return "Activated, \(compiled.vpcNames[Int(vpc)]) -> \(compiled.vpcNames[Int(peering.peer(of: vpc))]) (\(role)), \(bandwidth)"
    }
}

extension CompiledTopology {
    /// Per VPC: its system route table, which decides whether a destination is local there.
    func systemTables(of topology: Topology) -> [UInt32] {
        vpcNames.map { vpc in
            let name = topology.routeTables.first { $0.isSystem && $0.vpc == vpc }?.name
            return UInt32(tables.firstIndex { $0.name == name } ?? 0)
        }
    }
}
