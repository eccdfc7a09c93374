/// Reachability analysis without packets: a flow description walks the pipeline's own stages
/// (`Walk`) over the same data plane (the timeline applied up to `time`) — so the verdict is the
/// one the pipeline gives the flow's first packet, with its own `DropReason` — while its observer
/// (`PathRecorder`) records each stage with the object that decided it. What the analysis cannot
/// know: token-bucket state (throttling), TTLs (it assumes the packet has hops to spare) and
/// malformed packets.
///
/// Stateful security groups go through a `ConnectionTracker` holding just this connection: a
/// security group that accepted the request (TCP SYN, UDP, ICMP echo request) lets the reply
/// through at that instance (`analyze(_:reverse:)`); network ACLs are stateless and judge the
/// reply by their entries.
public struct ReachabilityAnalyzer: Sendable {
    public let time: EmulatedTime
    public let state: ControlPlaneState
    public let dataPlane: DataPlane

    /// The topology as it stands at `time` (timeline events and peering transitions applied).
    public init(topology: Topology, at time: EmulatedTime = .zero) {
        var runtime = TopologyRuntime(topology: topology)
        runtime.advance(to: time)
        self.time = time
        state = runtime.state
        dataPlane = runtime.dataPlane
    }

    /// The forward path of `flow` and, when `reverse`, the path of its reply sent after it.
    public func analyze(_ flow: ReachabilityFlow, reverse: Bool = false) -> ReachabilityReport {
        // A fresh tracker holds the one connection, exactly as the pipeline's would.
        var tracker = ConnectionTracker(capacity: 4)
        let forward = walk(flow, reply: false, tracker: &tracker)
        // A flow that leaves the modelled network gets no reply the model could analyze.
        let reply = reverse && forward.leaves == nil ? walk(flow, reply: true, tracker: &tracker) : nil
        return ReachabilityReport(flow: flow, time: time, forward: forward, reverse: reply, instanceNames: dataPlane.instanceNames)
    }

    /// One direction: the request, or its reply. Security groups decide through `tracker`
    /// (`ConnectionTracker.filter`, as in the pipeline), which records what they accept.
    func walk(_ flow: ReachabilityFlow, reply: Bool, tracker: inout ConnectionTracker) -> ReachabilityPath {
        let tuple = flow.tuple(reply: reply)
        let packet = WalkPacket(flow: ConnectionTracker.Lookup(tuple), source: tuple.source, destination: tuple.destination,
                                tcpFlags: flow.tcpFlags(reply: reply), quoted: nil, ttl: .max, ipLength: 0, now: time.nanoseconds)
        var recorder = PathRecorder(analyzer: self)
        var trail = ForwardingPipeline.HopTrail()
        // No token buckets: throttling depends on the traffic, not the topology.
        var buckets = [TokenBucket?](repeating: nil, count: 2 * dataPlane.peerings.count)
        let outcome = dataPlane.withView { view in
            tracker.withStorage(reserving: 2) { tracker, connections in
                buckets.withUnsafeMutableBufferPointer { buckets in
                    Walk.run(packet, view, tracker: &tracker, connections: connections, buckets: buckets, trail: &trail, observer: &recorder)
                }
            }
        }
        var path = ReachabilityPath(flow: tuple, flowDescription: flow.describe(reply: reply), hops: recorder.hops, outcome: .dropped(.unknownSource))
        switch outcome {
        case .delivered(let instance, _): path.outcome = .delivered(instance: instance)
        case .left(let gateway): path.outcome = .left(dataPlane.externals[Int(gateway)])
        case .dropped(let reason):
            path.outcome = .dropped(reason)
            if let last = recorder.hops.last {
                path.block = ReachabilityBlock(stage: last.stage, component: last.component, code: reason.code,
                                               reason: reason.describe(in: dataPlane), fix: reason.fix(for: tuple, in: dataPlane, state: state))
            }
        }
        return path
    }

    /// The analyzer's walk observer: one `ReachabilityHop` per stage met, naming the object that
    /// decided (instance, security group, network ACL, route table and entry, peering) and what
    /// it decided; the last hop of a dropped flow is the one that blocked it.
    struct PathRecorder: WalkObserver {
        let analyzer: ReachabilityAnalyzer
        private(set) var hops: [ReachabilityHop] = []

        init(analyzer: ReachabilityAnalyzer) { self.analyzer = analyzer }

        private var plane: DataPlane { analyzer.dataPlane }

        private mutating func hop(_ stage: ReachabilityHop.Stage, _ component: String, _ detail: String, _ result: StageResult) {
            let passed = switch result {
            case .proceed, .leave: true
            case .drop: false
            }
            hops.append(ReachabilityHop(stage: stage, component: component, detail: detail, passed: passed))
        }

        mutating func attributed(_ source: IPAddress, to owner: UInt32?, _ result: StageResult) {
            guard result == .proceed, let owner else {
                let owners = analyzer.state.topology.instances.filter { $0.addresses.contains(source) }.map(\.name)
                return hop(.source, "\(source)", owners.isEmpty ? "no instance owns this address"
                           : "several instances own this address: \(owners.joined(separator: ", "))", result)
            }
            hop(.source, analyzer.name(owner), analyzer.located(owner, source), result)
        }

