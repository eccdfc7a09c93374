/// The data plane: everything a packet's walk (`Walk`, docs/forwarding.md) reads, for the
/// forwarding pipeline's packets and the reachability analyzer's flows alike, compiled from a
/// `ControlPlaneState` and indexed by small integers.
///
/// It has two faces over the same facts:
/// - the compiled objects, with names, for describing what happened (`DropReason.describe`,
///   the analyzer's hops): one FIB per route table, compiled from its installed effective routes
///   (routes to a peering that is not Activated stay installed: the walk drops their packets with
///   the peering's state, as the cloud does); per instance, its security groups compiled for each
///   direction; per vSwitch, its network ACL compiled for each direction (nil: no ACL bound,
///   everything passes); per peering, its state, bandwidth and one-way latencies; per VPC, a
///   host table from address to instance, and one global table attributing a source address;
/// - the same facts in flat arrays of plain values (`View`), which the walk reads through unsafe
///   buffers entered once per run of packets: filters packed in `FlatFilters`, the FIBs pooled in
///   `FIBPool`, the host tables in `HostTablePool`. Reading the compiled objects' nested arrays
///   from the pipeline's mutating walk made Swift copy each element it touched (about 18
///   retain/release pairs per packet); through the view's buffers the walk reads in place.
///
/// `apply(_:from:)` recompiles exactly the objects an event changed, then rebuilds the flat
/// arrays; the host tables and `--bind` blocks never change with events.
public struct DataPlane: Sendable {
    /// Where an installed route sends a packet; ids index the arrays of this structure.
    public enum Target: Hashable, Sendable {
        case local
        case peering(UInt32)
        case instance(UInt32)
        case blackhole
        /// Out of the modelled network (`externals` indexes the gateway).
        case external(UInt32)
    }

    /// A FIB result: the route's position in its table's `routes` (for reporting which entry
    /// was used) and its target.
    public struct RouteSlot: Hashable, Sendable {
        public var route: UInt32
        public var target: Target
    }

    public struct Table: Sendable {
        public var name: String
        public var vpc: UInt32
        /// The effective routes the FIB was built from; `RouteSlot.route` indexes this.
        public var routes: [EffectiveRoute]
        public var fib: CompiledRouteTable<RouteSlot>
    }

    public struct Peering: Sendable {
        public var name: String
        public var requesterVPC: UInt32
        public var accepterVPC: UInt32
        /// nil until the peering is created.
        public var state: PeeringState?
        public var isInterRegion: Bool
        /// Mbit/s for inter-region peerings, nil when unlimited.
        public var bandwidthMbps: Int?
        public var linkType: InterRegionLinkType?
        public var burstBytes: Int?
        /// One-way latency from the requester to the accepter and back.
        public var latencyForward: EmulatedDuration
        public var latencyReverse: EmulatedDuration

        /// The other end of the peering seen from `vpc` (UInt32.max when `vpc` is not an end).
        @inlinable public func peer(of vpc: UInt32) -> UInt32 {
            vpc == requesterVPC ? accepterVPC : (vpc == accepterVPC ? requesterVPC : .max)
        }
    }

    public struct InstanceFilters: Sendable {
        public var ingress: SecurityGroupFilter
        public var egress: SecurityGroupFilter
    }

    public struct ACLFilters: Sendable {
        public var ingress: NetworkACLFilter
        public var egress: NetworkACLFilter
    }

    /// Marks an address that several instances use (in overlapping VPCs) in `sourceOwners`.
    public static let ambiguousOwner = UInt32.max

    public let vpcNames: [String]
    public let vswitchNames: [String]
    public let instanceNames: [String]
    /// Per vSwitch: its VPC and route table.
    public let vswitchVPC: [UInt32]
    public private(set) var vswitchTable: [UInt32]
    /// Per instance: its vSwitch.
    public let instanceVSwitch: [UInt32]
    public private(set) var tables: [Table]
    public private(set) var peerings: [Peering]
    /// Per instance; nil when its security groups failed to compile (see `compileErrors`).
    public private(set) var instanceFilters: [InstanceFilters?]
    public private(set) var vswitchFilters: [ACLFilters?]
    /// Per VPC: address -> instance id.
    public let hosts: [CompiledRouteTable<UInt32>]
    /// Address -> instance id over all VPCs (`ambiguousOwner` when several VPCs use it).
    public let sourceOwners: CompiledRouteTable<UInt32>
    /// Security-group or ACL compile problems (none for a validated topology).
    public private(set) var compileErrors: [String] = []

