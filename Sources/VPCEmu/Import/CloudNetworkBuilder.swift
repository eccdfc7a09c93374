/// A topology made from a cloud's configuration, with what the topology file shows beside it:
/// each object's cloud id, notes on objects the importer added back, and the input objects that
/// are not modelled.
public struct ImportedTopology: Sendable {
    public var topology: Topology
    /// The cloud id of each object whose name is not its id, by `TopologySourceMap.key(kind, name)`.
    public var cloudIDs: [String: String]
    /// A note on an object (why the importer added it), by the same key.
    public var notes: [String: String]
    /// Lines for the file's header comment.
    public var header: [String]
    public var notices: ImportNotices

    /// The topology file (`TopologyYAMLWriter`).
    public var yaml: String { TopologyYAMLWriter(self).text }
}

/// Turns a `CloudNetwork` into a topology: names from unique `Name` tags (else the cloud id),
/// objects ordered by account, region and cloud id (so that importing twice gives the same
/// bytes), the main route table as the VPC's system table, and the peering lifecycle mapped from
/// the cloud's status names.
struct CloudNetworkBuilder {
    var network: CloudNetwork
    var topology: Topology
    var cloudIDs: [String: String] = [:]
    var notes: [String: String] = [:]
    /// Model name of each cloud id, per kind.
    var names: [TopologySourceMap.Kind: [String: String]] = [:]
    /// Model instance name of each instance id and network-interface id.
    var instanceNames: [String: (name: String, vpc: String)] = [:]
    /// Peerings of the input that are not modelled: a route to one is a blackhole (as the cloud shows it).
    var omittedPeerings: [String: String] = [:]
    /// Peerings to a VPC outside the input: a route to one leaves the modelled network.
    var outsidePeerings: Set<String> = []

    /// The one-way latency assumed between two regions the input peers (it holds none).
    static let assumedInterRegionLatency = EmulatedDuration.milliseconds(50)

    init(_ network: CloudNetwork) {
        self.network = network
        topology = Topology(profile: network.profile)
    }

    static func build(_ network: CloudNetwork) throws(ImportError) -> ImportedTopology {
        var builder = CloudNetworkBuilder(network)
        try builder.run()
        return ImportedTopology(topology: builder.topology, cloudIDs: builder.cloudIDs, notes: builder.notes,
                                header: builder.network.headerNotes, notices: builder.network.notices)
    }

    // MARK: naming

    /// `text` with every character a name may not hold replaced by `-` (nil when nothing is left).
    static func sanitized(_ text: String) -> String? {
        var result = ""
        for scalar in text.unicodeScalars {
            let allowed = ("A"..."Z").contains(scalar) || ("a"..."z").contains(scalar)
                || ("0"..."9").contains(scalar) || scalar == "." || scalar == "_" || scalar == "-"
            result.unicodeScalars.append(allowed ? scalar : "-")
        }
        while result.contains("--") { result = result.replacingOccurrences(of: "--", with: "-") }
        while result.hasPrefix(".") || result.hasPrefix("-") { result.removeFirst() }
        while result.hasSuffix("-") { result.removeLast() }
        let name = String(result.prefix(128))
        return TopologyLimits.isSafeName(name) ? name : nil
    }

    /// Assigns names to the objects of one kind: the sanitised `Name` tag where no other object
    /// of the kind has the same one (and it is no other object's id), else the cloud id.
    mutating func assignNames(_ kind: TopologySourceMap.Kind, _ objects: [(id: String, tag: String?)]) {
        let ids = Set(objects.map { Self.sanitized($0.id) ?? $0.id })
        var tagCounts: [String: Int] = [:]
        for object in objects { if let tag = object.tag.flatMap(Self.sanitized) { tagCounts[tag, default: 0] += 1 } }
        var table: [String: String] = [:]
        for object in objects {
            let idName = Self.sanitized(object.id) ?? "object"
            var name = idName
            if let tag = object.tag.flatMap(Self.sanitized), tagCounts[tag] == 1, !ids.contains(tag) || tag == idName { name = tag }
            table[object.id] = name
            if name != object.id { cloudIDs[TopologySourceMap.key(kind, name)] = object.id }
        }
        names[kind] = table
    }

