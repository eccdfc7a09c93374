import Foundation

/// Reads a folder of Alibaba Cloud CLI / OpenAPI JSON outputs (`aliyun vpc DescribeVpcs`, …),
/// each recognised by its top-level key; lists come under their singular wrapper object
/// (`Vpcs.Vpc[]`) and the API sends many numbers as strings.
public enum AlibabaAPIImporter {
    /// The calls read, by the top-level key that identifies their output.
    static let calls: [(key: String, call: String)] = [
        ("Vpcs", "DescribeVpcs"), ("VSwitches", "DescribeVSwitches"), ("RouterTableList", "DescribeRouteTableList"),
        ("RouteEntrys", "DescribeRouteEntryList"), ("Instances", "DescribeInstances"), ("Permissions", "DescribeSecurityGroupAttribute"),
        ("NetworkAcls", "DescribeNetworkAcls"), ("VpcPeerConnects", "ListVpcPeerConnections"),
    ]
    /// Paging and request metadata beside the lists: ignored. The scalar fields of
    /// DescribeSecurityGroupAttribute sit at the top level too.
    static let metadataKeys: Set<String> = ["RequestId", "Success", "Code", "Message", "TotalCount", "PageNumber", "PageSize", "NextToken", "MaxResults", "Count",
                                           "SecurityGroupId", "SecurityGroupName", "VpcId", "RegionId", "Description", "InnerAccessPolicy"]

    public static func importDirectory(_ directory: String, warnings: inout [String]) throws(ImportError) -> ImportedTopology {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ImportError(file: directory, path: "", "not a directory", expected: "a folder of Alibaba Cloud API JSON outputs")
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        guard !names.isEmpty else { throw ImportError(file: directory, path: "", "no JSON files", expected: "outputs such as DescribeVpcs.json") }
        var files: [(name: String, data: Data)] = []
        for name in names {
            let path = "\(directory)/\(name)"
            do { files.append((path, try Data(contentsOf: URL(fileURLWithPath: path)))) } catch {
                throw ImportError(file: path, path: "", "cannot be read: \(error.localizedDescription)")
            }
        }
        return try importFiles(files, warnings: &warnings)
    }

    public static func importFiles(_ files: [(name: String, data: Data)], warnings: inout [String]) throws(ImportError) -> ImportedTopology {
        var roots: [(key: String, object: JSONObject)] = []
        for file in files {
            let object = try LocatedJSON.parse(file.data, file: file.name).object()
            let known = Set(calls.map(\.key))
            let unknown = object.keys.filter { !known.contains($0) && !metadataKeys.contains($0) }
            let keys = object.keys.filter(known.contains)
            guard unknown.isEmpty, keys.count == 1 else {
                let found = unknown.isEmpty ? "no list key" : "unknown top-level key \(unknown.map { "'\($0)'" }.joined(separator: ", "))"
                warnings.append("\(file.name): \(found): file skipped (expected the output of one of \(calls.map(\.call).joined(separator: ", ")))")
                continue
            }
            roots.append((keys[0], object))
        }
        var reader = Reader()
        // Peerings first: a route names a peering by id.
        for key in ["VpcPeerConnects", "Vpcs", "VSwitches", "RouterTableList", "RouteEntrys", "Permissions", "NetworkAcls", "Instances"] {
            for root in roots where root.key == key { try reader.read(key, root.object) }
        }
        return try reader.finish()
    }

    /// `22/22`, `1/65535`, `-1/-1` (all).
    static func ports(_ node: LocatedJSON) throws(ImportError) -> PortRange {
        let text = try node.string()
        if text == "-1/-1" || text.isEmpty { return .any }
        let bounds = text.split(separator: "/")
        guard bounds.count == 2, let lower = UInt16(bounds[0]), let upper = UInt16(bounds[1]), lower <= upper else {
            throw node.failure("bad port range \"\(text.prefix(40))\"", expected: "FROM/TO such as 22/22, or -1/-1")
        }
        return PortRange(lower, upper)
    }

