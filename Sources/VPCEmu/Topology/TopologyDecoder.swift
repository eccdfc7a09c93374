import Yams

/// Turns the YAML node tree of a topology file into `Topology`, reporting every shape problem
/// (wrong type, unknown key, missing key, bad value, duplicate name) with its position. Checks
/// that need the whole topology (references, containment, control-plane rules) are done
/// afterwards by `TopologyValidator`, using the paths recorded here.
struct TopologyDecoder {
    var reader: YAMLFieldReader
    /// The field path of every named object, by `TopologySourceMap.key(kind, name)`.
    var objectPaths: [String: String] = [:]
    /// Kinds of which some declaration could not be read (a list of the wrong type, an item that
    /// is not a mapping, a missing name): references to unknown objects of these kinds are not
    /// reported, since they would only repeat the first error.
    var incompleteKinds: Set<TopologySourceMap.Kind> = []

    init(file: String) { reader = YAMLFieldReader(file: file) }

    var sourceMap: TopologySourceMap { TopologySourceMap(locations: reader.locations, objectPaths: objectPaths) }

    /// The kinds a VPC declaration contains: when a VPC cannot be read, neither can they.
    static let containedKinds: [TopologySourceMap.Kind: [TopologySourceMap.Kind]] = [
        .vpc: [.vswitch, .routeTable, .securityGroup, .networkACL],
    ]

    mutating func markIncomplete(_ kind: TopologySourceMap.Kind) {
        incompleteKinds.insert(kind)
        incompleteKinds.formUnion(Self.containedKinds[kind] ?? [])
    }

    /// The items of a list of declarations; a list of the wrong type leaves `kind` incomplete.
    mutating func declarations(_ node: Node?, _ path: String, _ kind: TopologySourceMap.Kind) -> [(node: Node, path: String)] {
        let before = reader.diagnostics.count
        let items = reader.list(node, path)
        if reader.diagnostics.count > before { markIncomplete(kind) }
        return items
    }

    /// The fields of one declaration; a node that is not a mapping leaves `kind` incomplete.
    mutating func declaration(_ node: Node, _ path: String, _ kind: TopologySourceMap.Kind, allowed: [String],
                              required: [String]) -> MappingFields? {
        let fields = reader.fields(node, path, allowed: allowed, required: required)
        if fields == nil { markIncomplete(kind) }
        return fields
    }

    /// Names end up in output file names and reports: only `TopologyLimits.isSafeName` ones.
    mutating func checkName(_ name: String, _ path: String, node: Node?) {
        guard !TopologyLimits.isSafeName(name) else { return }
        reader.error(node, path, "name not allowed", found: "'\(name)'", expected: TopologyLimits.nameRule)
    }

    /// Records a named object; a second object of the same kind and name is an error.
    mutating func register(_ kind: TopologySourceMap.Kind, _ name: String, _ path: String, node: Node?) {
        let key = TopologySourceMap.key(kind, name)
        if let first = objectPaths[key] {
            reader.error(node, path, "duplicate \(kind.rawValue) name '\(name)'", found: "a second '\(name)'",
                         expected: "a name not used before (first declared at \(first))")
        } else {
            objectPaths[key] = path
        }
    }

    /// An object written as its bare name (`regions: [cn-hangzhou]`).
    mutating func bareName(_ node: Node, _ path: String, _ kind: TopologySourceMap.Kind) -> String? {
        guard let name = reader.string(node, path, expected: "a \(kind.rawValue) name") else {
            markIncomplete(kind)
            return nil
        }
        checkName(name, path, node: node)
        register(kind, name, path, node: node)
        return name
    }

    mutating func name(_ fields: MappingFields, _ kind: TopologySourceMap.Kind) -> String? {
        guard let name = reader.string(fields["name"], fields.path("name"), expected: "a name") else {
            markIncomplete(kind)
            return nil
        }
        checkName(name, fields.path("name"), node: fields["name"])
        register(kind, name, fields.path, node: fields["name"])
        return name
    }

    // MARK: document

    static let rootKeys = ["name", "description", "profile", "settings", "regions", "accounts", "vpcs", "instances",
                           "peerings", "timeline", "alerts", "pricing"]