    func name(_ kind: TopologySourceMap.Kind, _ id: String) -> String? { names[kind]?[id] }

    // MARK: build

    mutating func run() throws(ImportError) {
        let vpcs = network.vpcs.sorted { ($0.account, $0.region, $0.id) < ($1.account, $1.region, $1.id) }
        assignNames(.vpc, vpcs.map { ($0.id, $0.nameTag) })
        assignNames(.vswitch, network.subnets.map { ($0.id, $0.nameTag) })
        assignNames(.securityGroup, network.securityGroups.map { ($0.id, $0.nameTag) })
        assignNames(.networkACL, network.networkACLs.map { ($0.id, $0.nameTag) })
        assignNames(.peering, network.peerings.map { ($0.id, $0.nameTag) })
        addImplicitMainTables()
        assignNames(.routeTable, network.routeTables.map { ($0.id, $0.nameTag) })
        assignNames(.instance, network.instances.map { ($0.id, $0.nameTag) })

        topology.accounts = Set(vpcs.map(\.account)).sorted().map(Account.init)
        topology.regions = Set(vpcs.map(\.region)).sorted().map { Region(name: $0) }
        for vpc in vpcs {
            topology.vpcs.append(VPC(name: name(.vpc, vpc.id)!, account: vpc.account, region: vpc.region, cidr: vpc.cidrs[0],
                                     secondaryCIDRs: Array(vpc.cidrs.dropFirst()), ipv6CIDR: vpc.ipv6CIDRs.first))
            for extra in vpc.ipv6CIDRs.dropFirst() {
                network.notices.add("IPv6 blocks beyond a VPC's first", fate: "not modelled (one IPv6 block per VPC)", id: "\(vpc.id) \(extra)")
            }
        }
        try buildInstances()
        // Instances grouped by their VPC, in the VPCs' order (account, region, id).
        let vpcOrder = Dictionary(uniqueKeysWithValues: vpcs.enumerated().map { ($1.id, $0) })
        let subnetVPC = Dictionary(network.subnets.map { (name(.vswitch, $0.id) ?? $0.id, vpcOrder[$0.vpc] ?? .max) }, uniquingKeysWith: min)
        topology.instances = topology.instances.enumerated().sorted {
            (subnetVPC[$0.element.vswitch] ?? .max, $0.offset) < (subnetVPC[$1.element.vswitch] ?? .max, $1.offset)
        }.map(\.element)
        try buildPeerings()
        try buildSecurityGroups()
        try buildNetworkACLs()
        try buildRouteTables()
        try buildSubnets()
    }

    func vpcName(_ id: String, at origin: CloudNetwork.Origin) throws(ImportError) -> String {
        guard let name = name(.vpc, id) else { throw origin.error("unknown VPC id '\(id)'", expected: "a VPC of the input") }
        return name
    }

    /// A VPC without a main route table in the input gets one, as the cloud creates it with the VPC.
    mutating func addImplicitMainTables() {
        for vpc in network.vpcs where !network.routeTables.contains(where: { $0.vpc == vpc.id && $0.isMain }) {
            let kind = network.profile == .aws ? "main route table" : "system route table"
            network.routeTables.append(CloudNetwork.RouteTable(
                id: "\(vpc.id)-main", nameTag: nil, vpc: vpc.id, isMain: true, subnets: [], routes: [], origin: vpc.origin,
                implicitNote: "added: the VPC's \(kind), which the cloud creates with the VPC (not in the input)"))
        }
    }

