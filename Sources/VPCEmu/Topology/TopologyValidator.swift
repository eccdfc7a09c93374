/// Checks that need the whole topology: references between objects, containment of blocks and
/// addresses, duplicates, and the control plane's verdict on every peering and timeline event.
/// Every problem becomes a diagnostic pointing at the field that causes it.
///
/// Every check is linear in the size of the topology, or n log n where blocks are sorted to find
/// overlaps: lookups go through `TopologyIndex`, never a search of a list per object.
struct TopologyValidator {
    let topology: Topology
    let sourceMap: TopologySourceMap
    let file: String
    let index: TopologyIndex
    /// Kinds with a declaration that failed to decode (`TopologyDecoder.incompleteKinds`).
    let incompleteKinds: Set<TopologySourceMap.Kind>
    var diagnostics: [TopologyDiagnostic] = []

    init(topology: Topology, sourceMap: TopologySourceMap, file: String, incompleteKinds: Set<TopologySourceMap.Kind> = []) {
        self.topology = topology
        self.sourceMap = sourceMap
        self.file = file
        self.incompleteKinds = incompleteKinds
        index = TopologyIndex(topology)
    }

    mutating func report(_ path: String, _ message: String, found: String? = nil, expected: String? = nil) {
        diagnostics.append(TopologyDiagnostic(.error, file: file, location: sourceMap.nearestLocation(path), path: path,
                                              message: message, found: found, expected: expected))
    }

    /// Whether the file declares an object of that name, even one that failed to decode, or
    /// some declaration of that kind could not be read: a reference to it is then not reported
    /// as unknown (the declaration's own error already is).
    func isDeclared(_ kind: TopologySourceMap.Kind, _ name: String) -> Bool {
        incompleteKinds.contains(kind) || sourceMap.objectPaths[TopologySourceMap.key(kind, name)] != nil
    }

    /// "one of a, b, c" for an `expected` text: the first names only (a message stays one line
    /// however large the topology), or what to declare when there is none.
    func oneOf(_ names: some Sequence<String>, _ kind: TopologySourceMap.Kind) -> String {
        var seen: Set<String> = []
        let unique = names.filter { seen.insert($0).inserted }
        guard !unique.isEmpty else { return "a \(kind.rawValue) declared in the file (there is none)" }
        let shown = 10
        let list = unique.prefix(shown).joined(separator: ", ")
        return "one of " + list + (unique.count > shown ? ", … (\(unique.count) in all)" : "")
    }

    /// Pairs of overlapping blocks, as indices into `blocks`, in O(n log n). CIDR blocks either
    /// nest or are disjoint, so after sorting by first address (shorter prefix first) a block
    /// overlaps an earlier one exactly when it lies inside a block still open on the stack; it
    /// is paired with the innermost one. One pair per block inside another, not every pair.
    static func overlaps(_ blocks: [IPNetwork]) -> [(inner: Int, outer: Int)] {
        var pairs: [(inner: Int, outer: Int)] = []
        var open: [Int] = []
        for position in blocks.indices.sorted(by: { blocks[$0] < blocks[$1] }) {
            while let last = open.last, !blocks[last].contains(blocks[position]) { open.removeLast() }
            if let last = open.last { pairs.append((position, last)) }
            open.append(position)
        }
        return pairs
    }

