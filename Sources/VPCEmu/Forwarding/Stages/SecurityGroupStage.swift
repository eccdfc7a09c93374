/// Stages 2 and 9: the stateful security groups of an instance, egress at the sender and
/// ingress at the receiver, through the connection table (`ConnectionTracker.filter`): a packet
/// of a tracked connection, or an ICMP error quoting one, passes whatever the rules say; otherwise the rules decide, and a
/// connection they accept is tracked. Groups that failed to compile drop the instance's traffic.
enum SecurityGroupStage {
    @inline(__always)
    static func run<L: FlowLookups, O: WalkObserver>(_ direction: TrafficDirection, instance: UInt32, _ packet: WalkPacket, _ lookups: L,
                                     _ tracker: inout ConnectionTracker, _ connections: UnsafeMutablePointer<ConnectionTracker.Entry>,
                                     _ observer: inout O) -> StageResult {
        let entry = lookups.plane.instances[Int(instance)]
        let filter = direction == .egress ? entry.egressFilter : entry.ingressFilter
        guard filter != DataPlane.noFilter else {
            let result = StageResult.drop(.securityGroupUnavailable(instance: instance))
            observer.securityGroup(direction, of: instance, verdict: nil, result)
            return result
        }
        let verdict = tracker.filter(packet.flow, tcpFlags: packet.tcpFlags, quoted: packet.quoted, zone: instance, now: packet.clock,
                                     rules: Rules(filters: lookups.plane.filters, id: filter), connections)
        let result: StageResult = verdict.policy == .accept ? .proceed
            : .drop(verdict.decider == ConnectionTracker.refusedDecider
                ? .connectionTableFull(direction, instance: instance)
                : .securityGroupDenied(direction, instance: instance, decider: verdict.decider))
        observer.securityGroup(direction, of: instance, verdict: verdict, result)
        return result
    }

    /// One security-group filter of the data plane, as the connection tracker consults it. Holds
    /// only the filters' view: a copy of the whole data-plane view per call costs a `memcpy`.
    struct Rules: StatelessFilter {
        let filters: FlatFilters.View
        let id: UInt32

        @inline(__always) func evaluate(_ tuple: FiveTuple) -> FilterVerdict { filters.evaluate(id, tuple) }
    }
}