    mutating func decode(_ root: Node) -> Topology {
        var topology = Topology()
        guard let fields = reader.fields(root, "", allowed: Self.rootKeys, required: ["regions", "accounts", "vpcs"]) else {
            return topology
        }
        _ = reader.string(fields["name"], "name")
        _ = reader.string(fields["description"], "description")
        if let node = fields["profile"], let profile = reader.choice(node, "profile", RoutingProfile.self) {
            topology.profile = profile
        }
        if let node = fields["settings"] { topology.settings = decodeSettings(node) }
        topology.regions = declarations(fields["regions"], "regions", .region).compactMap { decodeRegion($0.node, $0.path) }
        topology.accounts = declarations(fields["accounts"], "accounts", .account).compactMap { decodeAccount($0.node, $0.path) }
        for (node, path) in declarations(fields["vpcs"], "vpcs", .vpc) { decodeVPC(node, path, into: &topology) }
        topology.instances = declarations(fields["instances"], "instances", .instance).compactMap { decodeInstance($0.node, $0.path) }
        topology.peerings = declarations(fields["peerings"], "peerings", .peering).compactMap { node, path in
            guard let peering = declaration(node, path, .peering, allowed: Self.peeringKeys, required: ["name", "requester", "accepter"]) else {
                return nil
            }
            return decodePeering(peering)
        }
        topology.timeline = reader.list(fields["timeline"], "timeline").compactMap { decodeEvent($0.node, $0.path) }
        topology.alerts = declarations(fields["alerts"], "alerts", .alert).compactMap { decodeAlert($0.node, $0.path) }
        if let node = fields["pricing"] { topology.pricing = decodePricing(node) }
        return topology
    }

    mutating func decodeSettings(_ node: Node) -> ControlPlaneSettings {
        var settings = ControlPlaneSettings()
        let keys = ["acceptance_timeout", "activation_delay", "deletion_delay", "intra_region_latency",
                    "default_inter_region_bandwidth", "default_link_type", "quotas", "connection_table"]
        guard let fields = reader.fields(node, "settings", allowed: keys) else { return settings }
        if let v = reader.duration(fields["acceptance_timeout"], "settings.acceptance_timeout") { settings.acceptanceTimeout = v }
        if let v = reader.duration(fields["activation_delay"], "settings.activation_delay") { settings.activationDelay = v }
        if let v = reader.duration(fields["deletion_delay"], "settings.deletion_delay") { settings.deletionDelay = v }
        if let v = reader.duration(fields["intra_region_latency"], "settings.intra_region_latency", likelyUnits: ("us", "ms")) { settings.intraRegionLatency = v }
        if let v = reader.int(fields["default_inter_region_bandwidth"], "settings.default_inter_region_bandwidth",
                              in: 1...1_000_000, unit: " Mbit/s") {
            settings.defaultInterRegionBandwidthMbps = v
        }
        if let v = reader.choice(fields["default_link_type"], "settings.default_link_type", InterRegionLinkType.self) {
            settings.defaultLinkType = v
        }
        if let v = reader.int(fields["connection_table"], "settings.connection_table", in: 1...ConnectionTracker.maximumCapacity,
                              unit: " connections") {
            settings.connectionTable = v
        }
        if let quotasNode = fields["quotas"] {
            let quotaKeys = ["intra_region_peerings_per_vpc", "inter_region_peerings_per_vpc",
                             "peerings_per_account_per_region", "max_inter_region_bandwidth"]
            if let quotas = reader.fields(quotasNode, "settings.quotas", allowed: quotaKeys) {
                let range = 0...1_000_000
                if let v = reader.int(quotas["intra_region_peerings_per_vpc"], quotas.path("intra_region_peerings_per_vpc"), in: range) {
                    settings.quotas.intraRegionPeeringsPerVPC = v
                }
                if let v = reader.int(quotas["inter_region_peerings_per_vpc"], quotas.path("inter_region_peerings_per_vpc"), in: range) {
                    settings.quotas.interRegionPeeringsPerVPC = v
                }
                if let v = reader.int(quotas["peerings_per_account_per_region"], quotas.path("peerings_per_account_per_region"), in: range) {
                    settings.quotas.peeringsPerAccountPerRegion = v
                }
                if let v = reader.int(quotas["max_inter_region_bandwidth"], quotas.path("max_inter_region_bandwidth"), in: 1...1_000_000,
                                      unit: " Mbit/s") {
                    settings.quotas.maxInterRegionBandwidthMbps = v
                }
            }
        }
        return settings
    }

    /// A region is a name, or a mapping with a name and one-way latencies to other regions.
    mutating func decodeRegion(_ node: Node, _ path: String) -> Region? {
        if case .scalar = node { return bareName(node, path, .region).map { Region(name: $0) } }
        guard let fields = declaration(node, path, .region, allowed: ["name", "latency"], required: ["name"]),
              let name = name(fields, .region) else { return nil }
        var region = Region(name: name)
        if let latencyNode = fields["latency"] {
            if case .mapping(let mapping) = latencyNode {
                for (key, value) in mapping {
                    guard let other = reader.string(key, fields.path("latency"), expected: "a region name") else { continue }
                    let valuePath = "\(fields.path("latency")).\(other)"
                    reader.remember(key, valuePath)
                    if let latency = reader.duration(value, valuePath, likelyUnits: ("ms", "us")) { region.latencyTo[other] = latency }
                }
            } else {
                reader.error(latencyNode, fields.path("latency"), "wrong type", found: YAMLFieldReader.describe(latencyNode),
                             expected: "a mapping from region name to one-way latency, e.g. {us-west-1: 80ms}")
            }
        }
        return region
    }