    /// Runs every check; the control-plane replay only when the file's shape is valid (a
    /// half-decoded model would make it refuse actions on objects that failed to decode).
    mutating func validate(replayControlPlane: Bool) -> [TopologyDiagnostic] {
        let regions = Set(topology.regions.map(\.name))
        let accounts = Set(topology.accounts.map(\.name))
        for region in topology.regions {
            for other in region.latencyTo.keys.sorted() where !regions.contains(other) || other == region.name {
                report("\(sourceMap.path(.region, region.name)).latency.\(other)",
                       other == region.name ? "latency to the region itself; use settings.intra_region_latency" : "unknown region '\(other)'",
                       found: other, expected: oneOf(topology.regions.lazy.map(\.name).filter { $0 != region.name }, .region))
            }
        }
        let vswitchesByVPC = Dictionary(grouping: topology.vswitches, by: \.vpc)
        for vpc in topology.vpcs {
            let path = sourceMap.path(.vpc, vpc.name)
            if !accounts.contains(vpc.account), !isDeclared(.account, vpc.account) {
                report("\(path).account", "unknown account", found: "'\(vpc.account)'", expected: oneOf(topology.accounts.map(\.name), .account))
            }
            if !regions.contains(vpc.region), !isDeclared(.region, vpc.region) {
                report("\(path).region", "unknown region", found: "'\(vpc.region)'", expected: oneOf(topology.regions.map(\.name), .region))
            }
            let blocks = [vpc.cidr] + vpc.secondaryCIDRs
            var reported: Set<Int> = []
            for pair in Self.overlaps(blocks) {
                let (later, earlier) = (max(pair.inner, pair.outer), min(pair.inner, pair.outer))
                guard reported.insert(later).inserted else { continue }
                report("\(path).secondary_cidrs[\(later - 1)]", "secondary CIDR block overlaps another block of the VPC",
                       found: "\(blocks[later]) overlapping \(blocks[earlier])", expected: "a block disjoint from the VPC's other blocks")
            }
            validateVSwitches(vswitchesByVPC[vpc.name] ?? [], of: vpc)
        }
        validateRoutes()
        validateInstances()
        validateSecurityGroups()
        if topology.profile == .aws { validateAWSSecurityGroups() }
        validatePeeringReferences()
        if replayControlPlane { validateControlPlane() }
        for alert in topology.alerts {
            // Peerings of `peerings:` and of create_peering events are both registered.
            if let peering = alert.peering, !isDeclared(.peering, peering) {
                report("\(sourceMap.path(.alert, alert.name)).peering", "unknown peering", found: "'\(peering)'", expected: "a peering declared in the file")
            }
        }
        return diagnostics
    }

    mutating func validateVSwitches(_ vswitches: [VSwitch], of vpc: VPC) {
        let blocks = vswitches.indices.flatMap { i in vswitches[i].allCIDRs.map { (vswitch: i, block: $0) } }
        for pair in Self.overlaps(blocks.map(\.block)) {
            // Reported at the vSwitch declared later, naming the earlier one.
            let (a, b) = blocks[pair.inner].vswitch > blocks[pair.outer].vswitch ? (blocks[pair.inner], blocks[pair.outer]) : (blocks[pair.outer], blocks[pair.inner])
            guard a.vswitch != b.vswitch else { continue }
            let later = vswitches[a.vswitch]
            report("\(sourceMap.path(.vswitch, later.name)).\(a.block.family == .ipv4 ? "cidr" : "ipv6_cidr")", "vSwitch blocks overlap within VPC '\(vpc.name)'",
                   found: "\(a.block) overlapping vSwitch '\(vswitches[b.vswitch].name)' \(b.block)", expected: "disjoint vSwitch blocks")
        }
        for vswitch in vswitches {
            let path = sourceMap.path(.vswitch, vswitch.name)
            let sizes = vswitch.allowedPrefixLengths(profile: topology.profile)
            if !sizes.contains(vswitch.cidr.prefixLength) {
                report("\(path).cidr", "vSwitch block size not allowed by the \(topology.profile.rawValue) profile",
                       found: vswitch.cidr.description, expected: "a prefix length from /\(sizes.lowerBound) to /\(sizes.upperBound)")
            }
            let ipv4Blocks = [vpc.cidr] + vpc.secondaryCIDRs
            if !ipv4Blocks.contains(where: { $0.contains(vswitch.cidr) }) {
                report("\(path).cidr", "vSwitch block is not inside the VPC's IPv4 blocks", found: vswitch.cidr.description,
                       expected: "a block inside \(ipv4Blocks.map(\.description).joined(separator: " or "))")
            }
            if let ipv6 = vswitch.ipv6CIDR {
                if let vpcIPv6 = vpc.ipv6CIDR {
                    if !vpcIPv6.contains(ipv6) {
                        report("\(path).ipv6_cidr", "vSwitch IPv6 block is not inside the VPC's IPv6 block", found: ipv6.description,
                               expected: "a block inside \(vpcIPv6)")
                    }
                } else {
                    report("\(path).ipv6_cidr", "the VPC has no IPv6 block", found: ipv6.description, expected: "ipv6_cidr on VPC '\(vpc.name)' first")
                }
            }
            if let table = index.routeTables[vswitch.routeTable].map({ topology.routeTables[$0] }) {
                if table.vpc != vpc.name {
                    report("\(path).route_table", "route table belongs to another VPC", found: "'\(table.name)' of VPC '\(table.vpc)'",
                           expected: "a route table of VPC '\(vpc.name)'")
                }
            } else if !isDeclared(.routeTable, vswitch.routeTable) {
                report("\(path).route_table", "unknown route table", found: "'\(vswitch.routeTable)'",
                       expected: oneOf(topology.routeTables.lazy.filter { $0.vpc == vpc.name }.map(\.name), .routeTable))
            }
            if let aclName = vswitch.networkACL {
                if let acl = index.networkACLs[aclName].map({ topology.networkACLs[$0] }) {
                    if acl.vpc != vpc.name {
                        report("\(path).network_acl", "network ACL belongs to another VPC", found: "'\(aclName)' of VPC '\(acl.vpc)'",
                               expected: "a network ACL of VPC '\(vpc.name)'")
                    }
                } else if !isDeclared(.networkACL, aclName) {
                    report("\(path).network_acl", "unknown network ACL", found: "'\(aclName)'",
                           expected: oneOf(topology.networkACLs.lazy.filter { $0.vpc == vpc.name }.map(\.name), .networkACL))
                }
            }
        }
    }

