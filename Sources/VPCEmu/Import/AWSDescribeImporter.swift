import Foundation

/// Reads a folder of `aws ec2 describe-*` outputs (one JSON file per call, recognised by its
/// top-level key, not its name) in the layouts Batfish reads: `DIR/`, `DIR/<region>/`,
/// `DIR/accounts/<account>/<region>/` (and any of them under `DIR/aws_configs/`).
public enum AWSDescribeImporter {
    /// Keys read into the model.
    static let modelledKeys: Set<String> = ["Vpcs", "Subnets", "RouteTables", "SecurityGroups", "NetworkAcls", "Reservations",
                                            "NetworkInterfaces", "VpcPeeringConnections"]
    /// Keys of objects VPCEmu does not model: counted, with what becomes of them.
    static let unmodelledKeys: [String: (kind: String, fate: String)] = [
        "InternetGateways": ("internet gateways", "not modelled: routes to them are external next hops (leave the modelled network)"),
        "EgressOnlyInternetGateways": ("egress-only internet gateways", "not modelled: routes to them are external next hops"),
        "NatGateways": ("NAT gateways", "not modelled: routes to them are external next hops"),
        "VpnGateways": ("virtual private gateways", "not modelled: routes to them are external next hops"),
        "VpnConnections": ("VPN connections", "not modelled (what lies beyond the gateway is outside the model)"),
        "CustomerGateways": ("customer gateways", "not modelled"),
        "TransitGateways": ("transit gateways", "not modelled: routes to them are external next hops"),
        "TransitGatewayAttachments": ("transit gateway attachments", "not modelled"),
        "TransitGatewayRouteTables": ("transit gateway route tables", "not modelled"),
        "TransitGatewayVpcAttachments": ("transit gateway VPC attachments", "not modelled"),
        "VpcEndpoints": ("VPC endpoints", "not modelled: routes to them are external next hops"),
        "PrefixLists": ("prefix lists", "not modelled: routes and rules naming them are omitted"),
        "ManagedPrefixLists": ("managed prefix lists", "not modelled: routes and rules naming them are omitted"),
        "Addresses": ("elastic IP addresses", "not modelled (public addresses are outside the model)"),
        "AvailabilityZones": ("availability zones", "used for the region name only"),
        "LoadBalancers": ("load balancers", "not modelled"),
        "LoadBalancerDescriptions": ("classic load balancers", "not modelled"),
        "TargetGroups": ("target groups", "not modelled"),
        "DBInstances": ("RDS instances", "not modelled"),
        "DomainStatusList": ("OpenSearch domains", "not modelled"),
        "Regions": ("regions", "not modelled"),
        "ClassicLinkInstances": ("ClassicLink instances", "not modelled"),
    ]
    /// Keys the CLI adds to paged output: ignored.
    static let ignoredKeys: Set<String> = ["NextToken", "ResponseMetadata"]