    mutating func decodeAccount(_ node: Node, _ path: String) -> Account? {
        if case .scalar = node { return bareName(node, path, .account).map(Account.init) }
        guard let fields = declaration(node, path, .account, allowed: ["name"], required: ["name"]),
              let name = name(fields, .account) else { return nil }
        return Account(name: name)
    }

    // MARK: VPCs and what they contain

    static let vpcKeys = ["name", "account", "region", "cidr", "secondary_cidrs", "ipv6_cidr", "vswitches",
                          "route_tables", "security_groups", "network_acls"]

    mutating func decodeVPC(_ node: Node, _ path: String, into topology: inout Topology) {
        guard let fields = declaration(node, path, .vpc, allowed: Self.vpcKeys, required: ["name", "account", "region", "cidr"]) else {
            return
        }
        let name = name(fields, .vpc)
        let account = reader.string(fields["account"], fields.path("account"), expected: "an account name")
        let region = reader.string(fields["region"], fields.path("region"), expected: "a region name")
        let cidr = reader.network(fields["cidr"], fields.path("cidr"), family: .ipv4)
        let secondary = reader.scalarList(fields["secondary_cidrs"], fields.path("secondary_cidrs")).compactMap {
            reader.network($0.node, $0.path, family: .ipv4)
        }
        let ipv6 = fields["ipv6_cidr"].flatMap { reader.network($0, fields.path("ipv6_cidr"), family: .ipv6) }
        let vpcName = name ?? "<unnamed vpc at \(path)>"

        let tables = declarations(fields["route_tables"], fields.path("route_tables"), .routeTable).compactMap { decodeRouteTable($0.node, $0.path, vpc: vpcName) }
        let systemTables = tables.filter(\.isSystem)
        for extra in systemTables.dropFirst() {
            reader.error(nil, objectPaths[TopologySourceMap.key(.routeTable, extra.name)] ?? path,
                         "a VPC has exactly one system route table", found: "a second system table '\(extra.name)'",
                         expected: "system: true on at most one table")
        }
        let systemName = systemTables.first?.name ?? TopologySourceMap.implicitSystemTableName(vpc: vpcName)
        if systemTables.isEmpty {
            topology.routeTables.append(VPCRouteTable(name: systemName, vpc: vpcName, isSystem: true))
            register(.routeTable, systemName, fields.path("route_tables"), node: fields["route_tables"] ?? node)
        }
        topology.routeTables += tables
        topology.vswitches += declarations(fields["vswitches"], fields.path("vswitches"), .vswitch).compactMap {
            decodeVSwitch($0.node, $0.path, vpc: vpcName, systemTable: systemName)
        }
        topology.securityGroups += declarations(fields["security_groups"], fields.path("security_groups"), .securityGroup).compactMap {
            decodeSecurityGroup($0.node, $0.path, vpc: vpcName)
        }
        topology.networkACLs += declarations(fields["network_acls"], fields.path("network_acls"), .networkACL).compactMap {
            decodeNetworkACL($0.node, $0.path, vpc: vpcName)
        }
        if let name, let account, let region, let cidr {
            topology.vpcs.append(VPC(name: name, account: account, region: region, cidr: cidr, secondaryCIDRs: secondary, ipv6CIDR: ipv6))
        }
    }

    mutating func decodeVSwitch(_ node: Node, _ path: String, vpc: String, systemTable: String) -> VSwitch? {
        let keys = ["name", "zone", "cidr", "ipv6_cidr", "route_table", "network_acl"]
        guard let fields = declaration(node, path, .vswitch, allowed: keys, required: ["name", "zone", "cidr"]) else { return nil }
        let name = name(fields, .vswitch)
        let zone = reader.string(fields["zone"], fields.path("zone"), expected: "a zone name")
        let cidr = reader.network(fields["cidr"], fields.path("cidr"), family: .ipv4)
        let ipv6 = fields["ipv6_cidr"].flatMap { reader.network($0, fields.path("ipv6_cidr"), family: .ipv6) }
        let table = fields["route_table"].flatMap { reader.string($0, fields.path("route_table"), expected: "a route table name") }
        let acl = fields["network_acl"].flatMap { reader.string($0, fields.path("network_acl"), expected: "a network ACL name") }
        guard let name, let zone, let cidr else { return nil }
        return VSwitch(name: name, vpc: vpc, zone: zone, cidr: cidr, ipv6CIDR: ipv6, routeTable: table ?? systemTable, networkACL: acl)
    }