    mutating func validateRoutes() {
        let initial = ControlPlaneState(topology: topology)
        for table in topology.routeTables {
            for route in table.routes {
                if let problem = initial.routeProblem(route, inTable: table.name), !referencesBrokenObject(route, problem) {
                    let path = sourceMap.routePath(table: table.name, route.destination)
                    let field = if case .routeRejected = problem.kind { "destination" } else {
                        switch route.nextHop {
                        case .peering: "peering"
                        case .instance: "instance"
                        case .blackhole: "blackhole"
                        case .external: "external"
                        }
                    }
                    report("\(path).\(field)", problem.message)
                }
            }
        }
    }

    func referencesBrokenObject(_ route: RouteEntry, _ problem: ControlPlaneError) -> Bool {
        guard problem.kind == .unknownObject else { return false }
        switch route.nextHop {
        case .peering(let name): return isDeclared(.peering, name)
        case .instance(let name): return isDeclared(.instance, name)
        case .blackhole, .external: return false
        }
    }

    mutating func validateInstances() {
        var owners: [String: [IPAddress: String]] = [:]  // VPC -> address -> instance
        for instance in topology.instances {
            let path = sourceMap.path(.instance, instance.name)
            guard let vswitch = index.vswitches[instance.vswitch].map({ topology.vswitches[$0] }) else {
                if isDeclared(.vswitch, instance.vswitch) { continue }
                report("\(path).vswitch", "unknown vSwitch", found: "'\(instance.vswitch)'", expected: oneOf(topology.vswitches.lazy.map(\.name), .vswitch))
                continue
            }
            let reserved = vswitch.reservedIPv4Addresses(profile: topology.profile)
            for address in instance.addresses {
                let addressPath = sourceMap.addressPath(instance: instance.name, address)
                if !vswitch.contains(address) {
                    let blocks = vswitch.allCIDRs.filter { $0.family == address.family }
                    report(addressPath, "address is outside its vSwitch '\(vswitch.name)'", found: address.description,
                           expected: blocks.isEmpty ? "an \(address.family) block on the vSwitch first" : "an address inside \(blocks.map(\.description).joined(separator: ", "))")
                } else if reserved.contains(address) {
                    report(addressPath, "address is reserved by the cloud in vSwitch '\(vswitch.name)'", found: address.description,
                           expected: "an address other than \(reserved.map(\.description).joined(separator: ", "))")
                }
                if let owner = owners[vswitch.vpc]?[address] {
                    report(addressPath, "duplicate address in VPC '\(vswitch.vpc)'", found: "\(address), already used by instance '\(owner)'",
                           expected: "an address unique in the VPC")
                } else {
                    owners[vswitch.vpc, default: [:]][address] = instance.name
                }
            }
            for (i, group) in instance.securityGroups.enumerated() {
                // A single group may be written as a scalar instead of a one-element list.
                let itemPath = sourceMap.location("\(path).security_groups[\(i)]") == nil ? "\(path).security_groups" : "\(path).security_groups[\(i)]"
                guard let declared = index.securityGroups[group].map({ topology.securityGroups[$0] }) else {
                    if isDeclared(.securityGroup, group) { continue }
                    report(itemPath, "unknown security group", found: "'\(group)'",
                           expected: oneOf(topology.securityGroups.lazy.filter { $0.vpc == vswitch.vpc }.map(\.name), .securityGroup))
                    continue
                }
                if declared.vpc != vswitch.vpc {
                    report(itemPath, "security group belongs to another VPC", found: "'\(group)' of VPC '\(declared.vpc)'",
                           expected: "a security group of VPC '\(vswitch.vpc)'")
                }
            }
        }
    }