    /// Per VPC: its system route table, which decides whether a destination is local there.
    public let systemTables: ContiguousArray<UInt32>
    /// One-way latency within a region (`settings.intra_region_latency`), ns.
    public let intraRegionLatency: Int64

    private let peeringIDs: [String: UInt32]
    /// Every gateway outside the model that a route of the file or its timeline names, in order of first mention.
    public let externals: [ExternalGateway]
    private let externalIDs: [ExternalGateway: UInt32]
    private let tableIDs: [String: UInt32]

    // The flat form (`View`).
    private var instanceEntries: ContiguousArray<InstanceEntry> = []
    private var vswitchEntries: ContiguousArray<VSwitchEntry> = []
    private var peeringEntries: ContiguousArray<PeeringEntry> = []
    private var flatFilters = FlatFilters()
    private var routePool: FIBPool<RouteSlot>
    /// `hosts` and `sourceOwners` as exact-match tables.
    private let hostPool: HostTablePool
    private let ownerPool: HostTablePool
    /// The `--bind` blocks (a pool of none or one table), tried before `sourceOwners`.
    private let bindingPool: FIBPool<UInt32>
    /// Per VPC: its CIDR blocks, to tell an address the VPC owns but no vSwitch holds.
    private let blockPool: FIBPool<UInt32>

    /// `bindings`: source blocks attributed to an instance whatever the topology says
    /// (`replay --bind`, ping's source), longest match first.
    public init(_ state: ControlPlaneState, bindings: RouteTable<UInt32> = RouteTable()) {
        let topology = state.topology
        let index = state.index
        vpcNames = topology.vpcs.map(\.name)
        vswitchNames = topology.vswitches.map(\.name)
        instanceNames = topology.instances.map(\.name)
        vswitchVPC = topology.vswitches.map { UInt32(index.vpcs[$0.vpc] ?? 0) }
        vswitchTable = topology.vswitches.map { UInt32(index.routeTables[$0.routeTable] ?? 0) }
        instanceVSwitch = topology.instances.map { UInt32(index.vswitches[$0.vswitch] ?? 0) }
        tableIDs = index.routeTables.mapValues(UInt32.init)

        // Every peering the file declares gets an id up front, so routes can name peerings
        // created later in the timeline.
        let declared = state.declaredPeerings.sorted { $0.key < $1.key }
        peeringIDs = Dictionary(uniqueKeysWithValues: declared.enumerated().map { ($1.key, UInt32($0)) })
        var gateways: [ExternalGateway] = []
        var gatewayIDs: [ExternalGateway: UInt32] = [:]
        let routes = topology.routeTables.flatMap(\.routes) + topology.timeline.compactMap {
            if case .addRoute(_, let route) = $0.action { route } else { nil }
        }
        for route in routes {
            if case .external(let gateway) = route.nextHop, gatewayIDs[gateway] == nil {
                gatewayIDs[gateway] = UInt32(gateways.count)
                gateways.append(gateway)
            }
        }
        externals = gateways
        externalIDs = gatewayIDs
        peerings = declared.map { name, connection in
            Self.peering(connection, status: state.peering(named: name), topology: topology, index: index)
        }

        var hostTables = Array(repeating: RouteTable<UInt32>(), count: topology.vpcs.count)
        var owners = RouteTable<UInt32>()
        for (id, instance) in topology.instances.enumerated() {
            guard let vswitch = index.vswitches[instance.vswitch], let vpc = index.vpcs[topology.vswitches[vswitch].vpc] else { continue }
            for address in instance.addresses {
                let host = IPNetwork(address: address, prefixLength: address.family.bitWidth)
                hostTables[vpc].insert(host, nextHop: UInt32(id))
                let previous = owners.insert(host, nextHop: UInt32(id))
                if previous != nil { owners.insert(host, nextHop: Self.ambiguousOwner) }
            }
        }
        hosts = hostTables.map { $0.build() }
        sourceOwners = owners.build()
        let candidates = topology.instances.flatMap(\.addresses)
        hostPool = HostTablePool(hosts, candidates: candidates)
        ownerPool = HostTablePool([sourceOwners], candidates: candidates)
        bindingPool = FIBPool(bindings.count == 0 ? [] : [bindings.build()])
        blockPool = FIBPool(topology.vpcs.map { vpc in
            var blocks = RouteTable<UInt32>()
            for block in vpc.allCIDRs { blocks.insert(block, nextHop: 0) }
            return blocks.build()
        })
        intraRegionLatency = topology.settings.intraRegionLatency.nanoseconds
        routePool = FIBPool([])
        // `tables` is compiled in the order of `topology.routeTables`.
        systemTables = ContiguousArray(topology.vpcs.map { vpc in
            UInt32(topology.routeTables.firstIndex { $0.isSystem && $0.vpc == vpc.name } ?? 0)
        })

        tables = []
        instanceFilters = []
        vswitchFilters = []
        tables = topology.routeTables.map { compileTable($0.name, state) }
        let members = Self.members(topology)
        instanceFilters = topology.instances.map { compileInstance($0, topology, members) }
        vswitchFilters = topology.vswitches.map { compileACL($0, topology) }
        rebuildView()
    }

