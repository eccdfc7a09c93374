/// The cloud documentation's troubleshooting checklist for VPC peering, run per peering on the
/// topology at one time: the peering is Activated; CIDR blocks (and vSwitches) do not overlap;
/// blocks are RFC 1918; both VPCs route to the peer; each route's destination is the peer's
/// CIDR or a part of it; the vSwitches with instances use a table holding that route; security
/// groups and network ACLs let the peer's addresses through both ways; no route expects the
/// peering to transit to a third VPC.
///
/// Filters are judged by the compiled filters the pipeline uses (`DataPlane`), with
/// probe flows: ICMP echo, TCP 22, 80 and 443, and the TCP/UDP ports the receiver's security
/// groups accept. A direction passes when at least one probe gets through.
public struct TopologyDoctor: Sendable {
    public let analyzer: ReachabilityAnalyzer

    public init(topology: Topology, at time: EmulatedTime = .zero) {
        analyzer = ReachabilityAnalyzer(topology: topology, at: time)
    }

    public enum DoctorError: Error, Equatable, Sendable, CustomStringConvertible {
        case unknownPeering(String, known: [String])

        public var description: String {
            switch self {
            case .unknownPeering(let name, let known):
                "the topology declares no peering named \(name)"
                    + (NameSuggestion.closest(to: name, in: known).map { ": did you mean \($0)?" } ?? "")
                    + " (peerings: \(known.isEmpty ? "none" : known.joined(separator: ", ")))"
            }
        }
    }

    /// States a peering never leaves for Activated.
    static let deadStates: Set<PeeringState> = [.rejected, .expired, .deleting, .deleted]

    var state: ControlPlaneState { analyzer.state }
    var topology: Topology { analyzer.state.topology }
    var dataPlane: DataPlane { analyzer.dataPlane }
    /// The fixes' lookups (`DropReason.fix`), in this moment's planes.
    var advice: FixAdvice { FixAdvice(dataPlane: dataPlane, state: state) }

    /// Every declared peering (by name), or only `peering`.
    public func diagnose(peering: String? = nil) throws(DoctorError) -> DoctorReport {
        let names = state.declaredPeerings.keys.sorted()
        if let peering, !names.contains(peering) { throw .unknownPeering(peering, known: names) }
        let selected = names.filter { peering == nil || $0 == peering }
        return DoctorReport(time: analyzer.time, peerings: selected.compactMap { name in
            (state.peering(named: name)?.connection ?? state.declaredPeerings[name]).map(diagnose)
        })
    }

    func diagnose(_ connection: PeeringConnection) -> PeeringDiagnosis {
        let name = connection.name
        var diagnosis = PeeringDiagnosis(peering: name, requester: connection.requesterVPC, accepter: connection.accepterVPC,
                                         state: state.peering(named: name)?.state.rawValue ?? "not created", checks: [])
        guard let requester = topology.vpc(named: connection.requesterVPC), let accepter = topology.vpc(named: connection.accepterVPC) else {
            diagnosis.checks = [DoctorCheck(kind: .peeringState, status: .fail, message: "peering \(name) connects a VPC the topology does not declare",
                                            fix: "declare VPCs \(connection.requesterVPC) and \(connection.accepterVPC)")]
            return diagnosis
        }
        let sides = [(requester, accepter), (accepter, requester)]
        var checks = [stateCheck(name), overlapCheck(name, requester, accepter), privateAddressingCheck(requester, accepter)]
        // A rejected, expired or deleted peering never carries traffic again: advice on its routes
        // and filters would point at a dead connection, so only the new-peering advice of the state
        // check (and the addressing checks a new peering needs) remain.
        if let status = state.peering(named: name), Self.deadStates.contains(status.state) {
            diagnosis.checks = checks
            return diagnosis
        }
        for (local, peer) in sides { checks.append(routesCheck(name, local, peer)) }
        for (local, peer) in sides { checks += routeDestinationChecks(name, local, peer) }
        for (local, peer) in sides { checks += vswitchTableChecks(name, local, peer) }
        checks += filterChecks(.securityGroups, requester, accepter)
        checks += filterChecks(.networkACLs, requester, accepter)
        checks += nonTransitiveChecks(name, sides)
        diagnosis.checks = checks
        return diagnosis
    }

    // MARK: state and addressing