    mutating func buildSubnets() throws(ImportError) {
        var tableOfSubnet: [String: String] = [:]
        for table in network.routeTables.sorted(by: { $0.id < $1.id }) {
            for subnet in table.subnets where tableOfSubnet[subnet] == nil { tableOfSubnet[subnet] = table.id }
        }
        var aclOfSubnet: [String: String] = [:]
        for acl in network.networkACLs.sorted(by: { $0.id < $1.id }) {
            for subnet in acl.subnets where aclOfSubnet[subnet] == nil { aclOfSubnet[subnet] = acl.id }
        }
        let mainTable = Dictionary(network.routeTables.filter(\.isMain).map { ($0.vpc, $0.id) }, uniquingKeysWith: min)
        let defaultACL = Dictionary(network.networkACLs.filter(\.isDefault).map { ($0.vpc, $0.id) }, uniquingKeysWith: min)
        for subnet in network.subnets.sorted(by: { $0.id < $1.id }) {
            let vpc = try vpcName(subnet.vpc, at: subnet.origin)
            // The main route table serves subnets without an association (VPC User Guide, "Route tables").
            let table = tableOfSubnet[subnet.id] ?? mainTable[subnet.vpc]!
            let acl = aclOfSubnet[subnet.id] ?? defaultACL[subnet.vpc]
            topology.vswitches.append(VSwitch(name: name(.vswitch, subnet.id)!, vpc: vpc, zone: subnet.zone, cidr: subnet.cidr,
                                              ipv6CIDR: subnet.ipv6CIDR, routeTable: name(.routeTable, table)!,
                                              networkACL: acl.flatMap { name(.networkACL, $0) }))
        }
    }

    mutating func buildRouteTables() throws(ImportError) {
        for table in network.routeTables.sorted(by: { ($0.vpc, $0.isMain ? 0 : 1, $0.id) < ($1.vpc, $1.isMain ? 0 : 1, $1.id) }) {
            let vpc = try vpcName(table.vpc, at: table.origin)
            let tableName = name(.routeTable, table.id)!
            if let note = table.implicitNote { notes[TopologySourceMap.key(.routeTable, tableName)] = note }
            var routes: [RouteEntry] = []
            var destinations: Set<IPNetwork> = []
            for route in table.routes {
                let hop: RouteNextHop
                switch route.target {
                case .local: continue  // the model derives local (system) routes from the VPC's blocks
                case .blackhole: hop = .blackhole
                case .gateway(let gateway): hop = .external(gateway)
                case .instance(let id):
                    if let instance = instanceNames[id], instance.vpc == vpc {
                        hop = .instance(instance.name)
                    } else {
                        network.notices.add("routes to network interfaces outside the input", fate: "external next hops (leave the modelled network)", id: id)
                        hop = .external(ExternalGateway(id: id, kind: .networkInterface))
                    }
                case .peering(let id):
                    if let name = name(.peering, id), omittedPeerings[id] == nil, !outsidePeerings.contains(id) {
                        hop = .peering(name)
                    } else if outsidePeerings.contains(id) {
                        hop = .external(ExternalGateway(id: id, kind: .peeringConnection))
                    } else if let status = omittedPeerings[id] {
                        network.notices.add("routes to \(status) peerings", fate: "blackhole routes (the cloud shows them as blackhole)", id: id)
                        hop = .blackhole
                    } else {
                        throw route.origin.error("route to unknown peering id '\(id)'", expected: "a peering of the input's VpcPeeringConnections")
                    }
                }
                guard destinations.insert(route.destination).inserted else {
                    network.notices.add("route entries with a destination already in their table", fate: "omitted (the first is kept)", id: "\(table.id) \(route.destination)")
                    continue
                }
                routes.append(RouteEntry(destination: route.destination, nextHop: hop))
            }
            topology.routeTables.append(VPCRouteTable(name: tableName, vpc: vpc, isSystem: table.isMain, routes: routes))
        }
    }