    mutating func validateSecurityGroups() {
        let groups = Set(topology.securityGroups.map(\.name))
        for group in topology.securityGroups {
            for rule in group.rules {
                if case .securityGroup(let peer) = rule.peer, !groups.contains(peer), !isDeclared(.securityGroup, peer) {
                    let path = sourceMap.objectPaths[TopologySourceMap.ruleKey(group: group.name, rule.id)] ?? sourceMap.path(.securityGroup, group.name)
                    report("\(path).group", "unknown security group", found: "'\(peer)'", expected: oneOf(groups.sorted(), .securityGroup))
                }
            }
        }
    }

    /// AWS security groups only allow, and have no priorities (EC2 User Guide, "Security group rules").
    mutating func validateAWSSecurityGroups() {
        for group in topology.securityGroups {
            for rule in group.rules {
                let path = sourceMap.objectPaths[TopologySourceMap.ruleKey(group: group.name, rule.id)] ?? sourceMap.path(.securityGroup, group.name)
                if rule.policy == .drop {
                    report("\(path).policy", "AWS security groups only allow (aws profile)", found: "policy: drop",
                           expected: "an accept rule; deny traffic with a network ACL entry")
                }
                if sourceMap.location("\(path).priority") != nil {
                    report("\(path).priority", "AWS security-group rules have no priority (aws profile)", found: "priority: \(rule.priority)",
                           expected: "no priority key")
                }
            }
        }
    }

    mutating func validatePeeringReferences() {
        let vpcs = Set(topology.vpcs.map(\.name))
        let declared = sourceMap.objectPaths.keys.filter { $0.hasPrefix(TopologySourceMap.key(.vpc, "")) }
            .map { String($0.dropFirst(TopologySourceMap.key(.vpc, "").count)) }
        for peering in topology.peerings {
            let path = sourceMap.path(.peering, peering.name)
            for (key, vpc) in [("requester", peering.requesterVPC), ("accepter", peering.accepterVPC)] where !vpcs.contains(vpc) {
                if isDeclared(.vpc, vpc) { continue }
                report("\(path).\(key)", "unknown VPC", found: "'\(vpc)'", expected: oneOf(declared.sorted(), .vpc))
            }
        }
    }

    /// Runs the timeline to its end; every refused creation or event is an error at its place.
    mutating func validateControlPlane() {
        for rejected in TopologyTimeline.rejectedEvents(of: topology) {
            if let index = rejected.eventIndex {
                report("timeline[\(index)]", "at \(rejected.time): \(topology.timeline[index].action.keyword) refused: \(rejected.error.message)")
            } else if let name = rejected.peering, rejected.error.kind != .unknownObject {
                // Unknown VPCs of `peerings:` are already reported by validatePeeringReferences.
                report(sourceMap.path(.peering, name), "peering cannot be created: \(rejected.error.message)")
            }
        }
    }
}