    // MARK: updates

    /// Rebuilds what `changes` touched, reading the new model from `state`.
    public mutating func apply(_ changes: [ControlPlaneChange], from state: ControlPlaneState) {
        let topology = state.topology
        var members: [String: [IPAddress]]?
        var staleTables: Set<Int> = []
        for change in changes {
            switch change {
            case .peeringState(let name, _, _), .peeringModified(let name):
                guard let id = peeringIDs[name], let status = state.peering(named: name) else { continue }
                peerings[Int(id)] = Self.peering(status.connection, status: status, topology: topology, index: state.index)
                // The FIB is unchanged (routes stay installed whatever the state), but the
                // tables' route lists report the state as their inactive reason.
                for (table, compiled) in tables.enumerated() where compiled.routes.contains(where: { $0.target == .peering(name) }) {
                    staleTables.insert(table)
                }
            case .routeTable(let name):
                if let id = tableIDs[name] { staleTables.insert(Int(id)) }
            case .securityGroup(let group):
                let groupMembers = members ?? Self.members(topology)
                members = groupMembers
                for (id, instance) in topology.instances.enumerated() where instance.securityGroups.contains(group) {
                    instanceFilters[id] = compileInstance(instance, topology, groupMembers)
                }
            case .networkACL(let acl):
                for (id, vswitch) in topology.vswitches.enumerated() where vswitch.networkACL == acl {
                    vswitchFilters[id] = compileACL(vswitch, topology)
                }
            }
        }
        for table in staleTables.sorted() { tables[table] = compileTable(tables[table].name, state) }
        if !changes.isEmpty { rebuildView() }
    }

    /// The flat arrays, from the compiled objects.
    private mutating func rebuildView() {
        flatFilters = FlatFilters()
        instanceEntries = []
        for (instance, groups) in instanceFilters.enumerated() {
            var entry = InstanceEntry(vswitch: instanceVSwitch[instance], egressFilter: Self.noFilter, ingressFilter: Self.noFilter)
            if let groups {
                entry.egressFilter = flatFilters.add(groups.egress.filter)
                entry.ingressFilter = flatFilters.add(groups.ingress.filter)
            }
            instanceEntries.append(entry)
        }
        vswitchEntries = []
        for (vswitch, acl) in vswitchFilters.enumerated() {
            var entry = VSwitchEntry(vpc: vswitchVPC[vswitch], table: vswitchTable[vswitch], egressACL: Self.noFilter, ingressACL: Self.noFilter)
            if let acl {
                entry.egressACL = flatFilters.add(acl.egress.filter)
                entry.ingressACL = flatFilters.add(acl.ingress.filter)
            }
            vswitchEntries.append(entry)
        }
        peeringEntries = ContiguousArray(peerings.map {
            PeeringEntry(requesterVPC: $0.requesterVPC, accepterVPC: $0.accepterVPC, state: $0.state,
                         latencyForward: $0.latencyForward.nanoseconds, latencyReverse: $0.latencyReverse.nanoseconds)
        })
        routePool = FIBPool(tables.map(\.fib))
    }