    func stateCheck(_ name: String) -> DoctorCheck {
        guard let status = state.peering(named: name) else {
            return DoctorCheck(kind: .peeringState, status: .fail, message: "\(name) is not created at \(analyzer.time.humanDescription)",
                               fix: advice.peeringFix(name, state: nil))
        }
        let since = "since \(status.stateSince.humanDescription)"
        let fix = advice.peeringFix(name, state: status.state)
        switch status.state {
        case .activated:
            return DoctorCheck(kind: .peeringState, status: .pass, message: "\(name) is Activated (\(since))")
        case .updating:
            return DoctorCheck(kind: .peeringState, status: .warn, message: "\(name) was accepted and is Updating (\(since)); it carries no traffic yet", fix: fix)
        case .accepting:
            return DoctorCheck(kind: .peeringState, status: .fail,
                               message: "\(name) is Accepting (\(since)): account \(status.accepterAccount), owner of the accepter VPC \(status.connection.accepterVPC), has not accepted it\(status.deadline.map { "; it expires at \($0.humanDescription)" } ?? "")", fix: fix)
        case .rejected, .expired, .deleting, .deleted:
            return DoctorCheck(kind: .peeringState, status: .fail,
                               message: "\(name) is \(status.state) (\(since)) and carries no traffic; its route, vSwitch-table, filter and "
                                   + "transit checks do not apply", fix: fix)
        }
    }

    func overlapCheck(_ name: String, _ requester: VPC, _ accepter: VPC) -> DoctorCheck {
        let findings = state.overlapFindings(name, requester, accepter)
        guard !findings.isEmpty else {
            return DoctorCheck(kind: .cidrOverlap, status: .pass, message: "the blocks of \(requester.name) (\(blocks(requester))) and \(accepter.name) (\(blocks(accepter))) do not overlap")
        }
        let vswitches = state.overlappingVSwitches(requester, accepter)
        let message = findings.map(\.message).joined(separator: "; ")
        if vswitches.isEmpty {
            return DoctorCheck(kind: .cidrOverlap, status: .warn, message: message,
                               fix: "route the peer's vSwitch blocks, not its whole CIDR block, to \(name) on both sides")
        }
        let pairs = vswitches.map { "\($0.0.name) and \($0.1.name)" }.joined(separator: ", ")
        return DoctorCheck(kind: .cidrOverlap, status: .fail, message: message,
                           fix: "renumber one vSwitch of each overlapping pair (\(pairs)): their addresses cannot reach each other")
    }

    func privateAddressingCheck(_ requester: VPC, _ accepter: VPC) -> DoctorCheck {
        let publicBlocks = [requester, accepter].flatMap { vpc in ([vpc.cidr] + vpc.secondaryCIDRs).filter { !$0.isPrivateIPv4 }.map { "\(vpc.name) \($0)" } }
        guard publicBlocks.isEmpty else {
            return DoctorCheck(kind: .privateAddressing, status: .warn,
                               message: "blocks outside RFC 1918 (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16): \(publicBlocks.joined(separator: ", "))",
                               fix: "use RFC 1918 blocks, or make sure neither side routes these ranges elsewhere")
        }
        return DoctorCheck(kind: .privateAddressing, status: .pass, message: "the IPv4 blocks of \(requester.name) and \(accepter.name) are RFC 1918 private blocks")
    }

    // MARK: routes

    /// The routes of `vpc`'s tables that lead to `peering`, with their table.
    func routes(of vpc: VPC, to peering: String) -> [(table: VPCRouteTable, route: EffectiveRoute)] {
        topology.routeTables.filter { $0.vpc == vpc.name }.flatMap { table in
            state.effectiveRoutes(table: table.name).filter { $0.target == .peering(peering) }.map { (table, $0) }
        }
    }

    private func systemTable(of vpc: VPC) -> String {
        topology.routeTables.first { $0.vpc == vpc.name && $0.isSystem }?.name ?? "the route table of \(vpc.name)"
    }

    func routesCheck(_ name: String, _ local: VPC, _ peer: VPC) -> DoctorCheck {
        let found = routes(of: local, to: name)
        guard !found.isEmpty else {
            return DoctorCheck(kind: .routesToPeer, status: .fail, message: "\(local.name) has no route to peering \(name)",
                               fix: advice.checkedRoute(peer.cidr, via: .peering(name), in: systemTable(of: local),
                                                        "add a route \(peer.cidr) -> peering \(name) to \(systemTable(of: local))"))
        }
        return DoctorCheck(kind: .routesToPeer, status: .pass,
                           message: "\(local.name) routes \(found.map { "\($0.route.destination) (\($0.table.name))" }.joined(separator: ", ")) to \(name)")
    }

