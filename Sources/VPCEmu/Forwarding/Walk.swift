/// The one walk of a packet through the emulated VPCs (docs/forwarding.md), for the forwarding
/// pipeline's packets and the reachability analyzer's flows alike:
///
///     attribution → SG egress → ACL egress → [hop limit: source VPC router] → route →
///     peering (+ token bucket) → accepter route → [hop limit: accepter VPC router] →
///     destination → ACL ingress → SG ingress → delivered
///
/// Each stage (`Stages/`) is a concrete function that returns `.proceed` or the `DropReason` it
/// raises, and tells the observer what it met and which object decided. The walk is generic over
/// its observer and over how table lookups are answered, and the compiler specialises it for each
/// caller: the pipeline (`ForwardingPipeline.Meter`, lookups remembered per flow through
/// `FlowDecisionCache.Lookups`) and the analyzer (`ReachabilityAnalyzer.PathRecorder`, lookups
/// straight from `DataPlane.View`). No existential, closure or allocation per packet.
enum Walk {
    /// One packet (or flow) from `packet.source`'s instance towards `packet.destination`, at
    /// emulated time `packet.now`. `trail` receives the objects reached; `buckets` are the token
    /// buckets per peering direction (`2 × peering + direction`; nil: unlimited); the connection
    /// table `tracker` is read and written through `connections`, its storage.
    // Left to the optimiser to specialise at each caller: an explicit `@_specialize` for the
    // pipeline's types compiles to a slower walk (`bench replay`, ~12 ns a packet more).
    @inline(__always)
    static func run<L: FlowLookups, O: WalkObserver>(
        _ packet: WalkPacket, _ lookups: L, tracker: inout ConnectionTracker,
        connections: UnsafeMutablePointer<ConnectionTracker.Entry>, buckets: UnsafeMutableBufferPointer<TokenBucket?>,
        trail: inout ForwardingPipeline.HopTrail, observer: inout O
    ) -> ForwardingPipeline.Outcome {
        var sourceInstance: UInt32 = 0
        if let end = AttributionStage.run(packet, lookups, &observer, instance: &sourceInstance).end { return end }
        trail.sourceInstance = sourceInstance
        if let end = SecurityGroupStage.run(.egress, instance: sourceInstance, packet, lookups, &tracker, connections, &observer).end {
            return end
        }
        let sourceVSwitch = lookups.plane.instances[Int(sourceInstance)].vswitch
        if let end = NetworkACLStage.run(.egress, vswitch: sourceVSwitch, packet.flow.tuple, lookups, &observer).end { return end }

        // The source VPC's router.
        let sourceVPC = lookups.plane.vswitches[Int(sourceVSwitch)].vpc
        if let end = HopLimitStage.run(packet, vpc: sourceVPC, vswitch: sourceVSwitch, trail: &trail, &observer).end { return end }
        var slot = DataPlane.RouteSlot(route: 0, target: .local)
        if let end = RouteStage.run(packet, table: lookups.plane.vswitches[Int(sourceVSwitch)].table, lookups, trail: &trail, &observer,
                                    slot: &slot).end {
            return end
        }

        var destinationVPC = sourceVPC
        var arrival = packet.now &+ lookups.plane.intraRegionLatency
        var destinationInstance: UInt32?
        switch slot.target {
        case .local, .blackhole, .external: break  // blackhole and external routes have ended the walk in `RouteStage`
        case .instance(let instance): destinationInstance = instance
        case .peering(let peering):
            if let end = PeeringStage.run(peering, from: sourceVPC, packet, lookups, buckets: buckets, trail: &trail, &observer,
                                          to: &destinationVPC, arrival: &arrival).end {
                return end
            }
            if let end = PeerRouteStage.run(packet, peering: peering, vpc: destinationVPC, lookups, &observer).end { return end }
            // The accepter VPC's router; its time-exceeded answers come from the gateway of the
            // destination's vSwitch.
            destinationInstance = lookups.destinationOwner(in: destinationVPC, packet.destination)
            let farVSwitch = destinationInstance.map { lookups.plane.instances[Int($0)].vswitch }
            if let end = HopLimitStage.run(packet, vpc: destinationVPC, vswitch: farVSwitch, trail: &trail, &observer).end { return end }
        }
        var target: UInt32 = 0
        if let end = DestinationStage.run(packet, vpc: destinationVPC, known: destinationInstance, lookups, &observer,
                                          instance: &target).end {
            return end
        }
        trail.destinationInstance = target
        let targetVSwitch = lookups.plane.instances[Int(target)].vswitch
        if let end = NetworkACLStage.run(.ingress, vswitch: targetVSwitch, packet.flow.tuple, lookups, &observer).end { return end }
        if let end = SecurityGroupStage.run(.ingress, instance: target, packet, lookups, &tracker, connections, &observer).end {
            return end
        }
        observer.delivered(to: target, packet.destination)
        return .delivered(instance: target, arrival: arrival)
    }
}

/// What one stage decided about a packet.
enum StageResult: Hashable {
    /// On to the next stage.
    case proceed
    case drop(DropReason)
    /// Routed out of the modelled network through gateway `DataPlane.externals[through]`.
    case leave(through: UInt32)

