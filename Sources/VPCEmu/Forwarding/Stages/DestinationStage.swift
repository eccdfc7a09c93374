/// Stage 7: the instance that receives the packet — the one an instance route names (`known`),
/// else the instance of the destination VPC that owns the address.
enum DestinationStage {
    @inline(__always)
    static func run<L: FlowLookups, O: WalkObserver>(_ packet: WalkPacket, vpc: UInt32, known: UInt32?, _ lookups: L,
                                                     _ observer: inout O, instance: inout UInt32) -> StageResult {
        guard let owner = known ?? lookups.destinationOwner(in: vpc, packet.destination) else {
            observer.noOwner(in: vpc, of: packet.destination)
            return .drop(.noInstance(vpc: vpc))
        }
        instance = owner
        return .proceed
    }
}
