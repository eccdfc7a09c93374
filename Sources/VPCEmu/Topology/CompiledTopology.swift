/// The data-plane form of a `ControlPlaneState`: everything the forwarding pipeline reads per
/// packet, indexed by small integers, with no names or dictionaries on the lookup path.
///
/// - one FIB per route table, compiled from its installed effective routes (routes to a
///   peering that is not Activated stay installed: the pipeline drops their packets with the
///   peering's state, as the cloud does);
/// - per instance, its security groups compiled for each direction; per vSwitch, its network
///   ACL compiled for each direction (nil: no ACL bound, everything passes);
/// - per peering, its state, bandwidth and one-way latencies, updated in place;
/// - per VPC, a host table from address to instance for local delivery, and one global table
///   for attributing a packet to its source instance.
///
/// `apply(_:from:)` rebuilds exactly the parts an event changed.
public struct CompiledTopology: Sendable {
    /// Where an installed route sends a packet; ids index the arrays of this structure.
    public enum Target: Hashable, Sendable {
        case local
        case peering(UInt32)
        case instance(UInt32)
        case blackhole
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

    private let peeringIDs: [String: UInt32]
    private let tableIDs: [String: UInt32]

    public init(_ state: ControlPlaneState) {
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

        tables = []
        instanceFilters = []
        vswitchFilters = []
        tables = topology.routeTables.map { compileTable($0.name, state) }
        let members = Self.members(topology)
        instanceFilters = topology.instances.map { compileInstance($0, topology, members) }
        vswitchFilters = topology.vswitches.map { compileACL($0, topology) }
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
            // Until the walk learns the external disposition, a packet leaving the model stops here.
            case .external: .blackhole
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
