/// Stages 3 and 8: the stateless network ACL of a vSwitch, egress at the sender's and ingress at
/// the receiver's; a vSwitch with no ACL bound passes everything (and reports nothing).
enum NetworkACLStage {
    @inline(__always)
    static func run<L: FlowLookups, O: WalkObserver>(_ direction: TrafficDirection, vswitch: UInt32, _ tuple: FiveTuple,
                                                     _ lookups: L, _ observer: inout O) -> StageResult {
        let entry = lookups.plane.vswitches[Int(vswitch)]
        let acl = direction == .egress ? entry.egressACL : entry.ingressACL
        guard acl != DataPlane.noFilter else { return .proceed }
        let verdict = lookups.acl(direction, acl, tuple)
        let result: StageResult = verdict.policy == .accept ? .proceed
            : .drop(.aclDenied(direction, vswitch: vswitch, decider: verdict.decider))
        observer.networkACL(direction, of: vswitch, verdict: verdict, result)
        return result
    }
}
