/// Stage 1: the instance that sent the packet, by its source address (`--bind` blocks first,
/// then the instance addresses of the topology). An address no instance owns, or one that
/// instances of overlapping VPCs share, has no sender to judge it: `unknownSource`.
enum AttributionStage {
    @inline(__always)
    static func run<L: FlowLookups, O: WalkObserver>(_ packet: WalkPacket, _ lookups: L, _ observer: inout O,
                                                     instance: inout UInt32) -> StageResult {
        let owner = lookups.sourceOwner(packet.source)
        let result: StageResult
        if let owner, owner != DataPlane.ambiguousOwner {
            instance = owner
            result = .proceed
        } else {
            result = .drop(.unknownSource)
        }
        observer.attributed(packet.source, to: owner, result)
        return result
    }
}
