/// The documentation's prechecks for VPC peering, as findings: they do not make a topology
/// invalid (the cloud lets you create these), but traffic will not flow the way the user may
/// expect. The doctor reuses them.
public struct PrecheckFinding: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// The two VPCs of a peering have overlapping CIDR blocks.
        case overlappingCIDRs = "overlapping-cidrs"
        /// A VPC in a peering uses an IPv4 block outside RFC 1918.
        case nonRFC1918 = "non-rfc1918"
        /// A route's destination is not (or only partly) inside the VPC its peering leads to;
        /// peering never transits to a third VPC.
        case destinationNotReachable = "destination-not-reachable"
        /// AWS: a custom route that the local route overrides never carries traffic.
        case routeOverridden = "route-overridden"
    }

    public enum Subject: Sendable, Hashable {
        case peering(String)
        case vpc(String)
        case route(table: String, destination: IPNetwork)
    }

    public var kind: Kind
    public var subject: Subject
    public var message: String

    public var description: String { "[\(kind.rawValue)] \(message)" }
}

extension ControlPlaneState {
    /// Findings for every peering that exists now (not Deleted) and every custom route.
    public func precheckFindings() -> [PrecheckFinding] {
        var findings: [PrecheckFinding] = []
        var judgedVPCs: Set<String> = []
        for peering in peerings where peering.state != .deleted {
            guard let requester = vpc(named: peering.connection.requesterVPC),
                  let accepter = vpc(named: peering.connection.accepterVPC) else { continue }
            findings += overlapFindings(peering.name, requester, accepter)
            for vpc in [requester, accepter] where judgedVPCs.insert(vpc.name).inserted {
                for block in [vpc.cidr] + vpc.secondaryCIDRs where !block.isPrivateIPv4 {
                    findings.append(PrecheckFinding(kind: .nonRFC1918, subject: .vpc(vpc.name),
                                                    message: "VPC \(vpc.name) (peered by \(peering.name)) uses \(block), which is not an RFC 1918 private block (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16); check that the peer does not route this range elsewhere"))
                }
            }
        }
        for table in topology.routeTables {
            findings += routeFindings(table)
        }
        return findings
    }

    /// Overlapping blocks between two peered VPCs, with the exact shared range, and which of
    /// their vSwitches overlap: with Alibaba's system routes, non-overlapping vSwitches still
    /// reach each other through routes to the peer's vSwitch blocks.
    func overlapFindings(_ name: String, _ requester: VPC, _ accepter: VPC) -> [PrecheckFinding] {
        var findings: [PrecheckFinding] = []
        for a in requester.allCIDRs { for b in accepter.allCIDRs where a.overlaps(b) {
            let shared = a.prefixLength >= b.prefixLength ? a : b
            let vswitchPairs = overlappingVSwitches(requester, accepter).map { left, right in
                "\(left.name) (\(left.cidr)) and \(right.name) (\(right.cidr))"
            }
            let detail = vswitchPairs.isEmpty
                ? "no vSwitches overlap: route to the peer's vSwitch blocks instead of its whole CIDR"
                : "overlapping vSwitches cannot reach each other: \(vswitchPairs.joined(separator: "; "))"
            findings.append(PrecheckFinding(kind: .overlappingCIDRs, subject: .peering(name),
                                            message: "peering \(name): \(requester.name) \(a) overlaps \(accepter.name) \(b) in \(shared.rangeDescription) (\(shared)); \(detail)"))
        } }
        return findings
    }

    /// Pairs of vSwitches of the two VPCs whose blocks overlap: they cannot reach each other.
    func overlappingVSwitches(_ requester: VPC, _ accepter: VPC) -> [(VSwitch, VSwitch)] {
        topology.vswitches.filter { $0.vpc == requester.name }.flatMap { left in
            topology.vswitches.filter { $0.vpc == accepter.name }.filter { right in
                left.allCIDRs.contains { l in right.allCIDRs.contains { l.overlaps($0) } }
            }.map { (left, $0) }
        }
    }

    func routeFindings(_ table: VPCRouteTable) -> [PrecheckFinding] {
        var findings: [PrecheckFinding] = []
        for route in effectiveRoutes(table: table.name) where route.origin == .custom {
            let subject = PrecheckFinding.Subject.route(table: table.name, destination: route.destination)
            if case .overriddenByLocalRoute(let local) = route.inactiveReason {
                findings.append(PrecheckFinding(kind: .routeOverridden, subject: subject,
                                                message: "route table \(table.name): route to \(route.destination) via \(route.target) never carries traffic: the local route \(local) takes precedence"))
                continue
            }
            guard case .peering(let name) = route.target,
                  let connection = peering(named: name)?.connection ?? declaredPeerings[name],
                  let peerName = connection.requesterVPC == table.vpc ? connection.accepterVPC : connection.requesterVPC as String?,
                  let peer = vpc(named: peerName) else { continue }
            let peerBlocks = peer.allCIDRs
            if peerBlocks.contains(where: { $0.contains(route.destination) }) { continue }
            let inside = peerBlocks.filter { route.destination.contains($0) }
            let beyond = topology.vpcs.filter { $0.name != peer.name && $0.name != table.vpc }
                .filter { vpc in vpc.allCIDRs.contains { $0.overlaps(route.destination) } }.map(\.name)
            var message = "route table \(table.name): destination \(route.destination) via peering \(name) is "
            message += inside.isEmpty ? "not inside \(peer.name)'s blocks (\(peerBlocks.map(\.description).joined(separator: ", ")))"
                : "only partly inside \(peer.name) (\(inside.map(\.description).joined(separator: ", ")))"
            message += "; peering does not transit, so \(inside.isEmpty ? "such packets are" : "the rest is") dropped in \(peer.name)"
            if !beyond.isEmpty { message += " (it covers VPC \(beyond.joined(separator: ", ")), which \(peer.name) cannot forward to)" }
            findings.append(PrecheckFinding(kind: .destinationNotReachable, subject: subject, message: message))
        }
        return findings
    }
}