    mutating func decodeRouteTable(_ node: Node, _ path: String, vpc: String) -> VPCRouteTable? {
        guard let fields = declaration(node, path, .routeTable, allowed: ["name", "system", "routes"], required: ["name"]),
              let name = name(fields, .routeTable) else { return nil }
        let isSystem = fields["system"].flatMap { reader.bool($0, fields.path("system")) } ?? false
        var routes: [RouteEntry] = []
        var destinations: Set<IPNetwork> = []
        for (routeNode, routePath) in reader.list(fields["routes"], fields.path("routes")) {
            guard let routeFields = reader.fields(routeNode, routePath, allowed: Self.routeKeys, required: ["destination"]),
                  let route = decodeRoute(routeFields) else { continue }
            guard destinations.insert(route.destination).inserted else {
                reader.error(routeFields["destination"], routeFields.path("destination"), "duplicate route destination in table '\(name)'",
                             found: route.destination.description, expected: "one entry per destination")
                continue
            }
            objectPaths[TopologySourceMap.routeKey(table: name, route.destination)] = routePath
            routes.append(route)
        }
        return VPCRouteTable(name: name, vpc: vpc, isSystem: isSystem, routes: routes)
    }

    static let routeKeys = ["destination", "peering", "instance", "blackhole", "external", "kind"]

    /// `destination` plus exactly one next hop: `peering: NAME`, `instance: NAME`, `blackhole: true`
    /// or `external: CLOUD_ID` with its `kind` (a gateway VPCEmu does not model).
    mutating func decodeRoute(_ fields: MappingFields, extraKeys: Set<String> = []) -> RouteEntry? {
        let destination = reader.network(fields["destination"], fields.path("destination"))
        var hops: [RouteNextHop] = []
        if let node = fields["peering"], let name = reader.string(node, fields.path("peering"), expected: "a peering name") {
            hops.append(.peering(name))
        }
        if let node = fields["instance"], let name = reader.string(node, fields.path("instance"), expected: "an instance name") {
            hops.append(.instance(name))
        }
        if let node = fields["blackhole"], let flag = reader.bool(node, fields.path("blackhole")) {
            if flag {
                hops.append(.blackhole)
            } else {
                reader.error(node, fields.path("blackhole"), "blackhole: false names no next hop", found: "false",
                             expected: "true, or a peering/instance key instead")
            }
        }
        if let node = fields["external"], let id = reader.string(node, fields.path("external"), expected: "the gateway's cloud id") {
            if let kindNode = fields["kind"] {
                if let kind = reader.choice(kindNode, fields.path("kind"), ExternalGateway.Kind.self) {
                    hops.append(.external(ExternalGateway(id: id, kind: kind)))
                }
            } else {
                reader.error(fields.node, fields.path("kind"), "missing required key 'kind'", expected: "the kind of the external gateway")
            }
        } else if let kindNode = fields["kind"] {
            reader.error(kindNode, fields.path("kind"), "kind belongs to an external next hop", found: "kind without external",
                         expected: "external: CLOUD_ID beside it, or no kind")
        }
        let present = ["peering", "instance", "blackhole", "external"].filter { fields[$0] != nil }
        guard present.count == 1 else {
            reader.error(fields.node, fields.path, "a route needs exactly one next hop",
                         found: present.isEmpty ? "none" : present.joined(separator: " and "),
                         expected: "one of peering: NAME, instance: NAME, blackhole: true, external: CLOUD_ID")
            return nil
        }
        guard let destination, let hop = hops.first else { return nil }
        return RouteEntry(destination: destination, nextHop: hop)
    }

    // MARK: security groups and network ACLs

    mutating func decodeSecurityGroup(_ node: Node, _ path: String, vpc: String) -> SecurityGroup? {
        guard let fields = declaration(node, path, .securityGroup, allowed: ["name", "rules"], required: ["name"]),
              let name = name(fields, .securityGroup) else { return nil }
        var rules: [SecurityGroupRule] = []
        var ids: Set<String> = []
        for (index, item) in reader.list(fields["rules"], fields.path("rules")).enumerated() {
            guard let rule = decodeRule(item.node, item.path, defaultID: "rule\(index + 1)") else { continue }
            guard ids.insert(rule.id).inserted else {
                reader.error(item.node, "\(item.path).id", "duplicate rule id '\(rule.id)' in security group '\(name)'")
                continue
            }
            objectPaths[TopologySourceMap.ruleKey(group: name, rule.id)] = item.path
            rules.append(rule)
        }
        return SecurityGroup(name: name, vpc: vpc, rules: rules)
    }

