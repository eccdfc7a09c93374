import Foundation

/// Reads Terraform's view of a network: `terraform show -json` of a state (`values`) or of a saved
/// plan (`planned_values`: the network as it will be once applied), `format_version` 0.x and 1.x,
/// nested `child_modules`, and raw state files (`version: 4`). AWS (`aws_*`) and Alibaba Cloud
/// (`alicloud_*`) resources are read; only the attributes the model needs are read, so values a
/// state holds in plain text (passwords, keys, user data) never reach the output.
///
/// Terraform holds what was created, not what the cloud adds with it; those objects are added
/// back and marked: the local (system) routes (derived by the model), a VPC's main (system) route
/// table, and on AWS the default security group and default network ACL of each VPC.
public enum TerraformImporter {
    public static func importFile(_ path: String, warnings: inout [String]) throws(ImportError) -> ImportedTopology {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ImportError(file: path, path: "", "cannot be read: \(error.localizedDescription)")
        }
        return try importData(data, file: path, warnings: &warnings)
    }

    public static func importData(_ data: Data, file: String, warnings: inout [String]) throws(ImportError) -> ImportedTopology {
        var reader = try Reader(root: LocatedJSON.parse(data, file: file).object())
        return try reader.run()
    }

    /// One resource instance: its address, type and attribute values.
    struct Resource {
        var address: String
        var type: String
        var values: JSONObject
        /// `module.net.` for a resource of module `net`; references in its configuration are relative to it.
        var modulePrefix: String
        /// The address without the instance key (`aws_subnet.a` for `aws_subnet.a[0]`), as the configuration names it.
        var configAddress: String

        var origin: CloudNetwork.Origin { CloudNetwork.Origin(file: values.node.file, path: values.path) }
    }

    /// Types read into the model, in the order they are read (containers before contents).
    static let awsTypes = ["aws_vpc", "aws_vpc_ipv4_cidr_block_association", "aws_subnet", "aws_vpc_peering_connection",
                           "aws_vpc_peering_connection_accepter", "aws_route_table", "aws_default_route_table", "aws_route",
                           "aws_route_table_association", "aws_main_route_table_association", "aws_security_group",
                           "aws_default_security_group", "aws_security_group_rule", "aws_vpc_security_group_ingress_rule",
                           "aws_vpc_security_group_egress_rule", "aws_network_acl", "aws_default_network_acl", "aws_network_acl_rule",
                           "aws_instance", "aws_network_interface"]
    static let alicloudTypes = ["alicloud_vpc", "alicloud_vswitch", "alicloud_vpc_peer_connection", "alicloud_vpc_peer_connection_accepter",
                                "alicloud_route_table", "alicloud_route_table_attachment", "alicloud_route_entry", "alicloud_security_group",
                                "alicloud_security_group_rule", "alicloud_network_acl", "alicloud_network_acl_entries", "alicloud_instance"]
    /// Gateways: not modelled, routes to them leave the modelled network.
    static let gatewayTypes: Set<String> = ["aws_internet_gateway", "aws_egress_only_internet_gateway", "aws_nat_gateway", "aws_vpn_gateway",
                                            "aws_ec2_transit_gateway", "aws_vpc_endpoint", "alicloud_nat_gateway", "alicloud_vpn_gateway",
                                            "alicloud_vpc_ipv6_gateway", "alicloud_cen_transit_router"]

    struct Reader {
        let root: JSONObject
        var resources: [Resource] = []
        /// Configuration expressions by resource address (plans), for references the plan does not know yet.
        var expressions: [String: JSONObject] = [:]
        var providerRegion: String?
        var isPlan = false
        var network = CloudNetwork(profile: .aws)
        /// Per VPC id, the ids Terraform reports for the objects the cloud creates with it.
        var implicitIDs: [String: (mainTable: String?, securityGroup: String?, acl: String?)] = [:]

        init(root: JSONObject) throws(ImportError) {
            self.root = root
            if let version = root.optional("format_version") {
                let text = try version.string()
                guard text.hasPrefix("0.") || text.hasPrefix("1.") else {
                    throw version.failure("unsupported format_version '\(text)'", expected: "0.x or 1.x (terraform show -json)")
                }
                isPlan = root.optional("planned_values") != nil
                if let values = try root.optional(isPlan ? "planned_values" : "values")?.object(), let module = try values.optional("root_module")?.object() {
                    try collect(module, prefix: "")
                }
                if let configuration = try root.optional("configuration")?.object() {
                    if let module = try configuration.optional("root_module")?.object() { try collectConfiguration(module, prefix: "") }
                    for (_, provider) in try configuration.optional("provider_config")?.object().members ?? [] {
                        let region = try provider.object().optional("expressions")?.object().optional("region")?.object().optional("constant_value")
                        if providerRegion == nil, let region { providerRegion = try region.string() }
                    }
                }
            } else if let version = root.optional("version") {
                guard try version.int() == 4 else {
                    throw version.failure("unsupported state version \(try version.int())", expected: "a version 4 state (Terraform 0.12 and later), or terraform show -json output")
                }
                try collectRawState()
            } else {
                throw ImportError(file: root.node.file, path: "", "not Terraform JSON (no format_version or version key)",
                                  expected: "terraform show -json output of a state or plan, or a terraform.tfstate file")
            }
        }

        mutating func collect(_ module: JSONObject, prefix: String) throws(ImportError) {
            for resource in try module.objects("resources") {
                let address = try resource.string("address")
                if try resource.optionalString("mode") == "data" {
                    network.notices.add("data sources", fate: "not read (they describe objects, not create them)", id: address)
                    continue
                }
                let type = try resource.string("type")
                let values = try resource.optional("values")?.object() ?? JSONObject(node: resource.node, members: [])
                let name = try resource.string("name")
                resources.append(Resource(address: address, type: type, values: values, modulePrefix: prefix, configAddress: prefix + "\(type).\(name)"))
            }
            for child in try module.objects("child_modules") {
                let address = try child.string("address")
                try collect(child, prefix: address + ".")
            }
        }

        mutating func collectConfiguration(_ module: JSONObject, prefix: String) throws(ImportError) {
            for resource in try module.objects("resources") {
                if let expressions = try resource.optional("expressions")?.object() { self.expressions[prefix + (try resource.string("address"))] = expressions }
            }
            for (name, call) in try module.optional("module_calls")?.object().members ?? [] {
                if let child = try call.object().optional("module")?.object() { try collectConfiguration(child, prefix: prefix + "module.\(name).") }
            }
        }

        /// Raw state v4: `resources[].instances[].attributes`.
        mutating func collectRawState() throws(ImportError) {
            for resource in try root.objects("resources") {
                let type = try resource.string("type"), name = try resource.string("name")
                let module = try resource.optionalString("module").map { $0 + "." } ?? ""
                if try resource.optionalString("mode") == "data" {
                    network.notices.add("data sources", fate: "not read (they describe objects, not create them)", id: module + "data.\(type).\(name)")
                    continue
                }
                for instance in try resource.objects("instances") {
                    var address = module + "\(type).\(name)"
                    if let key = instance.optional("index_key") {
                        if case .string(let text) = key.value { address += "[\"\(text)\"]" } else { address += "[\(try key.int())]" }
                    }
                    let values = try instance.optional("attributes")?.object() ?? JSONObject(node: instance.node, members: [])
                    resources.append(Resource(address: address, type: type, values: values, modulePrefix: module, configAddress: module + "\(type).\(name)"))
                }
            }
        }

        // MARK: attribute access

        /// A string attribute; Terraform writes unset ones as "" or null.
        static func string(_ resource: Resource, _ key: String) throws(ImportError) -> String? {
            guard let text = try resource.values.optionalString(key), !text.isEmpty else { return nil }
            return text
        }

        func id(_ resource: Resource) throws(ImportError) -> String { try Self.string(resource, "id") ?? resource.address }

        /// The id an attribute names: its value, or in a plan (where it is not known yet) the
        /// resource its configuration expression refers to.
        func reference(_ resource: Resource, _ key: String) throws(ImportError) -> String? {
            if let value = try Self.string(resource, key) { return value }
            return try configuredReferences(resource, key).first
        }

        func references(_ resource: Resource, _ key: String) throws(ImportError) -> [String] {
            if let list = resource.values.optional(key) {
                var result: [String] = []
                for item in try list.array() { let text = try item.string(); if !text.isEmpty { result.append(text) } }
                if !result.isEmpty || !isPlan { return result }
            }
            return try configuredReferences(resource, key)
        }

        func configuredReferences(_ resource: Resource, _ key: String) throws(ImportError) -> [String] {
            guard isPlan, let expression = try expressions[resource.configAddress]?.optional(key)?.object() else { return [] }
            var result: [String] = []
            for reference in try expression.list("references") {
                var candidate = resource.modulePrefix + (try reference.string())
                while !candidate.isEmpty {
                    if let target = resources.first(where: { $0.address == candidate || $0.configAddress == candidate }) {
                        let id = try id(target)
                        if !result.contains(id) { result.append(id) }
                        break
                    }
                    guard let dot = candidate.lastIndex(of: ".") else { break }
                    candidate = String(candidate[..<dot])
                }
            }
            return result
        }

        /// The first of `keys` that is set, else (when `tags`) the `Name` tag.
        static func tagName(_ resource: Resource, _ keys: [String] = [], tags: Bool = true) throws(ImportError) -> String? {
            for key in keys { if let name = try string(resource, key) { return name } }
            guard tags, let tags = try resource.values.optional("tags")?.object() else { return nil }
            return try tags.optionalString("Name")
        }

        func required(_ resource: Resource, _ key: String, _ expected: String) throws(ImportError) -> String {
            guard let value = try reference(resource, key) else {
                throw ImportError(file: resource.values.node.file, path: resource.values.path.isEmpty ? key : "\(resource.values.path).\(key)",
                                  "\(resource.address): missing \(key)", expected: expected + (isPlan ? " (known in the plan, or a reference to a resource of it)" : ""))
            }
            return value
        }

        func network(_ resource: Resource, _ key: String, family: AddressFamily?) throws(ImportError) -> IPNetwork? {
            guard let node = resource.values.optional(key), try !node.string().isEmpty else { return nil }
            return try node.network(family: family)
        }

        // MARK: run

        mutating func run() throws(ImportError) -> ImportedTopology {
            let aws = resources.contains { $0.type.hasPrefix("aws_") }, alicloud = resources.contains { $0.type.hasPrefix("alicloud_") }
            guard !(aws && alicloud) else {
                throw ImportError(file: root.node.file, path: "", "the file holds both aws_ and alicloud_ resources",
                                  expected: "one cloud per import (import each provider's resources separately)")
            }
            let notices = network.notices  // data sources, counted while collecting
            network = CloudNetwork(profile: alicloud ? .alibaba : .aws)
            network.notices = notices
            let types = alicloud ? TerraformImporter.alicloudTypes : TerraformImporter.awsTypes
            let known = Set(types)
            for resource in resources where !known.contains(resource.type) {
                let fate = TerraformImporter.gatewayTypes.contains(resource.type) ? "not modelled: routes to them are external next hops" : "not modelled"
                network.notices.add("\(resource.type) resources", fate: fate, id: resource.address)
            }
            for type in types {
                for resource in resources where resource.type == type { try read(resource) }
            }
            if !alicloud { addAWSImplicitObjects() }
            network.headerNotes.insert("imported from \(isPlan ? "the planned values of a saved Terraform plan" : "a Terraform state")"
                                       + (isPlan ? "; ids not known before apply are the resource addresses" : ""), at: 0)
            network.headerNotes.append("local (system) routes: derived from each VPC's blocks, as the cloud adds them (Terraform does not hold them)")
            return try CloudNetworkBuilder.build(network)
        }

        /// The region and account of an AWS object from its ARN (`arn:aws:ec2:REGION:ACCOUNT:…`).
        static func arnParts(_ arn: String?) -> (region: String, account: String)? {
            guard let parts = arn?.split(separator: ":", omittingEmptySubsequences: false), parts.count >= 5, !parts[3].isEmpty else { return nil }
            return (String(parts[3]), String(parts[4]))
        }

        func vpcIndex(_ id: String, _ resource: Resource) throws(ImportError) -> Int {
            guard let index = network.vpcs.firstIndex(where: { $0.id == id }) else {
                throw resource.origin.error("\(resource.address): unknown VPC id '\(id)'", expected: "a VPC of the same file")
            }
            return index
        }

        // MARK: AWS implicit objects

        mutating func addAWSImplicitObjects() {
            for vpc in network.vpcs {
                let ids = implicitIDs[vpc.id]
                let allTraffic = [try! IPNetwork(parsing: "0.0.0.0/0")] + (vpc.ipv6CIDRs.isEmpty ? [] : [try! IPNetwork(parsing: "::/0")])
                if !network.routeTables.contains(where: { $0.vpc == vpc.id && $0.isMain }) { addAWSMainTable(vpc: vpc.id) }
                let defaultGroup = ids?.securityGroup ?? "\(vpc.id)-default-sg"
                if !network.securityGroups.contains(where: { $0.id == defaultGroup }) {
                    // AWS's default group: all traffic from its own members, all traffic out (VPC User Guide, "Default security groups").
                    let rules = [CloudNetwork.Rule(direction: .ingress, ipProtocol: .all, ports: .any, peer: .group(defaultGroup, account: nil), origin: vpc.origin)]
                        + allTraffic.map { CloudNetwork.Rule(direction: .egress, ipProtocol: .all, ports: .any, peer: .cidr($0), origin: vpc.origin) }
                    network.securityGroups.append(CloudNetwork.SecurityGroup(
                        id: defaultGroup, nameTag: nil, vpc: vpc.id, rules: rules, origin: vpc.origin,
                        implicitNote: "added: the VPC's default security group as AWS creates it (all traffic from its members in, the default allow-all egress out; not in the Terraform file)"))
                }
                if !network.networkACLs.contains(where: { $0.vpc == vpc.id && $0.isDefault }) {
                    // The default ACL allows everything both ways, before the final `*` deny (VPC User Guide, "Default network ACL").
                    let entries = allTraffic.enumerated().flatMap { offset, block in
                        [false, true].map { CloudNetwork.ACLEntry(ruleNumber: 100 + offset, egress: $0, allow: true, ipProtocol: .all, ports: .any, cidr: block) }
                    }
                    network.networkACLs.append(CloudNetwork.NetworkACL(
                        id: ids?.acl ?? "\(vpc.id)-default-acl", nameTag: nil, vpc: vpc.id, isDefault: true, subnets: [], entries: entries, origin: vpc.origin,
                        implicitNote: "added: the VPC's default network ACL as AWS creates it (allows all traffic both ways; not in the Terraform file)"))
                }
            }
            if resources.contains(where: { $0.type == "aws_security_group" }) {
                network.headerNotes.append("aws_security_group: no allow-all egress rule is added: the AWS provider removes AWS's default one when it creates a group (its aws_security_group documentation), so the file's rules are the group's rules")
            }
        }

        /// The main route table AWS creates with a VPC: local routes only until routes are added to it.
        mutating func addAWSMainTable(vpc: String) {
            let origin = network.vpcs.first { $0.id == vpc }!.origin
            network.routeTables.append(CloudNetwork.RouteTable(
                id: implicitIDs[vpc]?.mainTable ?? "\(vpc)-main", nameTag: nil, vpc: vpc, isMain: true, subnets: [], routes: [], origin: origin,
                implicitNote: "added: the VPC's main route table, which AWS creates with the VPC (not in the Terraform file)"))
        }

        // MARK: resources

        mutating func read(_ r: Resource) throws(ImportError) {
            switch r.type {
            case "aws_vpc":
                let id = try id(r)
                try network.claim(id, kind: "VPC", at: r.origin)
                let arn = Self.arnParts(try Self.string(r, "arn"))
                guard let cidr = try network(r, "cidr_block", family: .ipv4) else {
                    throw r.origin.error("\(r.address): missing cidr_block", expected: "the VPC's IPv4 block (IPAM-allocated blocks are not known to the state before apply)")
                }
                network.vpcs.append(CloudNetwork.VPC(id: id, nameTag: try Self.tagName(r), account: try Self.string(r, "owner_id") ?? arn?.account ?? "account",
                                                     region: arn?.region ?? providerRegion ?? "unknown-region", cidrs: [cidr],
                                                     ipv6CIDRs: try network(r, "ipv6_cidr_block", family: .ipv6).map { [$0] } ?? [], origin: r.origin))
                implicitIDs[id] = (try Self.string(r, "main_route_table_id"), try Self.string(r, "default_security_group_id"), try Self.string(r, "default_network_acl_id"))
            case "aws_vpc_ipv4_cidr_block_association":
                let index = try vpcIndex(try required(r, "vpc_id", "the VPC's id"), r)
                if let block = try network(r, "cidr_block", family: .ipv4) { network.vpcs[index].cidrs.append(block) }
            case "aws_subnet", "alicloud_vswitch":
                let id = try id(r)
                try network.claim(id, kind: "subnet", at: r.origin)
                guard let cidr = try network(r, "cidr_block", family: .ipv4) else { throw r.origin.error("\(r.address): missing cidr_block", expected: "the subnet's IPv4 block") }
                let zone = try Self.tagName(r, ["availability_zone", "zone_id"], tags: false) ?? "unknown-zone"
                network.subnets.append(CloudNetwork.Subnet(id: id, nameTag: try Self.tagName(r, ["vswitch_name", "name"]), vpc: try required(r, "vpc_id", "the VPC's id"),
                                                           zone: zone, cidr: cidr, ipv6CIDR: try network(r, "ipv6_cidr_block", family: .ipv6), origin: r.origin))
            case "aws_route_table", "aws_default_route_table", "alicloud_route_table":
                let isDefault = r.type == "aws_default_route_table"
                let id = isDefault ? try required(r, "default_route_table_id", "the main route table's id") : try id(r)
                try network.claim(id, kind: "route table", at: r.origin)
                var routes: [CloudNetwork.Route] = []
                for (position, route) in try r.values.list("route").enumerated() {
                    if let parsed = try awsRoute(try route.object(), r, CloudNetwork.Origin(file: route.file, path: route.path), position: position) { routes.append(parsed) }
                }
                var vpc = try reference(r, "vpc_id")
                if vpc == nil, isDefault { vpc = network.vpcs.first { implicitIDs[$0.id]?.mainTable == id }?.id }
                guard let vpc else { throw r.origin.error("\(r.address): missing vpc_id", expected: "the VPC's id") }
                network.routeTables.append(CloudNetwork.RouteTable(id: id, nameTag: try Self.tagName(r, ["route_table_name", "name"]), vpc: vpc,
                                                                   isMain: isDefault, subnets: [], routes: routes, origin: r.origin))
            case "aws_route":
                let table = try required(r, "route_table_id", "the route table's id")
                if !network.routeTables.contains(where: { $0.id == table }), let vpc = implicitIDs.first(where: { $0.value.mainTable == table })?.key {
                    addAWSMainTable(vpc: vpc)  // a route added to the main table AWS created with the VPC
                }
                guard let position = network.routeTables.firstIndex(where: { $0.id == table }) else {
                    throw r.origin.error("\(r.address): route of unknown route table '\(table)'", expected: "an aws_route_table of the same file")
                }
                let renamed = JSONObject(node: r.values.node, members: r.values.members.map { member in
                    (member.key.replacingOccurrences(of: "destination_cidr_block", with: "cidr_block")
                        .replacingOccurrences(of: "destination_ipv6_cidr_block", with: "ipv6_cidr_block"), member.value)
                })
                if var route = try awsRoute(renamed, r, r.origin, position: nil) {
                    if try Self.string(r, "state") == "blackhole" { route.target = .blackhole }
                    network.routeTables[position].routes.append(route)
                }
            case "aws_route_table_association", "alicloud_route_table_attachment":
                let table = try required(r, "route_table_id", "the route table's id")
                guard let subnet = try reference(r, r.type == "aws_route_table_association" ? "subnet_id" : "vswitch_id") else {
                    network.notices.add("route table associations with a gateway (edge routing)", fate: "not modelled", id: r.address)
                    return
                }
                guard let position = network.routeTables.firstIndex(where: { $0.id == table }) else {
                    throw r.origin.error("\(r.address): association with unknown route table '\(table)'", expected: "a route table of the same file")
                }
                network.routeTables[position].subnets.append(subnet)
            case "aws_main_route_table_association":
                let table = try required(r, "route_table_id", "the route table's id"), vpc = try required(r, "vpc_id", "the VPC's id")
                for position in network.routeTables.indices where network.routeTables[position].vpc == vpc {
                    network.routeTables[position].isMain = network.routeTables[position].id == table
                }
            case "aws_security_group", "aws_default_security_group", "alicloud_security_group":
                let id = try id(r)
                try network.claim(id, kind: "security group", at: r.origin)
                var rules: [CloudNetwork.Rule] = []
                for (key, direction) in [("ingress", TrafficDirection.ingress), ("egress", .egress)] {
                    for block in try r.values.list(key) { rules += try awsRules(try block.object(), direction: direction, group: id) }
                }
                var name = try Self.tagName(r, ["security_group_name"])
                if name == nil { name = try Self.tagName(r, ["name"], tags: false) }
                network.securityGroups.append(CloudNetwork.SecurityGroup(id: id, nameTag: name, vpc: try required(r, "vpc_id", "the VPC's id"),
                                                                         rules: rules, origin: r.origin))
            case "aws_security_group_rule", "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule":
                let group = try required(r, "security_group_id", "the security group's id")
                guard let position = network.securityGroups.firstIndex(where: { $0.id == group }) else {
                    throw r.origin.error("\(r.address): rule of unknown security group '\(group)'", expected: "an aws_security_group of the same file")
                }
                let direction: TrafficDirection = switch r.type {
                case "aws_vpc_security_group_ingress_rule": .ingress
                case "aws_vpc_security_group_egress_rule": .egress
                default: try Self.string(r, "type") == "egress" ? .egress : .ingress
                }
                network.securityGroups[position].rules += try awsRules(r.values, direction: direction, group: group, resource: r)
            case "aws_network_acl", "aws_default_network_acl":
                let isDefault = r.type == "aws_default_network_acl"
                let id = isDefault ? try required(r, "default_network_acl_id", "the default network ACL's id") : try id(r)
                try network.claim(id, kind: "network ACL", at: r.origin)
                var entries: [CloudNetwork.ACLEntry] = []
                for (key, egress) in [("ingress", false), ("egress", true)] {
                    for block in try r.values.list(key) { if let entry = try awsACLEntry(try block.object(), egress: egress) { entries.append(entry) } }
                }
                var vpc = try reference(r, "vpc_id")
                if vpc == nil, isDefault { vpc = network.vpcs.first { implicitIDs[$0.id]?.acl == id }?.id }
                guard let vpc else { throw r.origin.error("\(r.address): missing vpc_id", expected: "the VPC's id") }
                network.networkACLs.append(CloudNetwork.NetworkACL(id: id, nameTag: try Self.tagName(r), vpc: vpc, isDefault: isDefault,
                                                                   subnets: try references(r, "subnet_ids"), entries: entries, origin: r.origin))
            case "aws_network_acl_rule":
                let acl = try required(r, "network_acl_id", "the network ACL's id")
                guard let position = network.networkACLs.firstIndex(where: { $0.id == acl }) else {
                    throw r.origin.error("\(r.address): rule of unknown network ACL '\(acl)'", expected: "an aws_network_acl of the same file")
                }
                let renamed = JSONObject(node: r.values.node, members: r.values.members.map { member in
                    (member.key == "rule_number" ? "rule_no" : member.key == "rule_action" ? "action" : member.key, member.value)
                })
                if let entry = try awsACLEntry(renamed, egress: try r.values.optional("egress")?.bool() ?? false) {
                    network.networkACLs[position].entries.append(entry)
                }
            case "aws_instance":
                let id = try id(r)
                try network.claim(id, kind: "instance", at: r.origin)
                var addresses: [IPAddress] = []
                if let primary = r.values.optional("private_ip"), try !primary.string().isEmpty { addresses.append(try primary.address()) }
                for item in try r.values.list("secondary_private_ips") + r.values.list("ipv6_addresses") { addresses.append(try item.address()) }
                let subnet = try required(r, "subnet_id", "the instance's subnet id")
                let interface = CloudNetwork.Interface(id: try Self.string(r, "primary_network_interface_id") ?? "\(id)-eth0", subnet: subnet, deviceIndex: 0,
                                                       addresses: addresses, groups: try references(r, "vpc_security_group_ids"))
                network.instances.append(CloudNetwork.Instance(id: id, nameTag: try Self.tagName(r), interfaces: [interface], origin: r.origin))
            case "aws_network_interface":
                let id = try id(r)
                var addresses: [IPAddress] = []
                for item in try r.values.list("private_ips") + r.values.list("ipv6_addresses") { addresses.append(try item.address()) }
                if addresses.isEmpty, let primary = r.values.optional("private_ip"), try !primary.string().isEmpty { addresses.append(try primary.address()) }
                let attachment = try r.values.objects("attachment").first
                let instance = try attachment?.optionalString("instance")
                guard let position = network.instances.firstIndex(where: { $0.id == instance }) else {
                    network.notices.add("aws_network_interface resources not attached to an instance of the file", fate: "not modelled", id: r.address)
                    return
                }
                if network.instances[position].interfaces.contains(where: { $0.id == id }) { return }
                network.instances[position].interfaces.append(CloudNetwork.Interface(
                    id: id, subnet: try required(r, "subnet_id", "the interface's subnet id"), deviceIndex: try attachment?.optional("device_index")?.int() ?? 1,
                    addresses: addresses, groups: try references(r, "security_groups")))
            case "aws_vpc_peering_connection":
                let id = try id(r)
                try network.claim(id, kind: "peering", at: r.origin)
                let status = try Self.string(r, "accept_status").map { (text: String) throws(ImportError) -> CloudNetwork.PeeringStatus in
                    guard let status = CloudNetwork.PeeringStatus(rawValue: text) else {
                        throw r.origin.error("\(r.address): unknown accept_status '\(text)'", expected: "pending-acceptance, active, rejected, …")
                    }
                    return status
                }
                // A plan does not know the status: a same-account request with auto_accept becomes active.
                let planned: CloudNetwork.PeeringStatus = try r.values.optional("auto_accept")?.bool() == true ? .active : .pendingAcceptance
                network.peerings.append(CloudNetwork.Peering(id: id, nameTag: try Self.tagName(r), requesterVPC: try required(r, "vpc_id", "the requester VPC's id"),
                                                             accepterVPC: try required(r, "peer_vpc_id", "the accepter VPC's id"), status: status ?? planned, origin: r.origin))
            case "aws_vpc_peering_connection_accepter", "alicloud_vpc_peer_connection_accepter":
                let key = r.type.hasPrefix("aws") ? "vpc_peering_connection_id" : "instance_id"
                let peering = try required(r, key, "the peering's id")
                guard let position = network.peerings.firstIndex(where: { $0.id == peering }) else {
                    network.notices.add("peering accepters whose request is not in the file", fate: "not modelled (the requester VPC is outside the file)", id: r.address)
                    return
                }
                // The accepter's side of a cross-account peering: accepted unless its status says otherwise.
                if let text = try Self.string(r, r.type.hasPrefix("aws") ? "accept_status" : "status") {
                    network.peerings[position].status = r.type.hasPrefix("aws")
                        ? CloudNetwork.PeeringStatus(rawValue: text) ?? .active
                        : try AlibabaAPIImporter.peeringStatus(r.values.required("status"))
                } else {
                    network.peerings[position].status = .active
                }
            // Alibaba Cloud
            case "alicloud_vpc":
                let id = try id(r)
                try network.claim(id, kind: "VPC", at: r.origin)
                guard let cidr = try network(r, "cidr_block", family: .ipv4) else { throw r.origin.error("\(r.address): missing cidr_block", expected: "the VPC's IPv4 block") }
                var cidrs = [cidr]
                for block in try r.values.list("secondary_cidr_blocks") { cidrs.append(try block.network(family: .ipv4)) }
                network.vpcs.append(CloudNetwork.VPC(id: id, nameTag: try Self.tagName(r, ["vpc_name", "name"]), account: "account",
                                                     region: providerRegion ?? "unknown-region", cidrs: cidrs,
                                                     ipv6CIDRs: try network(r, "ipv6_cidr_block", family: .ipv6).map { [$0] } ?? [], origin: r.origin))
                // The system route table Alibaba Cloud creates with the VPC; Terraform names it only by id.
                network.routeTables.append(CloudNetwork.RouteTable(
                    id: try Self.string(r, "route_table_id") ?? "\(id)-system", nameTag: nil, vpc: id, isMain: true, subnets: [], routes: [], origin: r.origin,
                    implicitNote: "added: the VPC's system route table, which Alibaba Cloud creates with the VPC (not in the Terraform file)"))
            case "alicloud_vpc_peer_connection":
                let id = try id(r)
                try network.claim(id, kind: "peering", at: r.origin)
                let accepter = try required(r, "accepting_vpc_id", "the accepting VPC's id")
                // The state does not say which account or region a VPC is in; the peering does for the accepting one.
                if let index = network.vpcs.firstIndex(where: { $0.id == accepter }) {
                    if let uid = try r.values.optional("accepting_ali_uid").map({ (node: LocatedJSON) throws(ImportError) -> String in
                        if case .number(let text) = node.value { return text }
                        return try node.string()
                    }), !uid.isEmpty { network.vpcs[index].account = uid }
                    if let region = try Self.string(r, "accepting_region_id") { network.vpcs[index].region = region }
                }
                let status = try r.values.optional("status").map(AlibabaAPIImporter.peeringStatus) ?? .pendingAcceptance
                network.peerings.append(CloudNetwork.Peering(id: id, nameTag: try Self.tagName(r, ["peer_connection_name"]),
                                                             requesterVPC: try required(r, "vpc_id", "the requester VPC's id"), accepterVPC: accepter,
                                                             status: status, bandwidthMbps: try r.values.optional("bandwidth")?.int(), origin: r.origin))
            case "alicloud_route_entry":
                let table = try required(r, "route_table_id", "the route table's id")
                guard let position = network.routeTables.firstIndex(where: { $0.id == table }) else {
                    throw r.origin.error("\(r.address): route of unknown route table '\(table)'", expected: "an alicloud_route_table of the same file, or a VPC's route_table_id")
                }
                guard let destination = try network(r, "destination_cidrblock", family: nil) else {
                    throw r.origin.error("\(r.address): missing destination_cidrblock", expected: "a CIDR block")
                }
                let target = AlibabaAPIImporter.routeTarget(type: try Self.string(r, "nexthop_type") ?? "Instance", id: try reference(r, "nexthop_id") ?? "")
                try checkPeering(target, r, key: "nexthop_id")
                network.routeTables[position].routes.append(CloudNetwork.Route(destination: destination, target: target, origin: r.origin))
            case "alicloud_security_group_rule":
                let group = try required(r, "security_group_id", "the security group's id")
                guard let position = network.securityGroups.firstIndex(where: { $0.id == group }) else {
                    throw r.origin.error("\(r.address): rule of unknown security group '\(group)'", expected: "an alicloud_security_group of the same file")
                }
                guard let ipProtocol = AlibabaAPIImporter.ruleProtocol(try Self.string(r, "ip_protocol") ?? "all") else {
                    network.notices.add("security-group rules for IP protocols other than TCP, UDP, ICMP and ICMPv6", fate: "omitted", id: r.address)
                    return
                }
                let direction: TrafficDirection = try Self.string(r, "type") == "egress" ? .egress : .ingress
                let peer: CloudNetwork.RulePeer
                let ipv4 = try network(r, "cidr_ip", family: .ipv4), ipv6 = try network(r, "ipv6_cidr_ip", family: .ipv6)
                if let cidr = ipv4 ?? ipv6 {
                    peer = .cidr(cidr)
                } else if let source = try reference(r, "source_security_group_id") {
                    peer = .group(source, account: try Self.string(r, "source_group_owner_account"))
                } else {
                    throw r.origin.error("\(r.address): rule without a peer", expected: "cidr_ip, ipv6_cidr_ip or source_security_group_id")
                }
                let ports = ipProtocol.hasPorts ? try r.values.optional("port_range").map(AlibabaAPIImporter.ports) ?? .any : .any
                network.securityGroups[position].rules.append(CloudNetwork.Rule(
                    direction: direction, allow: try Self.string(r, "policy") != "drop", priority: try r.values.optional("priority")?.int() ?? 1,
                    ipProtocol: ipProtocol, ports: ports, peer: peer, description: try Self.string(r, "description"), origin: r.origin))
            case "alicloud_network_acl":
                let id = try id(r)
                try network.claim(id, kind: "network ACL", at: r.origin)
                var subnets: [String] = []
                for resource in try r.values.objects("resources") { if let subnet = try resource.optionalString("resource_id") { subnets.append(subnet) } }
                network.networkACLs.append(CloudNetwork.NetworkACL(
                    id: id, nameTag: try Self.tagName(r, ["network_acl_name", "name"]), vpc: try required(r, "vpc_id", "the VPC's id"), isDefault: false,
                    subnets: subnets, entries: try alibabaACLEntries(r, ingress: "ingress_acl_entries", egress: "egress_acl_entries"), origin: r.origin))
            case "alicloud_network_acl_entries":
                let acl = try required(r, "network_acl_id", "the network ACL's id")
                guard let position = network.networkACLs.firstIndex(where: { $0.id == acl }) else {
                    throw r.origin.error("\(r.address): entries of unknown network ACL '\(acl)'", expected: "an alicloud_network_acl of the same file")
                }
                network.networkACLs[position].entries = try alibabaACLEntries(r, ingress: "ingress", egress: "egress")
            case "alicloud_instance":
                let id = try id(r)
                try network.claim(id, kind: "instance", at: r.origin)
                var addresses: [IPAddress] = []
                if let primary = r.values.optional("private_ip"), try !primary.string().isEmpty { addresses.append(try primary.address()) }
                for item in try r.values.list("secondary_private_ips") { addresses.append(try item.address()) }
                let interface = CloudNetwork.Interface(id: id, subnet: try required(r, "vswitch_id", "the instance's vSwitch id"), deviceIndex: 0,
                                                       addresses: addresses, groups: try references(r, "security_groups"))
                network.instances.append(CloudNetwork.Instance(id: id, nameTag: try Self.tagName(r, ["instance_name"]), interfaces: [interface], origin: r.origin))
            default:
                break
            }
        }

        func checkPeering(_ target: CloudNetwork.RouteTarget, _ r: Resource, key: String) throws(ImportError) {
            if case .peering(let id) = target, !network.peerings.contains(where: { $0.id == id }) {
                throw ImportError(file: r.values.node.file, path: "\(r.values.path).\(key)", "\(r.address): route to unknown peering id '\(id)'",
                                  expected: "a peering of the same file")
            }
        }

        /// An inline `route` block or an `aws_route` (keys renamed to the block's).
        mutating func awsRoute(_ route: JSONObject, _ r: Resource, _ origin: CloudNetwork.Origin, position: Int?) throws(ImportError) -> CloudNetwork.Route? {
            func value(_ key: String) throws(ImportError) -> String? {
                guard let text = try route.optionalString(key), !text.isEmpty else { return position == nil ? try reference(r, key) : nil }
                return text
            }
            let destination: IPNetwork
            if try value("cidr_block") != nil {
                destination = try route.required("cidr_block").network(family: .ipv4)
            } else if try value("ipv6_cidr_block") != nil {
                destination = try route.required("ipv6_cidr_block").network(family: .ipv6)
            } else if let list = try value("destination_prefix_list_id") {
                network.notices.add("routes to prefix-list destinations", fate: "unsupported: omitted", id: "\(r.address) \(list)")
                return nil
            } else {
                throw origin.error("\(r.address): route without a destination", expected: "cidr_block, ipv6_cidr_block or destination_prefix_list_id")
            }
            let keyed: [(String, ExternalGateway.Kind)] = [
                ("nat_gateway_id", .natGateway), ("transit_gateway_id", .transitGateway), ("egress_only_gateway_id", .egressOnlyInternetGateway),
                ("vpc_endpoint_id", .vpcEndpoint), ("local_gateway_id", .localGateway), ("carrier_gateway_id", .carrierGateway), ("core_network_arn", .other),
            ]
            if let peering = try value("vpc_peering_connection_id") {
                let target = CloudNetwork.RouteTarget.peering(peering)
                try checkPeering(target, r, key: "vpc_peering_connection_id")
                return CloudNetwork.Route(destination: destination, target: target, origin: origin)
            }
            let interface = try value("network_interface_id"), instance = try value("instance_id")
            if let interface = interface ?? instance {
                return CloudNetwork.Route(destination: destination, target: .instance(interface), origin: origin)
            }
            for (key, kind) in keyed {
                if let id = try value(key) { return CloudNetwork.Route(destination: destination, target: .gateway(ExternalGateway(id: id, kind: kind)), origin: origin) }
            }
            if let gateway = try value("gateway_id") {
                if gateway == "local" { return CloudNetwork.Route(destination: destination, target: .local, origin: origin) }
                let kind = AWSDescribeImporter.Reader.gatewayKinds.first { gateway.hasPrefix($0.prefix) }?.kind
                    ?? (gateway.hasPrefix("aws_internet_gateway.") || gateway.contains(".aws_internet_gateway.") ? .internetGateway
                        : gateway.contains("aws_vpn_gateway.") ? .vpnGateway : .other)
                return CloudNetwork.Route(destination: destination, target: .gateway(ExternalGateway(id: gateway, kind: kind)), origin: origin)
            }
            if isPlan {
                network.notices.add("planned routes whose target is not known before apply", fate: "omitted", id: r.address)
                return nil
            }
            throw origin.error("\(r.address): route without a target", expected: "gateway_id, nat_gateway_id, vpc_peering_connection_id, …")
        }

        /// Inline `ingress`/`egress` blocks (cidr_blocks, ipv6_cidr_blocks, security_groups, self) or
        /// a rule resource (aws_security_group_rule's names, or the newer one-peer resources').
        mutating func awsRules(_ block: JSONObject, direction: TrafficDirection, group: String, resource: Resource? = nil) throws(ImportError) -> [CloudNetwork.Rule] {
            let protocolNode = block.optional("ip_protocol") ?? block.optional("protocol")
            let protocolText: String
            if let protocolNode, case .number(let number) = protocolNode.value { protocolText = number } else { protocolText = try protocolNode?.string() ?? "-1" }
            let origin = CloudNetwork.Origin(file: block.node.file, path: block.path)
            guard let (ipProtocol, ports) = try network.awsProtocolAndPorts(protocolText, from: try block.optional("from_port")?.int(),
                                                                           to: try block.optional("to_port")?.int(), at: origin, context: "security-group rules") else { return [] }
            var peers: [CloudNetwork.RulePeer] = []
            for (list, single, family) in [("cidr_blocks", "cidr_ipv4", AddressFamily.ipv4), ("ipv6_cidr_blocks", "cidr_ipv6", .ipv6)] {
                for item in try block.list(list) + (block.optional(single).map { [$0] } ?? []) {
                    if try !item.string().isEmpty { peers.append(.cidr(try item.network(family: family))) }
                }
            }
            for item in try block.list("security_groups") { peers.append(.group(try item.string(), account: nil)) }
            for key in ["source_security_group_id", "referenced_security_group_id"] {
                var source = try block.optionalString(key)
                if source?.isEmpty ?? true, let resource, isPlan { source = try configuredReferences(resource, key).first }
                if let source, !source.isEmpty { peers.append(.group(source, account: nil)) }
            }
            if try block.optional("self")?.bool() == true { peers.append(.group(group, account: nil)) }
            let lists = try block.list("prefix_list_ids") + (block.optional("prefix_list_id").map { [$0] } ?? [])
            for list in lists {
                let id = try list.string()
                if !id.isEmpty { network.notices.add("security-group rules naming prefix lists", fate: "unsupported: omitted", id: "\(group) \(id)") }
            }
            let description = try block.optionalString("description").flatMap { $0.isEmpty ? nil : $0 }
            return peers.map { CloudNetwork.Rule(direction: direction, ipProtocol: ipProtocol, ports: ports, peer: $0, description: description, origin: origin) }
        }

        mutating func awsACLEntry(_ block: JSONObject, egress: Bool) throws(ImportError) -> CloudNetwork.ACLEntry? {
            let origin = CloudNetwork.Origin(file: block.node.file, path: block.path)
            let protocolNode = try block.required("protocol")
            let protocolText: String
            if case .number(let number) = protocolNode.value { protocolText = number } else { protocolText = try protocolNode.string() }
            var from = try block.optional("from_port")?.int()
            if let type = try block.optional("icmp_type")?.int(), ["1", "icmp", "58", "icmpv6"].contains(protocolText.lowercased()) { from = type }
            guard let (ipProtocol, ports) = try network.awsProtocolAndPorts(protocolText, from: from, to: try block.optional("to_port")?.int(),
                                                                           at: origin, context: "network ACL entries") else { return nil }
            let cidr: IPNetwork
            if let block4 = block.optional("cidr_block"), try !block4.string().isEmpty { cidr = try block4.network(family: .ipv4) } else {
                cidr = try block.required("ipv6_cidr_block").network(family: .ipv6)
            }
            let action = try block.string("action")
            guard action == "allow" || action == "deny" else {
                throw ImportError(file: block.node.file, path: "\(block.path).action", "unknown rule action '\(action)'", expected: "allow or deny")
            }
            return CloudNetwork.ACLEntry(ruleNumber: try block.required("rule_no").int(), egress: egress, allow: action == "allow",
                                         ipProtocol: ipProtocol, ports: ports, cidr: cidr)
        }

        mutating func alibabaACLEntries(_ r: Resource, ingress: String, egress: String) throws(ImportError) -> [CloudNetwork.ACLEntry] {
            var entries: [CloudNetwork.ACLEntry] = []
            for (key, isEgress, cidrKey) in [(ingress, false, "source_cidr_ip"), (egress, true, "destination_cidr_ip")] {
                for (position, item) in try r.values.objects(key).enumerated() {
                    guard let ipProtocol = AlibabaAPIImporter.ruleProtocol(try item.optionalString("protocol") ?? "all") else {
                        network.notices.add("network ACL entries for IP protocols other than TCP, UDP, ICMP and ICMPv6", fate: "omitted", id: r.address)
                        continue
                    }
                    let ports = ipProtocol.hasPorts ? try item.optional("port").map(AlibabaAPIImporter.ports) ?? .any : .any
                    entries.append(CloudNetwork.ACLEntry(ruleNumber: position + 1, egress: isEgress, allow: try item.optionalString("policy") != "drop",
                                                         ipProtocol: ipProtocol, ports: ports, cidr: try item.required(cidrKey).network()))
                }
            }
            return entries
        }
    }
}