    mutating func buildSecurityGroups() throws(ImportError) {
        for group in network.securityGroups.sorted(by: { ($0.vpc, $0.id) < ($1.vpc, $1.id) }) {
            let vpc = try vpcName(group.vpc, at: group.origin)
            let groupName = name(.securityGroup, group.id)!
            if let note = group.implicitNote { notes[TopologySourceMap.key(.securityGroup, groupName)] = note }
            var rules: [SecurityGroupRule] = []
            var counts: [TrafficDirection: Int] = [:]
            for rule in group.rules {
                let peer: RulePeer
                switch rule.peer {
                case .cidr(let network): peer = .network(network)
                case .group(let id, let account):
                    guard let other = name(.securityGroup, id) else {
                        network.notices.add("security-group rules naming a group outside the input", fate: "omitted (the group's members are unknown)",
                                            id: account.map { "\(id) of \($0)" } ?? id)
                        continue
                    }
                    peer = .securityGroup(other)
                }
                counts[rule.direction, default: 0] += 1
                rules.append(SecurityGroupRule(id: "\(rule.direction.rawValue)\(counts[rule.direction]!)", direction: rule.direction,
                                               policy: rule.allow ? .accept : .drop, priority: rule.priority ?? 1,
                                               ipProtocol: rule.ipProtocol, ports: rule.ports, peer: peer, description: rule.description))
            }
            topology.securityGroups.append(SecurityGroup(name: groupName, vpc: vpc, rules: rules))
        }
    }

    mutating func buildNetworkACLs() throws(ImportError) {
        for acl in network.networkACLs.sorted(by: { ($0.vpc, $0.id) < ($1.vpc, $1.id) }) {
            let vpc = try vpcName(acl.vpc, at: acl.origin)
            let aclName = name(.networkACL, acl.id)!
            if let note = acl.implicitNote { notes[TopologySourceMap.key(.networkACL, aclName)] = note }
            // Entries in rule-number order; the first match decides (VPC User Guide, "Network ACL rules").
            func entries(egress: Bool) -> [NetworkACLEntry] {
                acl.entries.filter { $0.egress == egress }.sorted { $0.ruleNumber < $1.ruleNumber }.map {
                    NetworkACLEntry(name: "rule\($0.ruleNumber)", policy: $0.allow ? .accept : .drop, ipProtocol: $0.ipProtocol,
                                    ports: $0.ports, network: $0.cidr)
                }
            }
            topology.networkACLs.append(NetworkACL(name: aclName, vpc: vpc, ingress: entries(egress: false), egress: entries(egress: true)))
        }
    }

    /// One model instance per subnet an instance has interfaces in (the model puts an instance in
    /// one vSwitch): the primary interface's subnet under the instance's name, others as
    /// `NAME-ENI`. Each holds every private address of its interfaces and their groups.
    mutating func buildInstances() throws(ImportError) {
        let subnetVPC = Dictionary(network.subnets.map { ($0.id, $0.vpc) }, uniquingKeysWith: { a, _ in a })
        for instance in network.instances.sorted(by: { $0.id < $1.id }) {
            guard !instance.interfaces.isEmpty else {
                network.notices.add("instances without a network interface", fate: "omitted (stopped or terminated?)", id: instance.id)
                continue
            }
            let base = name(.instance, instance.id)!
            let interfaces = instance.interfaces.sorted { ($0.deviceIndex, $0.id) < ($1.deviceIndex, $1.id) }
            var subnetsInOrder: [String] = []
            for interface in interfaces where !subnetsInOrder.contains(interface.subnet) { subnetsInOrder.append(interface.subnet) }
            for (position, subnet) in subnetsInOrder.enumerated() {
                let members = interfaces.filter { $0.subnet == subnet }
                guard let vswitch = name(.vswitch, subnet), let vpcID = subnetVPC[subnet] else {
                    throw instance.origin.error("instance \(instance.id): unknown subnet id '\(subnet)'", expected: "a subnet of the input")
                }
                let modelName = position == 0 ? base : "\(base)-\(members[0].id)"
                if position > 0 {
                    cloudIDs[TopologySourceMap.key(.instance, modelName)] = "\(instance.id) \(members.map(\.id).joined(separator: " "))"
                    network.notices.add("instance interfaces in a second subnet", fate: "modelled as an instance of their own (NAME-ENI)", id: members[0].id)
                }
                var addresses: [IPAddress] = []
                for address in members.flatMap(\.addresses) where !addresses.contains(address) { addresses.append(address) }
                var groups: [String] = []
                for id in members.flatMap(\.groups) {
                    guard let group = name(.securityGroup, id) else {
                        network.notices.add("instance security groups outside the input", fate: "omitted from the instance", id: id)
                        continue
                    }
                    if !groups.contains(group) { groups.append(group) }
                }
                let vpc = name(.vpc, vpcID) ?? vpcID
                for interface in members { instanceNames[interface.id] = (modelName, vpc) }
                if position == 0 { instanceNames[instance.id] = (modelName, vpc) }
                topology.instances.append(Instance(name: modelName, vswitch: vswitch, addresses: addresses, securityGroups: groups))
            }
        }
    }

