/// Where the objects of a loaded topology were declared: field paths by object, positions by
/// path. Lets checks that run on the model (validation, prechecks, the doctor) point at the file.
public struct TopologySourceMap: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case region, account, vpc, vswitch, instance, peering, alert
        case routeTable = "route table"
        case securityGroup = "security group"
        case networkACL = "network ACL"
    }

    public var locations: [String: SourceLocation]
    public var objectPaths: [String: String]

    public init(locations: [String: SourceLocation] = [:], objectPaths: [String: String] = [:]) {
        self.locations = locations
        self.objectPaths = objectPaths
    }

    static func key(_ kind: Kind, _ name: String) -> String { "\(kind.rawValue):\(name)" }
    static func routeKey(table: String, _ destination: IPNetwork) -> String { "route:\(table):\(destination)" }
    static func ruleKey(group: String, _ id: String) -> String { "rule:\(group):\(id)" }
    static func addressKey(instance: String, _ address: IPAddress) -> String { "address:\(instance):\(address)" }

    /// The name given to a VPC's system route table when the file declares none.
    public static func implicitSystemTableName(vpc: String) -> String { "\(vpc)-system" }

    /// The field path of a named object ("" when unknown, e.g. an object built in code).
    public func path(_ kind: Kind, _ name: String) -> String { objectPaths[Self.key(kind, name)] ?? "" }
    public func routePath(table: String, _ destination: IPNetwork) -> String {
        objectPaths[Self.routeKey(table: table, destination)] ?? path(.routeTable, table)
    }
    func addressPath(instance: String, _ address: IPAddress) -> String {
        objectPaths[Self.addressKey(instance: instance, address)] ?? path(.instance, instance)
    }
    public func location(_ path: String) -> SourceLocation? { locations[path] }

    /// The position of `path`, or of its nearest enclosing field that has one (a field the
    /// decoder did not record, such as one of a duplicate declaration).
    public func nearestLocation(_ path: String) -> SourceLocation? {
        var path = Substring(path)
        while !path.isEmpty {
            if let location = locations[String(path)] { return location }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            path = path[..<cut]
        }
        return nil
    }
}

/// Name lookups over a topology, built once.
public struct TopologyIndex: Sendable {
    public let vpcs: [String: Int]
    public let vswitches: [String: Int]
    public let routeTables: [String: Int]
    public let instances: [String: Int]
    public let securityGroups: [String: Int]
    public let networkACLs: [String: Int]
    /// Positions of each VPC's vSwitches, in declaration order.
    public let vswitchesByVPC: [String: [Int]]

    public init(_ topology: Topology) {
        func positions(_ names: [String]) -> [String: Int] {
            Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        }
        vpcs = positions(topology.vpcs.map(\.name))
        vswitches = positions(topology.vswitches.map(\.name))
        routeTables = positions(topology.routeTables.map(\.name))
        instances = positions(topology.instances.map(\.name))
        securityGroups = positions(topology.securityGroups.map(\.name))
        networkACLs = positions(topology.networkACLs.map(\.name))
        vswitchesByVPC = Dictionary(grouping: topology.vswitches.indices, by: { topology.vswitches[$0].vpc })
    }
}

extension Topology {
    public func vpc(named name: String) -> VPC? { vpcs.first { $0.name == name } }
    public func vswitch(named name: String) -> VSwitch? { vswitches.first { $0.name == name } }
    public func instance(named name: String) -> Instance? { instances.first { $0.name == name } }
    public func routeTable(named name: String) -> VPCRouteTable? { routeTables.first { $0.name == name } }

    /// The VPC an instance lives in.
    public func vpc(ofInstance name: String) -> String? { instance(named: name).flatMap { vswitch(named: $0.vswitch)?.vpc } }

    /// One-way latency from one region to another: the intra-region default within a region,
    /// else the value declared on the source region, else the one declared on the other side.
    public func latency(from source: String, to destination: String) -> EmulatedDuration? {
        if source == destination { return settings.intraRegionLatency }
        let from = regions.first { $0.name == source }
        let to = regions.first { $0.name == destination }
        return from?.latencyTo[destination] ?? to?.latencyTo[source]
    }
}