    func routeDestinationChecks(_ name: String, _ local: VPC, _ peer: VPC) -> [DoctorCheck] {
        routes(of: local, to: name).map { table, route in
            let subject = "\(table.name): \(route.destination) -> \(name)"
            if case .overriddenByLocalRoute(let block) = route.inactiveReason {
                return DoctorCheck(kind: .routeDestination, status: .fail, message: "\(subject) never carries traffic: the local route \(block) takes precedence",
                                   fix: "remove the route; the local route wins")
            }
            if let block = peer.allCIDRs.first(where: { $0.contains(route.destination) }) {
                return DoctorCheck(kind: .routeDestination, status: .pass, message: "\(subject) is inside \(peer.name)'s block \(block)")
            }
            let finding = state.routeFindings(table).first { $0.subject == .route(table: table.name, destination: route.destination) }
            let inside = peer.allCIDRs.filter { route.destination.contains($0) }
            let message = finding?.message ?? "\(subject) is not inside \(peer.name)'s blocks"
            return inside.isEmpty
                ? DoctorCheck(kind: .routeDestination, status: .fail, message: message,
                              fix: "change the destination to \(peer.name)'s block \(peer.cidr) or a part of it (peering never transits)")
                : DoctorCheck(kind: .routeDestination, status: .warn, message: message,
                              fix: "narrow the destination to \(inside.map(\.description).joined(separator: ", "))")
        }
    }

    /// Per vSwitch of `local` with instances: the FIB of its route table sends every address of
    /// the peer's instances to the peering (the route must be in the table of the vSwitch where
    /// the resources are, and cover them). Fails when it sends none, warns when only some.
    func vswitchTableChecks(_ name: String, _ local: VPC, _ peer: VPC) -> [DoctorCheck] {
        // A VPC without any route to the peering already fails routes-to-peer.
        guard !routes(of: local, to: name).isEmpty, let peeringID = dataPlane.peerings.firstIndex(where: { $0.name == name }) else { return [] }
        let peerInstances = topology.instances.filter { topology.vpc(ofInstance: $0.name) == peer.name }
        return topology.vswitches.enumerated().filter { $0.element.vpc == local.name }.compactMap { position, vswitch in
            let instances = topology.instances.filter { $0.vswitch == vswitch.name }.map(\.name)
            guard !instances.isEmpty else { return nil }
            let table = dataPlane.vswitchTable[position]
            let subject = "vSwitch \(vswitch.name) (\(instances.joined(separator: ", "))) uses route table \(vswitch.routeTable)"
            let missed = peerInstances.flatMap { instance in
                instance.addresses.filter { dataPlane.route(table: table, to: $0)?.target != .peering(UInt32(peeringID)) }.map { (instance.name, $0) }
            }
            guard let (firstName, firstAddress) = missed.first else {
                return DoctorCheck(kind: .vswitchRouteTable, status: .pass,
                                   message: "\(subject), which sends every instance of \(peer.name) to \(name)")
            }
            // Some instances reached: deliberate partial routing is possible (a warning); none: a failure.
            let reachedSome = missed.count < peerInstances.reduce(0) { $0 + $1.addresses.count }
            let block = advice.destinationBlock(firstAddress, in: peer)
            return DoctorCheck(kind: .vswitchRouteTable, status: reachedSome ? .warn : .fail,
                               message: "\(subject), which does not send \(missed.map { "\($0.0) (\($0.1))" }.joined(separator: ", ")) to \(name)",
                               fix: advice.checkedRoute(block, via: .peering(name), in: vswitch.routeTable,
                                                        "add a route \(block) -> peering \(name) to \(vswitch.routeTable) (for \(firstName))"))
        }
    }

    /// Instance pairs of the two ends of a peering (`local`, `peer`) whose route sends a third
    /// VPC's addresses to the peering: the peer VPC never forwards them.
    func nonTransitiveChecks(_ name: String, _ sides: [(VPC, VPC)]) -> [DoctorCheck] {
        var checks: [DoctorCheck] = []
        for (local, peer) in sides {
            for (table, route) in routes(of: local, to: name) where !peer.allCIDRs.contains(where: { $0.contains(route.destination) }) {
                let sources = topology.instances.filter { topology.vswitch(named: $0.vswitch)?.routeTable == table.name }
                for third in topology.vpcs where third.name != local.name && third.name != peer.name
                    && third.allCIDRs.contains(where: { $0.overlaps(route.destination) }) {
                    let targets = topology.instances.filter { topology.vpc(ofInstance: $0.name) == third.name }.compactMap { instance in
                        instance.addresses.first { route.destination.contains($0) }.map { (instance, $0) }
                    }
                    for source in sources { for (target, address) in targets {
                        let block = advice.destinationBlock(address, in: third)
                        checks.append(DoctorCheck(
                            kind: .nonTransitive, status: .fail,
                            message: "\(source.name) -> \(target.name): \(table.name) sends \(route.destination) to \(name), but \(peer.name) does not forward to \(third.name) (peering does not transit)",
                            fix: advice.checkedRoute(block, via: nil, in: table.name,
                                                     "create a peering between \(local.name) and \(third.name) and route \(block) to it in \(table.name)")))
                    } }
                }
            }
        }
        return checks.isEmpty
            ? [DoctorCheck(kind: .nonTransitive, status: .pass, message: "no route expects \(name) to reach a third VPC")] : checks
    }

    private func blocks(_ vpc: VPC) -> String { vpc.allCIDRs.map(\.description).joined(separator: ", ") }
}
