/// Stage 4: the longest-prefix match in the source vSwitch's route table. No route, or a
/// blackhole route, drops the packet; an external route (a gateway VPCEmu does not model) ends
/// the walk with the packet leaving the modelled network; a local, instance or peering route
/// says where it goes next (`slot`).
enum RouteStage {
    @inline(__always)
    static func run<L: FlowLookups, O: WalkObserver>(_ packet: WalkPacket, table: UInt32, _ lookups: L,
                                                     trail: inout ForwardingPipeline.HopTrail, _ observer: inout O,
                                                     slot: inout DataPlane.RouteSlot) -> StageResult {
        trail.table = table
        guard let found = lookups.route(table, to: packet.destination) else {
            let result = StageResult.drop(.noRoute(table: table))
            observer.routed(table: table, to: packet.destination, slot: nil, result)
            return result
        }
        trail.route = found.route
        slot = found
        let result: StageResult = switch found.target {
        case .blackhole: .drop(.blackholeRoute(table: table, route: found.route))
        case .external(let gateway): .leave(through: gateway)
        case .local, .instance, .peering: .proceed
        }
        observer.routed(table: table, to: packet.destination, slot: found, result)
        return result
    }
}