    /// `TCP`, `UDP`, `ICMP`, `ICMPv6`, `ALL` (any case); nil for others (GRE), which are not modelled.
    static func ruleProtocol(_ text: String) -> RuleProtocol? {
        switch text.lowercased() {
        case "all", "-1": .all
        case "tcp": .tcp
        case "udp": .udp
        case "icmp": .icmp
        case "icmpv6": .icmpv6
        default: nil
        }
    }

    /// Alibaba Cloud peering states (ListVpcPeerConnections, alicloud_vpc_peer_connection).
    static func peeringStatus(_ node: LocatedJSON) throws(ImportError) -> CloudNetwork.PeeringStatus {
        let text = try node.string()
        switch text {
        case "Activated": return .active
        case "Accepting": return .pendingAcceptance
        case "Creating", "Updating": return .provisioning
        case "Deleting": return .deleting
        case "Deleted": return .deleted
        case "Rejected": return .rejected
        case "Expired": return .expired
        default: throw node.failure("unknown peering status '\(text)'", expected: "one of Creating, Accepting, Updating, Activated, Deleting, Deleted, Rejected, Expired")
        }
    }

    /// Next hops of custom routes (DescribeRouteEntryList `NextHopType`, alicloud_route_entry `nexthop_type`).
    static func routeTarget(type: String, id: String) -> CloudNetwork.RouteTarget {
        switch type {
        case "Instance", "NetworkInterface": return .instance(id)
        case "VpcPeer": return .peering(id)
        case "VpnGateway": return .gateway(ExternalGateway(id: id, kind: .vpnGateway))
        case "NatGateway": return .gateway(ExternalGateway(id: id, kind: .natGateway))
        case "RouterInterface": return .gateway(ExternalGateway(id: id, kind: .routerInterface))
        case "IPv6Gateway": return .gateway(ExternalGateway(id: id, kind: .ipv6Gateway))
        case "Attachment", "TransitRouter": return .gateway(ExternalGateway(id: id, kind: .transitGateway))
        case "GatewayEndpoint": return .gateway(ExternalGateway(id: id, kind: .vpcEndpoint))
        default: return .gateway(ExternalGateway(id: id.isEmpty ? type : id, kind: .other))
        }
    }

    struct Reader {
        var network = CloudNetwork(profile: .alibaba)
        var tableOfVSwitch: [String: String] = [:]

        /// The items of `Wrapper.Item[]` (the API's list shape), or of a bare list.
        static func items(_ object: JSONObject, _ key: String, _ item: String) throws(ImportError) -> [JSONObject] {
            guard let wrapper = object.optional(key) else { return [] }
            if case .array = wrapper.value { return try object.objects(key) }
            return try wrapper.object().objects(item)
        }

        static func strings(_ object: JSONObject, _ key: String, _ item: String) throws(ImportError) -> [LocatedJSON] {
            guard let wrapper = object.optional(key) else { return [] }
            if case .array(let list) = wrapper.value { return list }
            return try wrapper.object().list(item)
        }

        static func origin(_ object: JSONObject) -> CloudNetwork.Origin { CloudNetwork.Origin(file: object.node.file, path: object.path) }

        static func owner(_ object: JSONObject) throws(ImportError) -> String {
            guard let node = object.optional("OwnerId") else { return "account" }
            if case .number(let text) = node.value { return text }
            return try node.string()
        }

