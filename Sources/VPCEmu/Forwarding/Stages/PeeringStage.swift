/// Stage 5: a route to a peering. The peering must be Activated and the sending VPC one of its
/// ends; on an inter-region peering with a bandwidth, the token bucket of the direction polices
/// (or, with `--shape`, queues) the packet (docs/forwarding.md: token buckets). Sets the VPC at the
/// other end and the arrival time (departure after shaping, plus the direction's latency).
enum PeeringStage {
    @inline(__always)
    static func run<L: FlowLookups, O: WalkObserver>(_ id: UInt32, from vpc: UInt32, _ packet: WalkPacket, _ lookups: L,
                                     buckets: UnsafeMutableBufferPointer<TokenBucket?>, trail: inout ForwardingPipeline.HopTrail,
                                     _ observer: inout O, to destinationVPC: inout UInt32, arrival: inout Int64) -> StageResult {
        guard Int(id) < lookups.plane.peerings.count else {
            return report(.drop(.peeringNotActive(peering: id, state: nil)), id, vpc, &observer)
        }
        trail.peering = id
        let peering = lookups.plane.peerings[Int(id)]
        guard peering.state == .activated else {
            return report(.drop(.peeringNotActive(peering: id, state: peering.state)), id, vpc, &observer)
        }
        let forward = vpc == peering.requesterVPC
        // A route of one VPC names only its own peerings (validation); the data plane's buffers
        // are read unchecked, so a peering of other VPCs must not reach them.
        guard forward || vpc == peering.accepterVPC else {
            return report(.drop(.nonTransitive(peering: id, vpc: vpc)), id, vpc, &observer)
        }
        destinationVPC = forward ? peering.accepterVPC : peering.requesterVPC
        let direction = 2 &* Int(id) &+ (forward ? 0 : 1)
        var departure = packet.now
        if var bucket = buckets[direction] {
            let offered = bucket.offer(bytes: Int(packet.ipLength), at: packet.now)
            buckets[direction] = bucket
            switch offered {
            case .forwarded(let leaves): departure = leaves
            case .dropped(let cause):
                observer.throttled(direction: direction)
                let name: PeeringDirectionKey.Direction = forward ? .requesterToAccepter : .accepterToRequester
                return report(.drop(cause == .queueFull ? .queueFull(peering: id, name) : .throttled(peering: id, name, cause)),
                              id, vpc, &observer)
            }
        }
        trail.crossedDirection = UInt32(direction)
        trail.shapingDelay = departure &- packet.now
        observer.crossed(direction: direction, bytes: packet.ipLength, shapingDelay: departure &- packet.now)
        arrival = departure &+ (forward ? peering.latencyForward : peering.latencyReverse)
        return report(.proceed, id, vpc, &observer)
    }

    @inline(__always)
    private static func report<O: WalkObserver>(_ result: StageResult, _ id: UInt32, _ vpc: UInt32, _ observer: inout O) -> StageResult {
        observer.peering(id, from: vpc, result)
        return result
    }
}