    /// The JSON files to read, sorted, each with the account and region its folder names.
    static func inputFiles(_ directory: String) throws(ImportError) -> [(path: String, account: String?, region: String?)] {
        let manager = FileManager.default
        var root = directory
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ImportError(file: directory, path: "", "not a directory", expected: "a folder of aws ec2 describe-* JSON outputs")
        }
        if manager.fileExists(atPath: root + "/aws_configs", isDirectory: &isDirectory), isDirectory.boolValue { root += "/aws_configs" }
        func entries(_ path: String) -> [String] { ((try? manager.contentsOfDirectory(atPath: path)) ?? []).sorted() }
        func isFolder(_ path: String) -> Bool { manager.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue }
        func jsonFiles(_ path: String) -> [String] { entries(path).filter { $0.hasSuffix(".json") }.map { "\(path)/\($0)" }.filter { !isFolder($0) } }
        var files: [(path: String, account: String?, region: String?)] = jsonFiles(root).map { ($0, nil, nil) }
        for entry in entries(root) where isFolder("\(root)/\(entry)") {
            if entry == "accounts" {
                for account in entries("\(root)/accounts") where isFolder("\(root)/accounts/\(account)") {
                    files += jsonFiles("\(root)/accounts/\(account)").map { ($0, account, nil) }
                    for region in entries("\(root)/accounts/\(account)") where isFolder("\(root)/accounts/\(account)/\(region)") {
                        files += jsonFiles("\(root)/accounts/\(account)/\(region)").map { ($0, account, region) }
                    }
                }
            } else {
                files += jsonFiles("\(root)/\(entry)").map { ($0, nil, entry) }
            }
        }
        guard !files.isEmpty else {
            throw ImportError(file: directory, path: "", "no JSON files", expected: "aws ec2 describe-* outputs such as Vpcs.json")
        }
        return files
    }

    /// Imports the folder; `warnings` receives one line per skipped file.
    public static func importDirectory(_ directory: String, warnings: inout [String]) throws(ImportError) -> ImportedTopology {
        var reader = Reader()
        for file in try inputFiles(directory) {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: file.path)) } catch {
                throw ImportError(file: file.path, path: "", "cannot be read: \(error.localizedDescription)")
            }
            try reader.read(LocatedJSON.parse(data, file: file.path), account: file.account, region: file.region, warnings: &warnings)
        }
        return try reader.finish()
    }

    /// Imports already parsed files (tests, fuzzing): (file name, bytes) in order.
    public static func importFiles(_ files: [(name: String, data: Data)], warnings: inout [String]) throws(ImportError) -> ImportedTopology {
        var reader = Reader()
        for file in files { try reader.read(LocatedJSON.parse(file.data, file: file.name), account: nil, region: nil, warnings: &warnings) }
        return try reader.finish()
    }

    struct Reader {
        var network = CloudNetwork(profile: .aws)
        /// Files by top-level key, read once every file is known (a route table may name a
        /// peering read later); the folder's account and region go with each.
        var sections: [(key: String, value: LocatedJSON, account: String?, region: String?)] = []
        var zonesToRegion: [String: String] = [:]
        var peeringIDs: Set<String> = []

        mutating func read(_ root: LocatedJSON, account: String?, region: String?, warnings: inout [String]) throws(ImportError) {
            let object = try root.object()
            let unknown = object.keys.filter { !modelledKeys.contains($0) && unmodelledKeys[$0] == nil && !ignoredKeys.contains($0) }
            guard unknown.isEmpty else {
                warnings.append("\(root.file): unknown top-level key \(unknown.map { "'\($0)'" }.joined(separator: ", ")): file skipped (expected the output of an aws ec2 describe-* call, e.g. {\"Vpcs\": [...]})")
                return
            }
            for (key, value) in object.members where !ignoredKeys.contains(key) {
                if let (kind, fate) = unmodelledKeys[key] {
                    let items = try value.array()
                    if key == "AvailabilityZones" {
                        for item in items {
                            let zone = try item.object()
                            if let name = try zone.optionalString("ZoneName"), let region = try zone.optionalString("RegionName") { zonesToRegion[name] = region }
                        }
                    }
                    for item in items {
                        // The object's own id (`VpnConnections[0].VpnConnectionId`), else its first id.
                        let members = (try? item.object())?.members ?? []
                        let own = members.first { $0.key == String(key.dropLast()) + "Id" } ?? members.first { $0.key.hasSuffix("Id") && $0.key != "OwnerId" }
                        let id = own.flatMap { try? $0.value.string() }
                        network.notices.add(kind, fate: fate, id: id)
                    }
                } else {
                    sections.append((key, value, account, region))
                }
            }
        }

        /// The region of an object: its folder's, else its zone's (`us-east-2b` → `us-east-2`).
        func region(_ folder: String?, zone: String?) -> String? {
            if let folder { return folder }
            guard let zone else { return nil }
            if let region = zonesToRegion[zone] { return region }
            var region = zone
            while let last = region.last, last.isLetter { region.removeLast() }
            return region.isEmpty ? nil : region
        }

        static func nameTag(_ object: JSONObject, key: String = "Tags") throws(ImportError) -> String? {
            for tag in try object.objects(key) {
                let key = try tag.optionalString("Key")
                if key == "Name" { return try tag.optionalString("Value") }
            }
            return nil
        }

        mutating func finish() throws(ImportError) -> ImportedTopology {
            // Subnets first: a VPC's region comes from its subnets' zones in a flat folder.
            var vpcRegion: [String: String] = [:]
            for section in sections where section.key == "Subnets" {
                for item in try section.value.array() {
                    let subnet = try item.object()
                    if let vpc = try subnet.optionalString("VpcId"), let region = region(section.region, zone: try subnet.optionalString("AvailabilityZone")) {
                        vpcRegion[vpc] = vpcRegion[vpc] ?? region
                    }
                }
            }
            for section in sections where section.key == "VpcPeeringConnections" {
                for item in try section.value.array() { peeringIDs.insert(try item.object().string("VpcPeeringConnectionId")) }
            }
            for key in ["Vpcs", "Subnets", "RouteTables", "SecurityGroups", "NetworkAcls", "VpcPeeringConnections", "Reservations", "NetworkInterfaces"] {
                for section in sections where section.key == key {
                    for item in try section.value.array() {
                        let object = try item.object()
                        let origin = CloudNetwork.Origin(file: item.file, path: item.path)
                        switch key {
                        case "Vpcs":
                            let id = try object.string("VpcId")
                            try readVPC(object, origin, account: section.account, region: section.region ?? vpcRegion[id])
                        case "Subnets": try readSubnet(object, origin)
                        case "RouteTables": try readRouteTable(object, origin)
                        case "SecurityGroups": try readSecurityGroup(object, origin)
                        case "NetworkAcls": try readNetworkACL(object, origin)
                        case "VpcPeeringConnections": try readPeering(object, origin)
                        case "Reservations": for instance in try object.objects("Instances") { try readInstance(instance, CloudNetwork.Origin(file: item.file, path: instance.path)) }
                        default: try readInterface(object, origin)
                        }
                    }
                }
            }
            return try CloudNetworkBuilder.build(network)
        }

        mutating func readVPC(_ vpc: JSONObject, _ origin: CloudNetwork.Origin, account: String?, region: String?) throws(ImportError) {
            let id = try vpc.string("VpcId")
            try network.claim(id, kind: "VPC", at: origin)
            var cidrs = [try vpc.required("CidrBlock").network(family: .ipv4)]
            for association in try vpc.objects("CidrBlockAssociationSet") {
                let block = try association.required("CidrBlock").network(family: .ipv4)
                let state = try association.optional("CidrBlockState")?.object().optionalString("State") ?? "associated"
                if state == "associated", !cidrs.contains(block) { cidrs.append(block) }
            }
            var ipv6: [IPNetwork] = []
            for association in try vpc.objects("Ipv6CidrBlockAssociationSet") {
                let state = try association.optional("Ipv6CidrBlockState")?.object().optionalString("State") ?? "associated"
                if state == "associated" { ipv6.append(try association.required("Ipv6CidrBlock").network(family: .ipv6)) }
            }
            var owner = account
            if owner == nil { owner = try vpc.optionalString("OwnerId") }
            network.vpcs.append(CloudNetwork.VPC(id: id, nameTag: try Self.nameTag(vpc), account: owner ?? "account", region: region ?? "unknown-region",
                                                 cidrs: cidrs, ipv6CIDRs: ipv6, origin: origin))
        }

        mutating func readSubnet(_ subnet: JSONObject, _ origin: CloudNetwork.Origin) throws(ImportError) {
            let id = try subnet.string("SubnetId")
            try network.claim(id, kind: "subnet", at: origin)
            var ipv6: IPNetwork?
            for association in try subnet.objects("Ipv6CidrBlockAssociationSet") {
                let state = try association.optional("Ipv6CidrBlockState")?.object().optionalString("State") ?? "associated"
                if state == "associated", ipv6 == nil { ipv6 = try association.required("Ipv6CidrBlock").network(family: .ipv6) }
            }
            network.subnets.append(CloudNetwork.Subnet(id: id, nameTag: try Self.nameTag(subnet), vpc: try subnet.string("VpcId"),
                                                       zone: try subnet.optionalString("AvailabilityZone") ?? "unknown-zone",
                                                       cidr: try subnet.required("CidrBlock").network(family: .ipv4), ipv6CIDR: ipv6, origin: origin))
        }

        /// Route targets by the key the API gives them under.
        static let gatewayKinds: [(prefix: String, kind: ExternalGateway.Kind)] = [
            ("igw-", .internetGateway), ("vgw-", .vpnGateway), ("vpce-", .vpcEndpoint), ("lgw-", .localGateway),
        ]

        mutating func readRouteTable(_ table: JSONObject, _ origin: CloudNetwork.Origin) throws(ImportError) {
            let id = try table.string("RouteTableId")
            try network.claim(id, kind: "route table", at: origin)
            var isMain = false
            var subnets: [String] = []
            for association in try table.objects("Associations") {
                if let main = try association.optional("Main")?.bool(), main { isMain = true }
                if let subnet = try association.optionalString("SubnetId") { subnets.append(subnet) }
                if try association.optionalString("GatewayId") != nil {
                    network.notices.add("gateway route table associations (edge routing)", fate: "not modelled", id: id)
                }
            }
            var routes: [CloudNetwork.Route] = []
            for route in try table.objects("Routes") {
                let origin = CloudNetwork.Origin(file: route.node.file, path: route.path)
                let destination: IPNetwork
                if let cidr = route.optional("DestinationCidrBlock") {
                    destination = try cidr.network(family: .ipv4)
                } else if let cidr = route.optional("DestinationIpv6CidrBlock") {
                    destination = try cidr.network(family: .ipv6)
                } else if let list = try route.optionalString("DestinationPrefixListId") {
                    network.notices.add("routes to prefix-list destinations", fate: "unsupported: omitted", id: "\(id) \(list)")
                    continue
                } else {
                    throw origin.error("route without a destination", expected: "DestinationCidrBlock, DestinationIpv6CidrBlock or DestinationPrefixListId")
                }
                let target = try Self.routeTarget(route, origin)
                if try route.optionalString("State") == "blackhole" {
                    // The target is gone (deleted gateway, peering or instance): the cloud drops.
                    routes.append(CloudNetwork.Route(destination: destination, target: .blackhole, origin: origin))
                } else {
                    if case .peering(let peering) = target, !peeringIDs.contains(peering) {
                        throw ImportError(file: route.node.file, path: route.path + ".VpcPeeringConnectionId",
                                          "route to unknown peering id '\(peering)'", expected: "a peering of the input's VpcPeeringConnections")
                    }
                    routes.append(CloudNetwork.Route(destination: destination, target: target, origin: origin))
                }
            }
            network.routeTables.append(CloudNetwork.RouteTable(id: id, nameTag: try Self.nameTag(table), vpc: try table.string("VpcId"), isMain: isMain,
                                                               subnets: subnets, routes: routes, origin: origin))
        }

        static func routeTarget(_ route: JSONObject, _ origin: CloudNetwork.Origin) throws(ImportError) -> CloudNetwork.RouteTarget {
            if let peering = try route.optionalString("VpcPeeringConnectionId") { return .peering(peering) }
            if let interface = try route.optionalString("NetworkInterfaceId") { return .instance(interface) }
            if let instance = try route.optionalString("InstanceId") { return .instance(instance) }
            let keyed: [(String, ExternalGateway.Kind)] = [("NatGatewayId", .natGateway), ("TransitGatewayId", .transitGateway),
                                                           ("EgressOnlyInternetGatewayId", .egressOnlyInternetGateway),
                                                           ("LocalGatewayId", .localGateway), ("CarrierGatewayId", .carrierGateway),
                                                           ("CoreNetworkArn", .other)]
            for (key, kind) in keyed { if let id = try route.optionalString(key) { return .gateway(ExternalGateway(id: id, kind: kind)) } }
            if let gateway = try route.optionalString("GatewayId") {
                if gateway == "local" { return .local }
                let kind = gatewayKinds.first { gateway.hasPrefix($0.prefix) }?.kind ?? .other
                return .gateway(ExternalGateway(id: gateway, kind: kind))
            }
            throw origin.error("route without a target", expected: "GatewayId, VpcPeeringConnectionId, NatGatewayId, … as aws ec2 describe-route-tables gives")
        }

        mutating func readSecurityGroup(_ group: JSONObject, _ origin: CloudNetwork.Origin) throws(ImportError) {
            let id = try group.string("GroupId")
            try network.claim(id, kind: "security group", at: origin)
            var rules: [CloudNetwork.Rule] = []
            for (key, direction) in [("IpPermissions", TrafficDirection.ingress), ("IpPermissionsEgress", .egress)] {
                for permission in try group.objects(key) {
                    rules += try readPermission(permission, direction: direction, group: id)
                }
            }
            var name = try Self.nameTag(group)
            if name == nil { name = try group.optionalString("GroupName") }
            network.securityGroups.append(CloudNetwork.SecurityGroup(id: id, nameTag: name, vpc: try group.string("VpcId"), rules: rules, origin: origin))
        }

        /// Protocol and ports of an `IpPermissions` item or a network ACL entry (ports under
        /// `PortRange` there, ICMP under `IcmpTypeCode`).
        mutating func protocolAndPorts(_ object: JSONObject, protocolKey: String, context: String) throws(ImportError) -> (RuleProtocol, PortRange)? {
            let value = try object.required(protocolKey)
            let text: String
            if case .string(let written) = value.value { text = written } else { text = String(try value.int()) }
            let range = try object.optional("PortRange")?.object() ?? object
            var from = try range.optional("FromPort")?.int()
            let to = try range.optional("ToPort")?.int()
            if let icmp = try object.optional("IcmpTypeCode")?.object() { from = try icmp.optional("Type")?.int() }
            return try network.awsProtocolAndPorts(text, from: from, to: to, at: CloudNetwork.Origin(file: range.node.file, path: range.path + ".ToPort"),
                                                   context: context)
        }

        mutating func readPermission(_ permission: JSONObject, direction: TrafficDirection, group: String) throws(ImportError) -> [CloudNetwork.Rule] {
            guard let (ipProtocol, ports) = try protocolAndPorts(permission, protocolKey: "IpProtocol", context: "security-group rules") else { return [] }
            let origin = CloudNetwork.Origin(file: permission.node.file, path: permission.path)
            var rules: [CloudNetwork.Rule] = []
            func rule(_ peer: CloudNetwork.RulePeer, _ description: String?) -> CloudNetwork.Rule {
                CloudNetwork.Rule(direction: direction, ipProtocol: ipProtocol, ports: ports, peer: peer, description: description, origin: origin)
            }
            for range in try permission.objects("IpRanges") {
                rules.append(rule(.cidr(try range.required("CidrIp").network(family: .ipv4)), try range.optionalString("Description")))
            }
            for range in try permission.objects("Ipv6Ranges") {
                rules.append(rule(.cidr(try range.required("CidrIpv6").network(family: .ipv6)), try range.optionalString("Description")))
            }
            for pair in try permission.objects("UserIdGroupPairs") {
                // A group of this VPC, of a peered VPC, or of another account (UserId).
                rules.append(rule(.group(try pair.string("GroupId"), account: try pair.optionalString("UserId")), try pair.optionalString("Description")))
            }
            for list in try permission.objects("PrefixListIds") {
                network.notices.add("security-group rules naming prefix lists", fate: "unsupported: omitted", id: "\(group) \(try list.optionalString("PrefixListId") ?? "?")")
            }
            return rules
        }

        mutating func readNetworkACL(_ acl: JSONObject, _ origin: CloudNetwork.Origin) throws(ImportError) {
            let id = try acl.string("NetworkAclId")
            try network.claim(id, kind: "network ACL", at: origin)
            var entries: [CloudNetwork.ACLEntry] = []
            for entry in try acl.objects("Entries") {
                let number = try entry.required("RuleNumber").int()
                // 32767 is the `*` rule: deny what no other entry matched, the model's default.
                if number == 32767 { continue }
                guard let (ipProtocol, ports) = try protocolAndPorts(entry, protocolKey: "Protocol", context: "network ACL entries") else { continue }
                let cidr = if let v4 = entry.optional("CidrBlock") { try v4.network(family: .ipv4) } else { try entry.required("Ipv6CidrBlock").network(family: .ipv6) }
                let action = try entry.string("RuleAction")
                guard action == "allow" || action == "deny" else {
                    throw ImportError(file: entry.node.file, path: entry.path + ".RuleAction", "unknown rule action '\(action)'", expected: "allow or deny")
                }
                entries.append(CloudNetwork.ACLEntry(ruleNumber: number, egress: try entry.required("Egress").bool(), allow: action == "allow",
                                                     ipProtocol: ipProtocol, ports: ports, cidr: cidr))
            }
            var subnets: [String] = []
            for association in try acl.objects("Associations") { if let subnet = try association.optionalString("SubnetId") { subnets.append(subnet) } }
            network.networkACLs.append(CloudNetwork.NetworkACL(id: id, nameTag: try Self.nameTag(acl), vpc: try acl.string("VpcId"),
                                                               isDefault: try acl.optional("IsDefault")?.bool() ?? false, subnets: subnets,
                                                               entries: entries, origin: origin))
        }

        /// A peering seen from both accounts is read twice with the same id: one peering.
        mutating func readPeering(_ peering: JSONObject, _ origin: CloudNetwork.Origin) throws(ImportError) {
            let id = try peering.string("VpcPeeringConnectionId")
            let requester = try peering.required("RequesterVpcInfo").object().string("VpcId")
            let accepter = try peering.required("AccepterVpcInfo").object().string("VpcId")
            let statusNode = try peering.required("Status").object().required("Code")
            let code = try statusNode.string()
            guard let status = CloudNetwork.PeeringStatus(rawValue: code) else {
                throw statusNode.failure("unknown peering status '\(code)'", expected: "one of pending-acceptance, active, deleted, rejected, expired, failed, provisioning, deleting")
            }
            if let first = network.peerings.first(where: { $0.id == id }) {
                guard first.requesterVPC == requester, first.accepterVPC == accepter else {
                    throw origin.error("peering '\(id)' read again with other VPCs (\(requester) → \(accepter); first read at \(first.origin): \(first.requesterVPC) → \(first.accepterVPC))",
                                       expected: "the same requester and accepter in every account's view")
                }
                return
            }
            network.peerings.append(CloudNetwork.Peering(id: id, nameTag: try Self.nameTag(peering), requesterVPC: requester, accepterVPC: accepter,
                                                         status: status, origin: origin))
        }

        static func interface(_ interface: JSONObject) throws(ImportError) -> CloudNetwork.Interface {
            var addresses: [IPAddress] = []
            if let primary = interface.optional("PrivateIpAddress") { addresses.append(try primary.address()) }
            for item in try interface.objects("PrivateIpAddresses") {
                let address = try item.required("PrivateIpAddress").address()
                if !addresses.contains(address) { addresses.append(address) }
            }
            for item in try interface.objects("Ipv6Addresses") { addresses.append(try item.required("Ipv6Address").address()) }
            var groups: [String] = []
            for group in try interface.objects("Groups") { groups.append(try group.string("GroupId")) }
            let index = try interface.optional("Attachment")?.object().optional("DeviceIndex")?.int() ?? 0
            return CloudNetwork.Interface(id: try interface.string("NetworkInterfaceId"), subnet: try interface.string("SubnetId"),
                                          deviceIndex: index, addresses: addresses, groups: groups)
        }

        mutating func readInstance(_ instance: JSONObject, _ origin: CloudNetwork.Origin) throws(ImportError) {
            let id = try instance.string("InstanceId")
            try network.claim(id, kind: "instance", at: origin)
            if let state = try instance.optional("State")?.object().optionalString("Name"), state == "terminated" || state == "shutting-down" {
                network.notices.add("\(state) instances", fate: "omitted", id: id)
                return
            }
            var interfaces: [CloudNetwork.Interface] = []
            for item in try instance.objects("NetworkInterfaces") { interfaces.append(try Self.interface(item)) }
            network.instances.append(CloudNetwork.Instance(id: id, nameTag: try Self.nameTag(instance), interfaces: interfaces, origin: origin))
        }

        /// `describe-network-interfaces`: interfaces of instances already read from Reservations
        /// add nothing; an instance's interface missing there joins it; the rest (NAT gateways,
        /// load balancers, endpoints, …) are listed as not modelled.
        mutating func readInterface(_ object: JSONObject, _ origin: CloudNetwork.Origin) throws(ImportError) {
            let interface = try Self.interface(object)
            if let instanceID = try object.optional("Attachment")?.object().optionalString("InstanceId"),
               let position = network.instances.firstIndex(where: { $0.id == instanceID }) {
                if !network.instances[position].interfaces.contains(where: { $0.id == interface.id }) {
                    network.instances[position].interfaces.append(interface)
                }
                return
            }
            let type = try object.optionalString("InterfaceType") ?? "interface"
            network.notices.add("network interfaces not attached to an instance of the input (\(type))", fate: "not modelled", id: interface.id)
        }
    }
}