        mutating func read(_ key: String, _ root: JSONObject) throws(ImportError) {
            switch key {
            case "Vpcs":
                for vpc in try Self.items(root, "Vpcs", "Vpc") {
                    let id = try vpc.string("VpcId")
                    try network.claim(id, kind: "VPC", at: Self.origin(vpc))
                    var cidrs = [try vpc.required("CidrBlock").network(family: .ipv4)]
                    for block in try Self.strings(vpc, "SecondaryCidrBlocks", "SecondaryCidrBlock") { cidrs.append(try block.network(family: .ipv4)) }
                    let ipv6 = try vpc.optional("Ipv6CidrBlock").flatMap { (node: LocatedJSON) throws(ImportError) -> IPNetwork? in
                        try node.string().isEmpty ? nil : node.network(family: .ipv6)
                    }
                    network.vpcs.append(CloudNetwork.VPC(id: id, nameTag: try vpc.optionalString("VpcName"), account: try Self.owner(vpc),
                                                         region: try vpc.string("RegionId"), cidrs: cidrs, ipv6CIDRs: ipv6.map { [$0] } ?? [],
                                                         origin: Self.origin(vpc)))
                }
            case "VSwitches":
                for vswitch in try Self.items(root, "VSwitches", "VSwitch") {
                    let id = try vswitch.string("VSwitchId")
                    try network.claim(id, kind: "vSwitch", at: Self.origin(vswitch))
                    if let table = try vswitch.optional("RouteTable")?.object().optionalString("RouteTableId") { tableOfVSwitch[id] = table }
                    let ipv6 = try vswitch.optional("Ipv6CidrBlock").flatMap { (node: LocatedJSON) throws(ImportError) -> IPNetwork? in
                        try node.string().isEmpty ? nil : node.network(family: .ipv6)
                    }
                    network.subnets.append(CloudNetwork.Subnet(id: id, nameTag: try vswitch.optionalString("VSwitchName"), vpc: try vswitch.string("VpcId"),
                                                               zone: try vswitch.string("ZoneId"), cidr: try vswitch.required("CidrBlock").network(family: .ipv4),
                                                               ipv6CIDR: ipv6, origin: Self.origin(vswitch)))
                    if let acl = try vswitch.optionalString("NetworkAclId"), !acl.isEmpty { aclOfVSwitch[id] = acl }
                }
            case "RouterTableList":
                for table in try Self.items(root, "RouterTableList", "RouterTableListType") {
                    let id = try table.string("RouteTableId")
                    try network.claim(id, kind: "route table", at: Self.origin(table))
                    let vswitches = try Self.strings(table, "VSwitchIds", "VSwitchId").map { (node: LocatedJSON) throws(ImportError) -> String in try node.string() }
                    network.routeTables.append(CloudNetwork.RouteTable(id: id, nameTag: try table.optionalString("RouteTableName"), vpc: try table.string("VpcId"),
                                                                       isMain: try table.optionalString("RouteTableType") == "System",
                                                                       subnets: vswitches, routes: [], origin: Self.origin(table)))
                }
            case "RouteEntrys":
                for entry in try Self.items(root, "RouteEntrys", "RouteEntry") {
                    // System routes are derived from the vSwitch blocks, as the cloud derives them.
                    if try entry.optionalString("Type") == "System" { continue }
                    let tableID = try entry.string("RouteTableId")
                    guard let position = network.routeTables.firstIndex(where: { $0.id == tableID }) else {
                        throw ImportError(file: entry.node.file, path: entry.path + ".RouteTableId", "route entry of unknown route table '\(tableID)'",
                                          expected: "a table of DescribeRouteTableList")
                    }
                    let destination = try entry.required("DestinationCidrBlock").network()
                    let hops = try Self.items(entry, "NextHops", "NextHop")
                    guard let hop = hops.first else {
                        throw ImportError(file: entry.node.file, path: entry.path + ".NextHops", "route entry without a next hop", expected: "NextHops.NextHop[0]")
                    }
                    if hops.count > 1 { network.notices.add("ECMP route entries (several next hops)", fate: "the first next hop only", id: tableID) }
                    let type = try hop.string("NextHopType"), id = try hop.optionalString("NextHopId") ?? ""
                    let target = AlibabaAPIImporter.routeTarget(type: type, id: id)
                    if case .peering(let peering) = target, !network.peerings.contains(where: { $0.id == peering }) {
                        throw ImportError(file: hop.node.file, path: hop.path + ".NextHopId", "route to unknown peering id '\(peering)'",
                                          expected: "a peering of ListVpcPeerConnections")
                    }
                    network.routeTables[position].routes.append(CloudNetwork.Route(destination: destination, target: target, origin: Self.origin(entry)))
                }
            case "Permissions":
                let id = try root.string("SecurityGroupId")
                try network.claim(id, kind: "security group", at: Self.origin(root))
                var rules: [CloudNetwork.Rule] = []
                for permission in try Self.items(root, "Permissions", "Permission") {
                    if let rule = try readPermission(permission) { rules.append(rule) }
                }
                network.securityGroups.append(CloudNetwork.SecurityGroup(id: id, nameTag: try root.optionalString("SecurityGroupName"),
                                                                         vpc: try root.string("VpcId"), rules: rules, origin: Self.origin(root)))
            case "NetworkAcls":
                for acl in try Self.items(root, "NetworkAcls", "NetworkAcl") {
                    let id = try acl.string("NetworkAclId")
                    try network.claim(id, kind: "network ACL", at: Self.origin(acl))
                    var entries: [CloudNetwork.ACLEntry] = []
                    for (wrapper, item, egress, cidrKey) in [("IngressAclEntries", "IngressAclEntry", false, "SourceCidrIp"),
                                                             ("EgressAclEntries", "EgressAclEntry", true, "DestinationCidrIp")] {
                        for (position, entry) in try Self.items(acl, wrapper, item).enumerated() {
                            guard let ipProtocol = AlibabaAPIImporter.ruleProtocol(try entry.string("Protocol")) else {
                                network.notices.add("network ACL entries for IP protocols other than TCP, UDP, ICMP and ICMPv6", fate: "omitted", id: id)
                                continue
                            }
                            let policy = try entry.string("Policy").lowercased()
                            // Entries are evaluated in list order (the API lists them by priority).
                            entries.append(CloudNetwork.ACLEntry(ruleNumber: position + 1, egress: egress, allow: policy == "accept", ipProtocol: ipProtocol,
                                                                 ports: ipProtocol.hasPorts ? try entry.optional("Port").map(AlibabaAPIImporter.ports) ?? .any : .any,
                                                                 cidr: try entry.required(cidrKey).network()))
                        }
                    }
                    var vswitches: [String] = []
                    for resource in try Self.items(acl, "Resources", "Resource") {
                        let type = try resource.optionalString("ResourceType")
                        if type == nil || type == "VSwitch" { vswitches.append(try resource.string("ResourceId")) }
                    }
                    network.networkACLs.append(CloudNetwork.NetworkACL(id: id, nameTag: try acl.optionalString("NetworkAclName"), vpc: try acl.string("VpcId"),
                                                                       isDefault: false, subnets: vswitches, entries: entries, origin: Self.origin(acl)))
                }
            case "VpcPeerConnects":
                for peering in try Self.items(root, "VpcPeerConnects", "VpcPeerConnect") {
                    let id = try peering.string("InstanceId")
                    try network.claim(id, kind: "peering", at: Self.origin(peering))
                    // The older response names the VPCs flat (VpcId), the newer in objects (Vpc.VpcId).
                    var requester = try peering.optionalString("VpcId")
                    if requester == nil { requester = try peering.required("Vpc").object().string("VpcId") }
                    var accepter = try peering.optionalString("AcceptingVpcId")
                    if accepter == nil { accepter = try peering.required("AcceptingVpc").object().string("VpcId") }
                    network.peerings.append(CloudNetwork.Peering(id: id, nameTag: try peering.optionalString("Name"), requesterVPC: requester!,
                                                                 accepterVPC: accepter!, status: try AlibabaAPIImporter.peeringStatus(peering.required("Status")),
                                                                 bandwidthMbps: try peering.optional("Bandwidth")?.int(), origin: Self.origin(peering)))
                }
            default:
                for instance in try Self.items(root, "Instances", "Instance") { try readInstance(instance) }
            }
        }