    // MARK: compiling

    static func peering(_ connection: PeeringConnection, status: PeeringStatus?, topology: Topology, index: TopologyIndex) -> Peering {
        let requester = index.vpcs[connection.requesterVPC].map { topology.vpcs[$0] }
        let accepter = index.vpcs[connection.accepterVPC].map { topology.vpcs[$0] }
        let from = requester?.region ?? "", to = accepter?.region ?? ""
        let fallback = topology.settings.intraRegionLatency
        return Peering(name: connection.name,
                       requesterVPC: UInt32(index.vpcs[connection.requesterVPC] ?? 0),
                       accepterVPC: UInt32(index.vpcs[connection.accepterVPC] ?? 0),
                       state: status?.state, isInterRegion: from != to,
                       bandwidthMbps: status?.bandwidthMbps, linkType: status?.linkType,
                       burstBytes: from != to ? connection.burstBytes : nil,
                       latencyForward: topology.latency(from: from, to: to) ?? fallback,
                       latencyReverse: topology.latency(from: to, to: from) ?? fallback)
    }

    func compileTable(_ name: String, _ state: ControlPlaneState) -> Table {
        let routes = state.effectiveRoutes(table: name)
        var table = RouteTable<RouteSlot>()
        // System routes come first, so a custom route with the same destination (possible
        // only where the profile makes it inactive) never replaces one.
        for (position, route) in routes.enumerated() where route.isInstalled && table.exactMatch(route.destination) == nil {
            let target: Target = switch route.target {
            case .local: .local
            case .peering(let peering): .peering(peeringIDs[peering] ?? .max)
            case .instance(let instance): .instance(UInt32(state.index.instances[instance] ?? 0))
            case .blackhole: .blackhole
            case .external(let gateway): .external(externalIDs[gateway] ?? .max)
            }
            table.insert(route.destination, nextHop: RouteSlot(route: UInt32(position), target: target))
        }
        let vpc = state.index.routeTables[name].map { state.topology.routeTables[$0].vpc } ?? ""
        return Table(name: name, vpc: UInt32(state.index.vpcs[vpc] ?? 0), routes: routes, fib: table.build())
    }

    /// Member addresses of every security group (an empty list for groups without members).
    static func members(_ topology: Topology) -> [String: [IPAddress]] {
        var members = Dictionary(uniqueKeysWithValues: topology.securityGroups.map { ($0.name, [IPAddress]()) })
        for instance in topology.instances {
            for group in instance.securityGroups { members[group, default: []] += instance.addresses }
        }
        return members
    }

    /// nil (and a compile error) when the groups do not compile; the pipeline then drops the
    /// instance's traffic rather than guess.
    mutating func compileInstance(_ instance: Instance, _ topology: Topology, _ members: [String: [IPAddress]]) -> InstanceFilters? {
        let groups = instance.securityGroups.compactMap { name in topology.securityGroups.first { $0.name == name } }
        do {
            return InstanceFilters(ingress: try SecurityGroupFilter(groups: groups, direction: .ingress, members: members),
                                   egress: try SecurityGroupFilter(groups: groups, direction: .egress, members: members))
        } catch {
            compileErrors.append("instance \(instance.name): \(error)")
            return nil
        }
    }

    func compileACL(_ vswitch: VSwitch, _ topology: Topology) -> ACLFilters? {
        guard let name = vswitch.networkACL, let acl = topology.networkACLs.first(where: { $0.name == name }) else { return nil }
        return ACLFilters(ingress: NetworkACLFilter(acl, direction: .ingress), egress: NetworkACLFilter(acl, direction: .egress))
    }

    // MARK: the flat form