        mutating func securityGroup(_ direction: TrafficDirection, of instance: UInt32, verdict: FilterVerdict?, _ result: StageResult) {
            let stage: ReachabilityHop.Stage = direction == .egress ? .securityGroupEgress : .securityGroupIngress
            guard let verdict, let filters = plane.instanceFilters[Int(instance)] else {
                return hop(stage, analyzer.name(instance), "its security groups failed to compile", result)
            }
            let decider = ConnectionTracker.decider(of: verdict, rules: direction == .egress ? filters.egress : filters.ingress)
            hop(stage, analyzer.groupName(decider, instance: instance), "\(result == .proceed ? "allowed" : "denied") by \(decider)", result)
        }

        mutating func networkACL(_ direction: TrafficDirection, of vswitch: UInt32, verdict: FilterVerdict, _ result: StageResult) {
            guard let filters = plane.vswitchFilters[Int(vswitch)] else { return }
            let acl = direction == .egress ? filters.egress : filters.ingress
            hop(direction == .egress ? .networkACLEgress : .networkACLIngress, acl.acl,
                "\(result == .proceed ? "allowed" : "denied") by \(acl.decider(of: verdict))", result)
        }

        mutating func routed(table: UInt32, to destination: IPAddress, slot: DataPlane.RouteSlot?, _ result: StageResult) {
            let name = plane.tables[Int(table)].name
            hop(.route, name, slot.map { analyzer.routeText(table: table, slot: $0) } ?? "no route to \(destination)", result)
        }

        mutating func peering(_ id: UInt32, from vpc: UInt32, _ result: StageResult) {
            guard Int(id) < plane.peerings.count else { return hop(.peering, "#\(id)", "not declared", result) }
            let peering = plane.peerings[Int(id)]
            switch result {
            case .proceed, .leave: hop(.peering, peering.name, analyzer.peeringText(peering, from: vpc), result)
            case .drop(.peeringNotActive):
                hop(.peering, peering.name, "\(peering.state.map(\.rawValue) ?? "not created yet"), not Activated", result)
            case .drop(let reason): hop(.peering, peering.name, reason.describe(in: plane), result)
            }
        }

        mutating func peerRouted(table: UInt32, in vpc: UInt32, to destination: IPAddress, slot: DataPlane.RouteSlot?,
                                 _ result: StageResult) {
            let name = plane.tables[Int(table)].name
            guard result == .proceed, let slot else {
                let taken = slot.map { "route \(analyzer.routeText(table: table, slot: $0))" } ?? "no route"
                let place = result == .drop(.noVSwitch(vpc: vpc)) ? "in \(plane.vpcNames[Int(vpc)])'s block but in none of its vSwitches"
                    : "not local in \(plane.vpcNames[Int(vpc)])"
                return hop(.peerRoute, name, "\(destination) is \(place) (\(taken))", result)
            }
            hop(.peerRoute, name, analyzer.routeText(table: table, slot: slot), result)
        }

        mutating func noOwner(in vpc: UInt32, of destination: IPAddress) {
            hop(.destination, plane.vpcNames[Int(vpc)], "no instance has \(destination)", .drop(.noInstance(vpc: vpc)))
        }

        mutating func delivered(to instance: UInt32, _ destination: IPAddress) {
            hop(.destination, analyzer.name(instance), analyzer.located(instance, destination), .proceed)
        }

        // Not known to the analysis: token buckets and TTLs.
        func crossed(direction: Int, bytes: UInt32, shapingDelay: Int64) {}
        func throttled(direction: Int) {}
        func expired(at vpc: UInt32, vswitch: UInt32?) {}
    }

    // MARK: names

    func name(_ instance: UInt32) -> String { dataPlane.instanceNames[Int(instance)] }

    func located(_ instance: UInt32, _ address: IPAddress) -> String {
        let vswitch = dataPlane.instanceVSwitch[Int(instance)]
        return "\(address) in vSwitch \(dataPlane.vswitchNames[Int(vswitch)]) (VPC \(dataPlane.vpcNames[Int(dataPlane.vswitchVPC[Int(vswitch)])]))"
    }

    /// The security group a decider names, or the instance's groups for defaults and tracking.
    func groupName(_ decider: FilterDecider, instance: UInt32) -> String {
        if case .securityGroupRule(let group, _) = decider { return group }
        let groups = state.topology.instance(named: name(instance))?.securityGroups ?? []
        return groups.isEmpty ? name(instance) : groups.joined(separator: ",")
    }

    /// `10.2.0.0/16 -> peering pcx (custom)`.
    func routeText(table: UInt32, slot: DataPlane.RouteSlot) -> String {
        let routes = dataPlane.tables[Int(table)].routes
        guard Int(slot.route) < routes.count else { return "route #\(slot.route)" }
        let route = routes[Int(slot.route)]
        return "\(route.destination) -> \(route.target) (\(route.origin.rawValue))"
    }

    func peeringText(_ peering: DataPlane.Peering, from vpc: UInt32) -> String {
        let role = vpc == peering.requesterVPC ? "requester -> accepter" : "accepter -> requester"
        let bandwidth = peering.isInterRegion
            ? "inter-region, \(peering.bandwidthMbps.map { "\($0) Mbit/s" } ?? "unlimited")\(peering.linkType.map { " \($0)" } ?? "")"
            : "intra-region, bandwidth unlimited"
        return "Activated, \(dataPlane.vpcNames[Int(vpc)]) -> \(dataPlane.vpcNames[Int(peering.peer(of: vpc))]) (\(role)), \(bandwidth)"
    }
}