        var aclOfVSwitch: [String: String] = [:]

        mutating func readPermission(_ permission: JSONObject) throws(ImportError) -> CloudNetwork.Rule? {
            let direction: TrafficDirection = try permission.string("Direction") == "egress" ? .egress : .ingress
            let protocolText = try permission.string("IpProtocol")
            guard let ipProtocol = AlibabaAPIImporter.ruleProtocol(protocolText) else {
                network.notices.add("security-group rules for IP protocols other than TCP, UDP, ICMP and ICMPv6", fate: "omitted", id: protocolText)
                return nil
            }
            let ports = ipProtocol.hasPorts ? try permission.optional("PortRange").map(AlibabaAPIImporter.ports) ?? .any : .any
            let side = direction == .ingress ? "Source" : "Dest"
            let peer: CloudNetwork.RulePeer
            if let cidr = permission.optional("\(side)CidrIp"), try !cidr.string().isEmpty {
                peer = .cidr(try cidr.network(family: .ipv4))
            } else if let cidr = permission.optional("Ipv6\(side)CidrIp"), try !cidr.string().isEmpty {
                peer = .cidr(try cidr.network(family: .ipv6))
            } else if let group = try permission.optionalString("\(side)GroupId"), !group.isEmpty {
                peer = .group(group, account: try permission.optionalString("\(side)GroupOwnerAccount"))
            } else {
                throw ImportError(file: permission.node.file, path: permission.path, "rule without a peer",
                                  expected: "\(side)CidrIp, Ipv6\(side)CidrIp or \(side)GroupId")
            }
            let priority = try permission.optional("Priority")?.int() ?? 1
            guard SecurityGroupRule.priorities.contains(priority) else {
                throw ImportError(file: permission.node.file, path: permission.path + ".Priority", "priority \(priority) out of range", expected: "1 to 100")
            }
            return CloudNetwork.Rule(direction: direction, allow: try permission.optionalString("Policy")?.lowercased() != "drop", priority: priority,
                                     ipProtocol: ipProtocol, ports: ports, peer: peer, description: try permission.optionalString("Description"),
                                     origin: Self.origin(permission))
        }

