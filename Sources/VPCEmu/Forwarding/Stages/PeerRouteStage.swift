/// Stage 6: after a peering, the accepter VPC's router (its system route table) must find the
/// destination local there: peering connections never transit to a third network.
enum PeerRouteStage {
    @inline(__always)
    static func run<L: FlowLookups, O: WalkObserver>(_ packet: WalkPacket, peering: UInt32, vpc: UInt32, _ lookups: L,
                                                     _ observer: inout O) -> StageResult {
        let table = lookups.plane.systemTables[Int(vpc)]
        let far = lookups.peerRoute(table, to: packet.destination)
        let result: StageResult
        if let far, far.target == .local {
            result = .proceed
        } else {
            result = .drop(.nonTransitive(peering: peering, vpc: vpc))
        }
        observer.peerRouted(table: table, in: vpc, to: packet.destination, slot: far, result)
        return result
    }
}