    static let ruleKeys = ["id", "direction", "policy", "priority", "protocol", "ports", "cidr", "group", "description"]

    /// A security-group rule; the peer is `cidr: BLOCK` or `group: NAME` (exactly one).
    mutating func decodeRule(_ node: Node, _ path: String, defaultID: String) -> SecurityGroupRule? {
        guard let fields = reader.fields(node, path, allowed: Self.ruleKeys, required: ["direction", "protocol"]) else { return nil }
        let explicitID = fields["id"].flatMap { reader.string($0, fields.path("id"), expected: "a rule id") }
        if let explicitID { checkName(explicitID, fields.path("id"), node: fields["id"]) }
        let id = explicitID ?? defaultID
        let direction = reader.choice(fields["direction"], fields.path("direction"), TrafficDirection.self)
        let policy = fields["policy"].map { reader.choice($0, fields.path("policy"), cases: [RulePolicy.accept, .drop]) } ?? .accept
        let priority = fields["priority"].map { reader.int($0, fields.path("priority"), in: SecurityGroupRule.priorities) } ?? 1
        let ipProtocol = reader.choice(fields["protocol"], fields.path("protocol"), RuleProtocol.self)
        let ports = decodePorts(fields, ipProtocol: ipProtocol)
        let description = fields["description"].flatMap { reader.string($0, fields.path("description")) }
        var peer: RulePeer?
        switch (fields["cidr"], fields["group"]) {
        case (let cidr?, nil): peer = reader.network(cidr, fields.path("cidr")).map(RulePeer.network)
        case (nil, let group?): peer = reader.string(group, fields.path("group"), expected: "a security group name").map(RulePeer.securityGroup)
        default:
            reader.error(node, path, "a rule needs exactly one peer", found: fields["cidr"] == nil ? "none" : "both cidr and group",
                         expected: "cidr: BLOCK or group: SECURITY_GROUP")
        }
        guard let direction, let policy, let priority, let ipProtocol, let ports, let peer else { return nil }
        return SecurityGroupRule(id: id, direction: direction, policy: policy, priority: priority, ipProtocol: ipProtocol,
                                 ports: ports, peer: peer, description: description)
    }

    /// `ports`: `22`, `80-443`, `80/443` (the console's form: 80 through 443) or `all`; only TCP
    /// and UDP rules carry ports.
    mutating func decodePorts(_ fields: MappingFields, ipProtocol: RuleProtocol?) -> PortRange? {
        guard let node = fields["ports"] else { return .any }
        let path = fields.path("ports")
        guard let range = reader.value(node, path, expected: "a port, a range such as 80-443 or 80/443, or all", Self.parsePorts) else {
            return nil
        }
        if let ipProtocol, !ipProtocol.hasPorts, range != .any {
            reader.error(node, path, "\(ipProtocol.rawValue) has no ports", found: range.description, expected: "no ports key, or all")
            return nil
        }
        if case .scalar(let scalar) = node, let warning = PortRangeNotation.listLookalikeWarning(scalar.string, range: range) {
            reader.warning(node, path, warning)
        }
        return range
    }

