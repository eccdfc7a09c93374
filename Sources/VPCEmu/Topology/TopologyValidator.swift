/// Checks that need the whole topology: references between objects, containment of blocks and
/// addresses, duplicates, and the control plane's verdict on every peering and timeline event.
/// Every problem becomes a diagnostic pointing at the field that causes it.
struct TopologyValidator {
    let topology: Topology
    let sourceMap: TopologySourceMap
    let file: String
    var diagnostics: [TopologyDiagnostic] = []

    init(topology: Topology, sourceMap: TopologySourceMap, file: String) {
        self.topology = topology
        self.sourceMap = sourceMap
        self.file = file
    }

    mutating func report(_ path: String, _ message: String, found: String? = nil, expected: String? = nil) {
        diagnostics.append(TopologyDiagnostic(.error, file: file, location: sourceMap.location(path), path: path,
                                              message: message, found: found, expected: expected))
    }

    /// Whether the file declares an object of that name, even one that failed to decode: a
    /// reference to it is then not reported as unknown (its own error already is).
    func isDeclared(_ kind: TopologySourceMap.Kind, _ name: String) -> Bool {
        sourceMap.objectPaths[TopologySourceMap.key(kind, name)] != nil
    }

    func names<T>(_ items: [T], _ name: (T) -> String) -> String {
        var seen: Set<String> = []
        return items.map(name).filter { seen.insert($0).inserted }.joined(separator: ", ")
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
                       found: other, expected: "one of \(names(topology.regions.filter { $0.name != region.name }, \.name))")
            }
        }
        for vpc in topology.vpcs {
            let path = sourceMap.path(.vpc, vpc.name)
            if !accounts.contains(vpc.account), !isDeclared(.account, vpc.account) {
                report("\(path).account", "unknown account", found: "'\(vpc.account)'", expected: "one of \(names(topology.accounts, \.name))")
            }
            if !regions.contains(vpc.region), !isDeclared(.region, vpc.region) {
                report("\(path).region", "unknown region", found: "'\(vpc.region)'", expected: "one of \(names(topology.regions, \.name))")
            }
            for (i, secondary) in vpc.secondaryCIDRs.enumerated() {
                if let other = ([vpc.cidr] + vpc.secondaryCIDRs.prefix(i)).first(where: { $0.overlaps(secondary) }) {
                    report("\(path).secondary_cidrs[\(i)]", "secondary CIDR block overlaps another block of the VPC",
                           found: "\(secondary) overlapping \(other)", expected: "a block disjoint from the VPC's other blocks")
                }
            }
            validateVSwitches(of: vpc)
        }
        validateRoutes()
        validateInstances()
        validateSecurityGroups()
        validatePeeringReferences()
        if replayControlPlane { validateControlPlane() }
        for alert in topology.alerts {
            if let peering = alert.peering, ControlPlaneState(topology: topology).declaredPeerings[peering] == nil {
                report("\(sourceMap.path(.alert, alert.name)).peering", "unknown peering", found: "'\(peering)'", expected: "a peering declared in the file")
            }
        }
        return diagnostics
    }

    mutating func validateVSwitches(of vpc: VPC) {
        let vswitches = topology.vswitches.filter { $0.vpc == vpc.name }
        for (i, vswitch) in vswitches.enumerated() {
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
            for earlier in vswitches.prefix(i) {
                for a in vswitch.allCIDRs { for b in earlier.allCIDRs where a.overlaps(b) {
                    report("\(path).\(a.family == .ipv4 ? "cidr" : "ipv6_cidr")", "vSwitch blocks overlap within VPC '\(vpc.name)'",
                           found: "\(a) overlapping vSwitch '\(earlier.name)' \(b)", expected: "disjoint vSwitch blocks")
                } }
            }
            if let table = topology.routeTable(named: vswitch.routeTable) {
                if table.vpc != vpc.name {
                    report("\(path).route_table", "route table belongs to another VPC", found: "'\(table.name)' of VPC '\(table.vpc)'",
                           expected: "a route table of VPC '\(vpc.name)'")
                }
            } else if !isDeclared(.routeTable, vswitch.routeTable) {
                report("\(path).route_table", "unknown route table", found: "'\(vswitch.routeTable)'",
                       expected: "one of \(names(topology.routeTables.filter { $0.vpc == vpc.name }, \.name))")
            }
            if let aclName = vswitch.networkACL {
                if let acl = topology.networkACLs.first(where: { $0.name == aclName }) {
                    if acl.vpc != vpc.name {
                        report("\(path).network_acl", "network ACL belongs to another VPC", found: "'\(aclName)' of VPC '\(acl.vpc)'",
                               expected: "a network ACL of VPC '\(vpc.name)'")
                    }
                } else if !isDeclared(.networkACL, aclName) {
                    report("\(path).network_acl", "unknown network ACL", found: "'\(aclName)'",
                           expected: "one of \(names(topology.networkACLs.filter { $0.vpc == vpc.name }, \.name))")
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
        case .blackhole: return false
        }
    }

    mutating func validateInstances() {
        var owners: [String: [IPAddress: String]] = [:]  // VPC -> address -> instance
        for instance in topology.instances {
            let path = sourceMap.path(.instance, instance.name)
            guard let vswitch = topology.vswitch(named: instance.vswitch) else {
                if isDeclared(.vswitch, instance.vswitch) { continue }
                report("\(path).vswitch", "unknown vSwitch", found: "'\(instance.vswitch)'", expected: "one of \(names(topology.vswitches, \.name))")
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
                guard let declared = topology.securityGroups.first(where: { $0.name == group }) else {
                    if isDeclared(.securityGroup, group) { continue }
                    report(itemPath, "unknown security group", found: "'\(group)'",
                           expected: "one of \(names(topology.securityGroups.filter { $0.vpc == vswitch.vpc }, \.name))")
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
                    report("\(path).group", "unknown security group", found: "'\(peer)'", expected: "one of \(groups.sorted().joined(separator: ", "))")
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
                report("\(path).\(key)", "unknown VPC", found: "'\(vpc)'", expected: "one of \(declared.sorted().joined(separator: ", "))")
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
