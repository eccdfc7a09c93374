/// The doctor's security-group and network-ACL checks: for each instance pair across the
/// peering, in both directions, probe flows go through the compiled filters the pipeline uses.
extension TopologyDoctor {
    func filterChecks(_ kind: DoctorCheck.Kind, _ requester: VPC, _ accepter: VPC) -> [DoctorCheck] {
        let left = instances(in: requester), right = instances(in: accepter)
        if kind == .networkACLs, !(left + right).contains(where: { dataPlane.vswitchFilters[Int(dataPlane.instanceVSwitch[Int($0)])] != nil }) {
            return [DoctorCheck(kind: kind, status: .pass, message: "no network ACL is bound to the vSwitches of the instances of \(requester.name) and \(accepter.name)")]
        }
        var checks: [DoctorCheck] = []
        for (senders, receivers) in [(left, right), (right, left)] {
            for sender in senders { for receiver in receivers {
                if let check = pairCheck(kind, sender, receiver) { checks.append(check) }
            } }
        }
        return checks.isEmpty
            ? [DoctorCheck(kind: kind, status: .pass, message: "no instance pair of \(requester.name) and \(accepter.name) shares an address family")] : checks
    }

    private func instances(in vpc: VPC) -> [UInt32] {
        guard let id = dataPlane.vpcNames.firstIndex(of: vpc.name) else { return [] }
        return dataPlane.instanceNames.indices.map(UInt32.init).filter { dataPlane.vswitchVPC[Int(dataPlane.instanceVSwitch[Int($0)])] == UInt32(id) }
    }

    /// nil when the two instances share no address family.
    private func pairCheck(_ kind: DoctorCheck.Kind, _ sender: UInt32, _ receiver: UInt32) -> DoctorCheck? {
        let from = topology.instances[Int(sender)], to = topology.instances[Int(receiver)]
        var allowedByFamily: [String] = []
        for family in [AddressFamily.ipv4, .ipv6] {
            guard let source = from.addresses.first(where: { $0.family == family }),
                  let destination = to.addresses.first(where: { $0.family == family }) else { continue }
            let probes = probeFlows(source, destination, receiver: to)
            let denials = probes.map { denial(kind, $0, sender, receiver) }
            let allowed = zip(probes, denials).filter { $0.1 == nil }.map(\.0)
            if allowed.isEmpty, let first = probes.first, let (reason, tuple) = denials[0] {
                let tried = probes.map(probeName).joined(separator: ", ")
                return DoctorCheck(kind: kind, status: .fail,
                                   message: "\(from.name) -> \(to.name) (\(family)): none of \(tried) gets through; \(probeName(first)): \(reason.describe(in: dataPlane))",
                                   fix: reason.fix(for: tuple, in: dataPlane, state: state))
            }
            allowedByFamily.append("\(allowed.map(probeName).joined(separator: ", "))\(family == .ipv6 ? " (IPv6)" : "")")
        }
        guard !allowedByFamily.isEmpty else { return nil }
        let what = kind == .networkACLs ? "network ACLs pass (request and reply)" : "security groups allow"
        return DoctorCheck(kind: kind, status: .pass, message: "\(from.name) -> \(to.name): \(what) \(allowedByFamily.joined(separator: "; "))")
    }

    /// ICMP echo; TCP 22, 80 and 443; and the first port of each TCP or UDP rule by which the
    /// receiver's security groups accept ingress traffic.
    private func probeFlows(_ source: IPAddress, _ destination: IPAddress, receiver: Instance) -> [ReachabilityFlow] {
        var ports: [(ReachabilityFlow.FlowProtocol, UInt16)] = [(.tcp, 22), (.tcp, 80), (.tcp, 443)]
        for group in topology.securityGroups where receiver.securityGroups.contains(group.name) {
            for rule in group.rules where rule.direction == .ingress && rule.policy == .accept && rule.ipProtocol.hasPorts {
                let probe: (ReachabilityFlow.FlowProtocol, UInt16) = (rule.ipProtocol == .tcp ? .tcp : .udp, max(1, rule.ports.lower))
                if !ports.contains(where: { $0 == probe }) { ports.append(probe) }
            }
        }
        let icmp: ReachabilityFlow.FlowProtocol = source.family == .ipv4 ? .icmp : .icmpv6
        return [try? ReachabilityFlow(source: source, destination: destination, ipProtocol: icmp)].compactMap { $0 }
            + ports.compactMap { try? ReachabilityFlow(source: source, destination: destination, ipProtocol: $0.0, destinationPort: $0.1) }
    }

    private func probeName(_ flow: ReachabilityFlow) -> String {
        flow.ipProtocol.hasPorts ? "\(flow.ipProtocol.rawValue) \(flow.destinationPort)" : flow.ipProtocol.rawValue
    }

    /// The first filter that stops `flow` from `sender` to `receiver`: for security groups the
    /// sender's egress and the receiver's ingress (stateful: the reply is let through); for
    /// network ACLs also the reply through the receiver's egress and the sender's ingress.
    private func denial(_ kind: DoctorCheck.Kind, _ flow: ReachabilityFlow, _ sender: UInt32, _ receiver: UInt32) -> (DropReason, FiveTuple)? {
        let request = flow.tuple(reply: false), reply = flow.tuple(reply: true)
        if kind == .securityGroups {
            for (instance, direction) in [(sender, TrafficDirection.egress), (receiver, .ingress)] {
                guard let filters = dataPlane.instanceFilters[Int(instance)] else { return (.securityGroupUnavailable(instance: instance), request) }
                let verdict = (direction == .egress ? filters.egress : filters.ingress).evaluate(request)
                if verdict.policy != .accept { return (.securityGroupDenied(direction, instance: instance, decider: verdict.decider), request) }
            }
            return nil
        }
        let senderVSwitch = dataPlane.instanceVSwitch[Int(sender)], receiverVSwitch = dataPlane.instanceVSwitch[Int(receiver)]
        let stages = [(senderVSwitch, TrafficDirection.egress, request), (receiverVSwitch, .ingress, request),
                      (receiverVSwitch, .egress, reply), (senderVSwitch, .ingress, reply)]
        for (vswitch, direction, tuple) in stages {
            guard let filters = dataPlane.vswitchFilters[Int(vswitch)] else { continue }
            let verdict = (direction == .egress ? filters.egress : filters.ingress).evaluate(tuple)
            if verdict.policy != .accept { return (.aclDenied(direction, vswitch: vswitch, decider: verdict.decider), tuple) }
        }
        return nil
    }
}