    /// The cloud's peering status as the model's lifecycle: `active` (and `provisioning`, which
    /// lasts seconds) is Activated at time zero — a cross-account one through an accept event;
    /// `pending-acceptance` across accounts stays Accepting; `rejected` and `deleting` are events
    /// at time zero; the rest (`deleted`, `failed`, `expired`, and requests inside one account,
    /// which the model activates at creation) are not modelled and routes to them are blackholes.
    mutating func buildPeerings() throws(ImportError) {
        let vpcByID = Dictionary(network.vpcs.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var accepted = false
        var latencies: Set<[String]> = []
        for peering in network.peerings.sorted(by: { $0.id < $1.id }) {
            guard let requester = vpcByID[peering.requesterVPC], let accepter = vpcByID[peering.accepterVPC] else {
                outsidePeerings.insert(peering.id)
                network.notices.add("peerings to a VPC outside the input", fate: "routes to them are external next hops", id: peering.id)
                continue
            }
            let crossAccount = requester.account != accepter.account
            let name = name(.peering, peering.id)!
            var events: [ControlPlaneAction] = []
            switch peering.status {
            case .active, .provisioning:
                if crossAccount { events.append(.acceptPeering(name, by: accepter.account)) }
            case .pendingAcceptance, .initiatingRequest:
                guard crossAccount else {
                    omittedPeerings[peering.id] = peering.status.rawValue
                    network.notices.add("\(peering.status.rawValue) peerings inside one account", fate: "omitted (VPCEmu activates a same-account peering at creation)", id: peering.id)
                    continue
                }
            case .rejected:
                guard crossAccount else {
                    omittedPeerings[peering.id] = peering.status.rawValue
                    network.notices.add("rejected peerings inside one account", fate: "omitted", id: peering.id)
                    continue
                }
                events.append(.rejectPeering(name, by: accepter.account))
            case .deleting:
                if crossAccount { events.append(.acceptPeering(name, by: accepter.account)) }
                events.append(.deletePeering(name, by: requester.account))
            case .deleted, .failed, .expired:
                omittedPeerings[peering.id] = peering.status.rawValue
                network.notices.add("\(peering.status.rawValue) peerings", fate: "omitted (no longer carry traffic)", id: peering.id)
                continue
            }
            if peering.status == .provisioning {
                network.notices.add("provisioning peerings", fate: "modelled as active", id: peering.id)
            }
            accepted = accepted || events.contains { if case .acceptPeering = $0 { true } else { false } }
            let interRegion = requester.region != accepter.region
            topology.peerings.append(PeeringConnection(name: name, requesterVPC: self.name(.vpc, requester.id)!,
                                                       accepterVPC: self.name(.vpc, accepter.id)!,
                                                       bandwidthMbps: interRegion && network.profile == .alibaba ? peering.bandwidthMbps : nil))
            topology.timeline += events.map { TimelineEvent(time: .zero, action: $0) }
            if requester.region != accepter.region { latencies.insert([requester.region, accepter.region].sorted()) }
        }
        if accepted {
            // Accepted before the snapshot: Activated at time zero, not a second later.
            topology.settings.activationDelay = .seconds(0)
        }
        for pair in latencies.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            if let position = topology.regions.firstIndex(where: { $0.name == pair[0] }) {
                topology.regions[position].latencyTo[pair[1]] = Self.assumedInterRegionLatency
            }
            network.headerNotes.append("latency \(pair[0]) <-> \(pair[1]) assumed \(Self.assumedInterRegionLatency) one way (the input holds none): measure and edit it")
        }
    }
}
