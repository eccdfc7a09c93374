/// One row of a route table as it stands at some time: system routes derived from the VPC, and
/// custom routes with whether they carry traffic and why not.
public struct EffectiveRoute: Sendable, Hashable {
    public enum Origin: String, Sendable, Hashable {
        case system
        case custom
    }

    public enum Target: Sendable, Hashable, CustomStringConvertible {
        /// Delivered inside the VPC; `vswitch` names the vSwitch of an Alibaba system route.
        case local(vswitch: String?)
        case peering(String)
        case instance(String)
        case blackhole
        case external(ExternalGateway)

        public var description: String {
            switch self {
            case .local(let vswitch): vswitch.map { "local (vSwitch \($0))" } ?? "local"
            case .peering(let name): "peering \(name)"
            case .instance(let name): "instance \(name)"
            case .blackhole: "blackhole"
            case .external(let gateway): "external \(gateway)"
            }
        }
    }

    public var destination: IPNetwork
    public var origin: Origin
    public var target: Target
    /// nil when the route carries traffic.
    public var inactiveReason: RouteInactiveReason?

    public var isActive: Bool { inactiveReason == nil }

    /// Whether the route is in the forwarding table. A route to a peering that is not Activated
    /// stays there (packets that match it are dropped with the peering's state); a route the
    /// local route overrides is not.
    public var isInstalled: Bool {
        switch inactiveReason {
        case nil, .peeringNotActive, .peeringNotCreated: true
        case .overriddenByLocalRoute: false
        }
    }

    var localVSwitch: String? {
        if case .local(let vswitch) = target { vswitch } else { nil }
    }
}

public enum RouteInactiveReason: Sendable, Hashable, CustomStringConvertible {
    case peeringNotActive(String, PeeringState)
    case peeringNotCreated(String)
    /// AWS: the local route wins ties and cannot be overridden by a more specific route to a peering.
    case overriddenByLocalRoute(IPNetwork)

    public var description: String {
        switch self {
        case .peeringNotActive(let name, let state): "peering \(name) is \(state), not Activated"
        case .peeringNotCreated(let name): "peering \(name) does not exist yet"
        case .overriddenByLocalRoute(let local): "the local route \(local) takes precedence"
        }
    }
}

extension ControlPlaneState {
    /// System routes of a VPC, in the order they appear in every one of its route tables:
    /// Alibaba Cloud adds one per vSwitch CIDR block (IPv4 and IPv6), AWS one local route per
    /// VPC CIDR block.
    public func systemRoutes(vpc name: String) -> [EffectiveRoute] {
        switch topology.profile {
        case .alibaba:
            (index.vswitchesByVPC[name] ?? []).map { topology.vswitches[$0] }.flatMap { vswitch in
                vswitch.allCIDRs.map { EffectiveRoute(destination: $0, origin: .system, target: .local(vswitch: vswitch.name)) }
            }
        case .aws:
            (vpc(named: name)?.allCIDRs ?? []).map {
                EffectiveRoute(destination: $0, origin: .system, target: .local(vswitch: nil))
            }
        }
    }

    /// Every route of a table at the current time: system routes first, then custom routes in
    /// the order they were added. Empty for an unknown table.
    public func effectiveRoutes(table name: String) -> [EffectiveRoute] {
        guard let position = index.routeTables[name] else { return [] }
        let table = topology.routeTables[position]
        let system = systemRoutes(vpc: table.vpc)
        let custom = table.routes.map { entry in
            var route = EffectiveRoute(destination: entry.destination, origin: .custom, target: .blackhole)
            switch entry.nextHop {
            case .peering(let peering):
                route.target = .peering(peering)
                if let status = self.peering(named: peering) {
                    if !status.state.carriesTraffic { route.inactiveReason = .peeringNotActive(peering, status.state) }
                } else {
                    route.inactiveReason = .peeringNotCreated(peering)
                }
            case .instance(let instance):
                route.target = .instance(instance)
            case .blackhole:
                break
            case .external(let gateway):
                route.target = .external(gateway)
            }
            if topology.profile == .aws, let local = system.first(where: { overridesCustomRoute(local: $0.destination, entry) }) {
                route.inactiveReason = .overriddenByLocalRoute(local.destination)
            }
            return route
        }
        return system + custom
    }

    /// AWS: the local route wins a tie with any route, and a more specific route to a peering
    /// does not override it (only middlebox routes to an instance may be more specific).
    private func overridesCustomRoute(local: IPNetwork, _ entry: RouteEntry) -> Bool {
        if local == entry.destination { return true }
        if case .peering = entry.nextHop { return local.contains(entry.destination) }
        return false
    }

    /// The route a packet to `address` takes in `table`: the longest installed prefix, system
    /// routes winning ties. This linear scan is the reference the compiled FIB is tested against.
    public func lookupRoute(_ address: IPAddress, table: String) -> EffectiveRoute? {
        Self.longestMatch(address, in: effectiveRoutes(table: table))
    }

    /// The longest installed route of `routes` containing `address`; the first one wins ties.
    public static func longestMatch(_ address: IPAddress, in routes: [EffectiveRoute]) -> EffectiveRoute? {
        var best: EffectiveRoute?
        for route in routes where route.isInstalled && route.destination.contains(address) {
            if let current = best, current.destination.prefixLength >= route.destination.prefixLength { continue }
            best = route
        }
        return best
    }
}