    /// A missing filter id: no ACL bound (everything passes), or security groups that failed to
    /// compile (the instance's traffic is dropped).
    static let noFilter = UInt32.max

    struct InstanceEntry {
        var vswitch: UInt32
        var egressFilter: UInt32
        var ingressFilter: UInt32
    }

    struct VSwitchEntry {
        var vpc: UInt32
        var table: UInt32
        var egressACL: UInt32
        var ingressACL: UInt32
    }

    struct PeeringEntry {
        var requesterVPC: UInt32
        var accepterVPC: UInt32
        var state: PeeringState?
        var latencyForward: Int64
        var latencyReverse: Int64
    }

    /// The flat form as unsafe buffers, valid only inside `withView`'s body.
    struct View {
        let instances: UnsafeBufferPointer<InstanceEntry>
        let vswitches: UnsafeBufferPointer<VSwitchEntry>
        let peerings: UnsafeBufferPointer<PeeringEntry>
        /// Per VPC: its system route table.
        let systemTables: UnsafeBufferPointer<UInt32>
        let filters: FlatFilters.View
        let routes: FIBPool<RouteSlot>.View
        let hosts: HostTablePool.View
        let owners: HostTablePool.View
        let bindings: FIBPool<UInt32>.View
        /// Per VPC: its CIDR blocks.
        let vpcBlocks: FIBPool<UInt32>.View
        let intraRegionLatency: Int64

        /// The instance `address` is attributed to (possibly `DataPlane.ambiguousOwner`).
        @inline(__always)
        func owner(of address: IPAddress) -> UInt32? {
            if bindings.entries.count != 0, let bound = bindings.lookup(0, address) { return bound }
            for table in owners.tables.indices {
                if let owner = owners.lookup(table, address) { return owner }
            }
            return nil
        }

        /// The route `table` takes to `address`.
        @inline(__always)
        func route(_ table: UInt32, to address: IPAddress) -> RouteSlot? {
            routes.lookup(Int(table), address)
        }

        /// The instance of `vpc` that owns `address`.
        @inline(__always)
        func instance(in vpc: UInt32, owning address: IPAddress) -> UInt32? {
            hosts.lookup(Int(vpc), address)
        }

        /// Whether a CIDR block of `vpc` holds `address`.
        @inline(__always)
        func vpc(_ vpc: UInt32, holds address: IPAddress) -> Bool {
            vpcBlocks.lookup(Int(vpc), address) != nil
        }

        /// The verdict of filter `id` (not `noFilter`) for `tuple`.
        @inline(__always)
        func evaluate(_ id: UInt32, _ tuple: FiveTuple) -> FilterVerdict { filters.evaluate(id, tuple) }
    }

    func withView<R>(_ body: (View) throws -> R) rethrows -> R {
        try instanceEntries.withUnsafeBufferPointer { instances in
            try vswitchEntries.withUnsafeBufferPointer { vswitches in
                try peeringEntries.withUnsafeBufferPointer { peerings in
                    try systemTables.withUnsafeBufferPointer { systemTables in
                        try flatFilters.withView { filters in
                            try routePool.withView { routes in
                                try hostPool.withView { hosts in
                                    try ownerPool.withView { owners in
                                        try bindingPool.withView { bindings in
                                            try blockPool.withView { blocks in
                                                try body(View(instances: instances, vswitches: vswitches, peerings: peerings,
                                                              systemTables: systemTables, filters: filters, routes: routes, hosts: hosts,
                                                              owners: owners, bindings: bindings, vpcBlocks: blocks,
                                                              intraRegionLatency: intraRegionLatency))
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    // MARK: lookups

    // Not @inlinable: CompiledRouteTable is generic, and an inlined call from another module
    // would run it unspecialised; inside VPCEmu whole-module optimisation specialises it.

    /// The route taken from `table` to `address`, nil when there is none.
    public func route(table: UInt32, to address: IPAddress) -> RouteSlot? {
        tables[Int(table)].fib.lookup(address)
    }

    /// The instance of `vpc` that owns `address`.
    public func instance(in vpc: UInt32, owning address: IPAddress) -> UInt32? {
        hosts[Int(vpc)].lookup(address)
    }
}
