/// At each VPC router the packet passes (the source VPC's, and the accepter VPC's after a
/// peering): the TTL or hop limit it arrived with, less the hops already taken, must stay above
/// zero (RFC 1812 5.3.1; RFC 8200 3). Where it runs out, the observer is told which router
/// answers (the pipeline builds the ICMP time-exceeded answer; the frame itself is never modified).
enum HopLimitStage {
    @inline(__always)
    static func run<O: WalkObserver>(_ packet: WalkPacket, vpc: UInt32, vswitch: UInt32?,
                                     trail: inout ForwardingPipeline.HopTrail, _ observer: inout O) -> StageResult {
        guard packet.ttl <= trail.routerHops &+ 1 else {
            trail.routerHops &+= 1
            return .proceed
        }
        observer.expired(at: vpc, vswitch: vswitch)
        return .drop(.ttlExpired(vpc: vpc))
    }
}