    /// The walk's outcome when the stage ends it, nil to go on.
    @inline(__always)
    var end: ForwardingPipeline.Outcome? {
        switch self {
        case .proceed: nil
        case .drop(let reason): .dropped(reason)
        case .leave(let gateway): .left(gateway: gateway)
        }
    }
}

/// What the walk reads of one packet, or of one flow the analyzer describes.
struct WalkPacket {
    let flow: ConnectionTracker.Lookup
    let source: IPAddress
    let destination: IPAddress
    /// None for other protocols than TCP.
    let tcpFlags: TCPFlags
    /// For an ICMP or ICMPv6 error, the flow of the header it quotes: the security groups accept it
    /// as related when that flow is tracked (`ConnectionTracker.filter`, docs/filtering.md).
    let quoted: FiveTuple?
    /// TTL or hop limit as the packet arrived (the analyzer: `UInt8.max`, hops to spare).
    let ttl: UInt8
    /// IP length, what the token buckets meter.
    let ipLength: UInt32
    /// Emulated time, ns.
    let now: Int64

    /// `now` as the connection table's clock.
    @inline(__always) var clock: UInt64 { UInt64(max(0, now)) }
}

/// The table lookups the stages make, answered straight from the data plane (`DataPlane.View`)
/// or remembered per flow around it (`FlowDecisionCache.Lookups`): the memo wraps the lookups,
/// the stages do not know it is there. Every answer depends only on the tuple and the data lookups.plane.
protocol FlowLookups {
    var plane: DataPlane.View { get }
    /// The instance a source address is attributed to (`DataPlane.ambiguousOwner` when several).
    func sourceOwner(_ address: IPAddress) -> UInt32?
    /// The route the source vSwitch's table takes.
    func route(_ table: UInt32, to address: IPAddress) -> DataPlane.RouteSlot?
    /// The route the accepter VPC's system table takes, after a peering.
    func peerRoute(_ table: UInt32, to address: IPAddress) -> DataPlane.RouteSlot?
    /// The instance of `vpc` that owns `address`.
    func destinationOwner(in vpc: UInt32, _ address: IPAddress) -> UInt32?
    /// Network ACL filter `id`'s verdict, `direction` being the side it guards.
    func acl(_ direction: TrafficDirection, _ id: UInt32, _ tuple: FiveTuple) -> FilterVerdict
}

/// The lookups straight from the data plane (`route(_:to:)` is the view's own).
extension DataPlane.View: FlowLookups {
    var plane: DataPlane.View { self }
    @inline(__always) func sourceOwner(_ address: IPAddress) -> UInt32? { owner(of: address) }
    @inline(__always) func peerRoute(_ table: UInt32, to address: IPAddress) -> DataPlane.RouteSlot? { routes.lookup(Int(table), address) }
    @inline(__always) func destinationOwner(in vpc: UInt32, _ address: IPAddress) -> UInt32? { instance(in: vpc, owning: address) }
    @inline(__always) func acl(_ direction: TrafficDirection, _ id: UInt32, _ tuple: FiveTuple) -> FilterVerdict { evaluate(id, tuple) }
}

/// What the walk tells about each stage it runs: the object met, what decided and the stage's
/// result. The pipeline's observer meters peering directions and builds time-exceeded answers;
/// the analyzer's records every hop with the object that decided it.
protocol WalkObserver {
    /// Attribution: the source address's owner (nil: none; `DataPlane.ambiguousOwner`: several).
    mutating func attributed(_ source: IPAddress, to owner: UInt32?, _ result: StageResult)
    /// A stateful security-group check of `instance`; `verdict` nil when its groups failed to compile.
    mutating func securityGroup(_ direction: TrafficDirection, of instance: UInt32, verdict: FilterVerdict?, _ result: StageResult)
    /// The network ACL bound to `vswitch` (not called when none is).
    mutating func networkACL(_ direction: TrafficDirection, of vswitch: UInt32, verdict: FilterVerdict, _ result: StageResult)
    /// The source vSwitch's route table; `slot` nil when it has no route.
    mutating func routed(table: UInt32, to destination: IPAddress, slot: DataPlane.RouteSlot?, _ result: StageResult)
    /// A peering crossed from `vpc` (or refused: its state, its direction's token bucket).
    mutating func peering(_ peering: UInt32, from vpc: UInt32, _ result: StageResult)
    /// A packet passed the token bucket of `direction` (`2 × peering + direction`) after `shapingDelay` ns.
    mutating func crossed(direction: Int, bytes: UInt32, shapingDelay: Int64)
    /// The token bucket of `direction` dropped a packet.
    mutating func throttled(direction: Int)
    /// The accepter VPC's system table after a peering; `slot` nil when it has no route.
    mutating func peerRouted(table: UInt32, in vpc: UInt32, to destination: IPAddress, slot: DataPlane.RouteSlot?, _ result: StageResult)
    /// The TTL ran out at `vpc`'s router; `vswitch` is the one whose gateway answers (nil: the
    /// vSwitch whose block holds the destination).
    mutating func expired(at vpc: UInt32, vswitch: UInt32?)
    /// No instance of `vpc` owns the destination (called only then).
    mutating func noOwner(in vpc: UInt32, of destination: IPAddress)
    /// The packet reached `instance`.
    mutating func delivered(to instance: UInt32, _ destination: IPAddress)
}