    static func parsePorts(_ text: String) -> PortRange? {
        if text.lowercased() == "all" || text == "-1/-1" { return .any }
        let bounds = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "-" || $0 == "/" })
        guard (1...2).contains(bounds.count),
              let lower = UInt16(bounds[0].trimmingWhitespace), let upper = UInt16(bounds.last!.trimmingWhitespace),
              lower <= upper else { return nil }
        return PortRange(lower, upper)
    }

    mutating func decodeNetworkACL(_ node: Node, _ path: String, vpc: String) -> NetworkACL? {
        guard let fields = declaration(node, path, .networkACL, allowed: ["name", "ingress", "egress"], required: ["name"]),
              let name = name(fields, .networkACL) else { return nil }
        var entries: [TrafficDirection: [NetworkACLEntry]] = [:]
        for direction in TrafficDirection.allCases {
            var list: [NetworkACLEntry] = []
            var names: Set<String> = []
            for (index, item) in reader.list(fields[direction.rawValue], fields.path(direction.rawValue)).enumerated() {
                guard let entry = decodeACLEntry(item.node, item.path, defaultName: "\(direction.rawValue)\(index + 1)") else { continue }
                guard names.insert(entry.name).inserted else {
                    reader.error(item.node, "\(item.path).name", "duplicate \(direction.rawValue) entry name '\(entry.name)' in network ACL '\(name)'")
                    continue
                }
                list.append(entry)
            }
            entries[direction] = list
        }
        return NetworkACL(name: name, vpc: vpc, ingress: entries[.ingress] ?? [], egress: entries[.egress] ?? [])
    }

    mutating func decodeACLEntry(_ node: Node, _ path: String, defaultName: String) -> NetworkACLEntry? {
        let keys = ["name", "policy", "protocol", "ports", "cidr", "description"]
        guard let fields = reader.fields(node, path, allowed: keys, required: ["protocol", "cidr"]) else { return nil }
        let explicitName = fields["name"].flatMap { reader.string($0, fields.path("name"), expected: "an entry name") }
        if let explicitName { checkName(explicitName, fields.path("name"), node: fields["name"]) }
        let name = explicitName ?? defaultName
        let policy = fields["policy"].map { reader.choice($0, fields.path("policy"), cases: [RulePolicy.accept, .drop]) } ?? .accept
        let ipProtocol = reader.choice(fields["protocol"], fields.path("protocol"), RuleProtocol.self)
        let ports = decodePorts(fields, ipProtocol: ipProtocol)
        let network = reader.network(fields["cidr"], fields.path("cidr"))
        _ = fields["description"].flatMap { reader.string($0, fields.path("description")) }
        guard let policy, let ipProtocol, let ports, let network else { return nil }
        return NetworkACLEntry(name: name, policy: policy, ipProtocol: ipProtocol, ports: ports, network: network)
    }

    // MARK: instances and peerings

    mutating func decodeInstance(_ node: Node, _ path: String) -> Instance? {
        let keys = ["name", "vswitch", "ipv4", "ipv6", "security_groups"]
        guard let fields = declaration(node, path, .instance, allowed: keys, required: ["name", "vswitch"]) else { return nil }
        let name = name(fields, .instance)
        let vswitch = reader.string(fields["vswitch"], fields.path("vswitch"), expected: "a vSwitch name")
        var addresses: [IPAddress] = []
        for (key, family) in [("ipv4", AddressFamily.ipv4), ("ipv6", .ipv6)] {
            for item in reader.scalarList(fields[key], fields.path(key)) {
                if let address = reader.address(item.node, item.path, family: family) {
                    addresses.append(address)
                    objectPaths[TopologySourceMap.addressKey(instance: name ?? path, address)] = item.path
                }
            }
        }
        if fields["ipv4"] == nil, fields["ipv6"] == nil {
            reader.error(node, path, "an instance needs a private address", found: "no ipv4 or ipv6 key", expected: "ipv4: ADDRESS")
        }
        let groups = reader.scalarList(fields["security_groups"], fields.path("security_groups")).compactMap {
            reader.string($0.node, $0.path, expected: "a security group name")
        }
        guard let name, let vswitch else { return nil }
        return Instance(name: name, vswitch: vswitch, addresses: addresses, securityGroups: groups)
    }

    static let peeringKeys = ["name", "requester", "accepter", "bandwidth", "link_type", "burst"]

    mutating func decodePeering(_ fields: MappingFields) -> PeeringConnection? {
        let name = name(fields, .peering)
        let requester = reader.string(fields["requester"], fields.path("requester"), expected: "a VPC name")
        let accepter = reader.string(fields["accepter"], fields.path("accepter"), expected: "a VPC name")
        let bandwidth = fields["bandwidth"].flatMap { reader.int($0, fields.path("bandwidth"), in: 1...1_000_000, unit: " Mbit/s") }
        let linkType = fields["link_type"].flatMap { reader.choice($0, fields.path("link_type"), InterRegionLinkType.self) }
        let burst = fields["burst"].flatMap {
            reader.value($0, fields.path("burst"), expected: "a size in bytes such as 65536, 64KB or 1MB", Self.parseByteSize)
        }
        guard let name, let requester, let accepter else { return nil }
        return PeeringConnection(name: name, requesterVPC: requester, accepterVPC: accepter, bandwidthMbps: bandwidth,
                                 linkType: linkType, burstBytes: burst)
    }

    /// Bytes, with an optional decimal (`KB`, `MB`) or binary (`KiB`, `MiB`) suffix.
    static func parseByteSize(_ text: String) -> Int? {
        let digits = text.prefix(while: \.isASCIIDigit)
        let suffix = text.dropFirst(digits.count).trimmingWhitespace.lowercased()
        let scales = ["": 1, "b": 1, "kb": 1000, "mb": 1_000_000, "kib": 1024, "mib": 1_048_576]
        guard let value = Int(digits), let scale = scales[suffix], value > 0, value <= Int(Int32.max) / scale else { return nil }
        return value * scale
    }

    // MARK: timeline

    static let eventKeys: [String: [String]] = [
        "create_peering": ["by"] + peeringKeys,
        "accept_peering": ["peering", "by"],
        "reject_peering": ["peering", "by"],
        "delete_peering": ["peering", "by"],
        "modify_peering": ["peering", "bandwidth", "link_type"],
        "add_route": ["route_table"] + routeKeys,
        "remove_route": ["route_table", "destination"],
        "add_security_group_rule": ["security_group", "rule"],
        "remove_security_group_rule": ["security_group", "id"],
        "add_acl_entry": ["network_acl", "direction", "entry", "position"],
        "remove_acl_entry": ["network_acl", "direction", "name"],
    ]

    mutating func decodeEvent(_ node: Node, _ path: String) -> TimelineEvent? {
        // Read `action` first so the allowed keys can depend on it.
        var actionName: String?
        if case .mapping(let mapping) = node, let actionNode = mapping["action"] {
            actionName = reader.value(actionNode, "\(path).action",
                                      expected: "one of \(Self.eventKeys.keys.sorted().joined(separator: ", "))") {
                Self.eventKeys[$0] == nil ? nil : $0
            }
        }
        let extra = actionName.flatMap { Self.eventKeys[$0] } ?? Self.eventKeys.values.flatMap { $0 }
        let allowed = ["at", "action", "comment"] + Array(Set(extra)).sorted()
        guard let fields = reader.fields(node, path, allowed: allowed, required: ["at", "action"]) else { return nil }
        let time = reader.duration(fields["at"], fields.path("at"), expected: "a time since start such as 90s, 2h or 7d")
            .map { EmulatedTime(nanoseconds: $0.nanoseconds) }
        _ = fields["comment"].flatMap { reader.string($0, fields.path("comment")) }
        guard let actionName, let action = decodeAction(actionName, fields), let time else { return nil }
        return TimelineEvent(time: time, action: action)
    }

    mutating func requiredString(_ fields: MappingFields, _ key: String, _ expected: String) -> String? {
        guard let node = fields[key] else {
            reader.error(fields.node, fields.path(key), "missing required key '\(key)'")
            return nil
        }
        return reader.string(node, fields.path(key), expected: expected)
    }

    mutating func decodeAction(_ name: String, _ fields: MappingFields) -> ControlPlaneAction? {
        let by = fields["by"].flatMap { reader.string($0, fields.path("by"), expected: "an account name") }
        switch name {
        case "create_peering":
            for key in ["name", "requester", "accepter"] where fields[key] == nil {
                reader.error(fields.node, fields.path(key), "missing required key '\(key)'")
            }
            return decodePeering(fields).map { .createPeering($0, by: by) }
        case "accept_peering", "reject_peering", "delete_peering":
            guard let peering = requiredString(fields, "peering", "a peering name") else { return nil }
            switch name {
            case "accept_peering": return .acceptPeering(peering, by: by)
            case "reject_peering": return .rejectPeering(peering, by: by)
            default: return .deletePeering(peering, by: by)
            }
        case "modify_peering":
            let peering = requiredString(fields, "peering", "a peering name")
            let bandwidth = fields["bandwidth"].flatMap { reader.int($0, fields.path("bandwidth"), in: 1...1_000_000, unit: " Mbit/s") }
            let linkType = fields["link_type"].flatMap { reader.choice($0, fields.path("link_type"), InterRegionLinkType.self) }
            if fields["bandwidth"] == nil, fields["link_type"] == nil {
                reader.error(fields.node, fields.path, "modify_peering changes nothing", expected: "bandwidth and/or link_type")
            }
            return peering.map { .modifyPeering($0, bandwidthMbps: bandwidth, linkType: linkType) }
        case "add_route":
            let table = requiredString(fields, "route_table", "a route table name")
            if fields["destination"] == nil { reader.error(fields.node, fields.path("destination"), "missing required key 'destination'") }
            guard let route = decodeRoute(fields), let table else { return nil }
            return .addRoute(table: table, route)
        case "remove_route":
            let table = requiredString(fields, "route_table", "a route table name")
            if fields["destination"] == nil { reader.error(fields.node, fields.path("destination"), "missing required key 'destination'") }
            guard let destination = reader.network(fields["destination"], fields.path("destination")), let table else { return nil }
            return .removeRoute(table: table, destination: destination)
        case "add_security_group_rule":
            let group = requiredString(fields, "security_group", "a security group name")
            guard let ruleNode = fields["rule"] else {
                reader.error(fields.node, fields.path("rule"), "missing required key 'rule'")
                return nil
            }
            guard let rule = decodeRule(ruleNode, fields.path("rule"), defaultID: "\(fields.path).rule"), let group else { return nil }
            return .addSecurityGroupRule(group: group, rule)
        case "remove_security_group_rule":
            guard let group = requiredString(fields, "security_group", "a security group name"),
                  let id = requiredString(fields, "id", "a rule id") else { return nil }
            return .removeSecurityGroupRule(group: group, id: id)
        case "add_acl_entry":
            let acl = requiredString(fields, "network_acl", "a network ACL name")
            let direction = fields["direction"] == nil ? nil : reader.choice(fields["direction"], fields.path("direction"), TrafficDirection.self)
            if fields["direction"] == nil { reader.error(fields.node, fields.path("direction"), "missing required key 'direction'") }
            let position = fields["position"].flatMap { reader.int($0, fields.path("position"), in: 0...100_000) }
            guard let entryNode = fields["entry"] else {
                reader.error(fields.node, fields.path("entry"), "missing required key 'entry'")
                return nil
            }
            guard let entry = decodeACLEntry(entryNode, fields.path("entry"), defaultName: "\(fields.path).entry"),
                  let acl, let direction else { return nil }
            return .addACLEntry(acl: acl, direction, entry, position: position)
        case "remove_acl_entry":
            let acl = requiredString(fields, "network_acl", "a network ACL name")
            let direction = fields["direction"] == nil ? nil : reader.choice(fields["direction"], fields.path("direction"), TrafficDirection.self)
            if fields["direction"] == nil { reader.error(fields.node, fields.path("direction"), "missing required key 'direction'") }
            guard let entryName = requiredString(fields, "name", "an entry name"), let acl, let direction else { return nil }
            return .removeACLEntry(acl: acl, direction, name: entryName)
        default:
            return nil
        }
    }

    // MARK: monitoring

    mutating func decodeAlert(_ node: Node, _ path: String) -> AlertRule? {
        let keys = ["name", "peering", "direction", "metric", "period", "comparison", "threshold", "consecutive_periods"]
        guard let fields = declaration(node, path, .alert, allowed: keys, required: ["name", "metric", "comparison", "threshold"]),
              let name = name(fields, .alert) else { return nil }
        let peering = fields["peering"].flatMap { reader.string($0, fields.path("peering"), expected: "a peering name") }
        let direction = fields["direction"].flatMap { reader.choice($0, fields.path("direction"), PeeringDirectionKey.Direction.self) }
        let metric = reader.choice(fields["metric"], fields.path("metric"), Metric.self)
        let period = fields["period"].map { reader.duration($0, fields.path("period")) } ?? .seconds(60)
        let comparison = reader.choice(fields["comparison"], fields.path("comparison"), AlertRule.Comparison.self)
        let threshold = reader.number(fields["threshold"], fields.path("threshold"))
        let consecutive = fields["consecutive_periods"].map { reader.int($0, fields.path("consecutive_periods"), in: 1...10_000) } ?? 1
        if let period, period.nanoseconds <= 0 {
            reader.error(fields["period"], fields.path("period"), "an alert period must be longer than zero", found: period.description)
        }
        guard let metric, let period, period.nanoseconds > 0, let comparison, let threshold, let consecutive else { return nil }
        return AlertRule(name: name, metric: metric, period: period.nanoseconds, comparison: comparison, threshold: threshold,
                         consecutivePeriods: consecutive, peering: peering, direction: direction)
    }

    mutating func decodePricing(_ node: Node) -> PriceTable {
        var table = PriceTable()
        guard let fields = reader.fields(node, "pricing", allowed: ["per_gb", "bytes_per_gb"]) else { return table }
        if let bytes = fields["bytes_per_gb"].flatMap({ reader.int($0, fields.path("bytes_per_gb"), in: 1...Int(Int32.max)) }) {
            table.bytesPerGB = Int64(bytes)
        }
        if let perGB = fields["per_gb"],
           let prices = reader.fields(perGB, "pricing.per_gb", allowed: InterRegionLinkType.allCases.map(\.rawValue)) {
            for linkType in InterRegionLinkType.allCases {
                if let price = prices[linkType.rawValue].flatMap({ reader.number($0, prices.path(linkType.rawValue)) }) {
                    if price < 0 {
                        reader.error(prices[linkType.rawValue], prices.path(linkType.rawValue), "a price cannot be negative", found: "\(price)")
                    } else {
                        table.pricePerGB[linkType] = MicroUSD(Int64((price * 1_000_000).rounded()))
                    }
                }
            }
        }
        return table
    }
}
