/// Stage 6: after a peering, the accepter VPC's router (its system route table) must find the
/// destination local there: peering connections never transit to a third network. A destination
/// inside the accepter VPC's blocks that is not local there is no transit case: the packet
/// reached the VPC that owns the address, and none of its vSwitches holds it (Alibaba Cloud's
/// system routes are per vSwitch block; AWS's local route covers the whole VPC block, so there
/// the destination stage answers `noInstance`).
enum PeerRouteStage {
    @inline(__always)
    static func run<L: FlowLookups, O: WalkObserver>(_ packet: WalkPacket, peering: UInt32, vpc: UInt32, _ lookups: L,
                                                     _ observer: inout O) -> StageResult {
        let table = lookups.plane.systemTables[Int(vpc)]
        let far = lookups.peerRoute(table, to: packet.destination)
        let result: StageResult
        if let far, far.target == .local {
            result = .proceed
        } else if lookups.plane.vpc(vpc, holds: packet.destination) {
            result = .drop(.noVSwitch(vpc: vpc))
        } else {
            result = .drop(.nonTransitive(peering: peering, vpc: vpc))
        }
        observer.peerRouted(table: table, in: vpc, to: packet.destination, slot: far, result)
        return result
    }
}