        mutating func readInstance(_ instance: JSONObject) throws(ImportError) {
            let id = try instance.string("InstanceId")
            try network.claim(id, kind: "instance", at: Self.origin(instance))
            let vpc = try instance.required("VpcAttributes").object()
            let vswitch = try vpc.string("VSwitchId")
            var addresses: [IPAddress] = []
            for address in try Self.strings(vpc, "PrivateIpAddress", "IpAddress") { addresses.append(try address.address()) }
            for interface in try Self.items(instance, "NetworkInterfaces", "NetworkInterface") {
                let type = try interface.optionalString("Type")
                guard type == nil || type == "Primary" else {
                    network.notices.add("secondary elastic network interfaces", fate: "omitted (DescribeInstances does not give their vSwitch)",
                                        id: try interface.optionalString("NetworkInterfaceId"))
                    continue
                }
                for set in try Self.items(interface, "PrivateIpSets", "PrivateIpSet") {
                    let address = try set.required("PrivateIpAddress").address()
                    if !addresses.contains(address) { addresses.append(address) }
                }
                for set in try Self.items(interface, "Ipv6Sets", "Ipv6Set") { addresses.append(try set.required("Ipv6Address").address()) }
            }
            let groups = try Self.strings(instance, "SecurityGroupIds", "SecurityGroupId").map { (node: LocatedJSON) throws(ImportError) -> String in try node.string() }
            network.instances.append(CloudNetwork.Instance(id: id, nameTag: try instance.optionalString("InstanceName"),
                                                           interfaces: [CloudNetwork.Interface(id: id, subnet: vswitch, deviceIndex: 0, addresses: addresses, groups: groups)],
                                                           origin: Self.origin(instance)))
        }

        mutating func finish() throws(ImportError) -> ImportedTopology {
            for (vswitch, table) in tableOfVSwitch.sorted(by: { $0.key < $1.key }) {
                if let position = network.routeTables.firstIndex(where: { $0.id == table }), !network.routeTables[position].isMain,
                   !network.routeTables[position].subnets.contains(vswitch) {
                    network.routeTables[position].subnets.append(vswitch)
                }
            }
            for (vswitch, acl) in aclOfVSwitch.sorted(by: { $0.key < $1.key }) {
                if let position = network.networkACLs.firstIndex(where: { $0.id == acl }), !network.networkACLs[position].subnets.contains(vswitch) {
                    network.networkACLs[position].subnets.append(vswitch)
                }
            }
            return try CloudNetworkBuilder.build(network)
        }
    }
}
