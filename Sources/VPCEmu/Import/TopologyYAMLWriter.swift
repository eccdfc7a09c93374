/// Writes a topology in the documented file format (docs/topology.md), one object per line where
/// it fits, objects in model order, cloud ids and notes as comments. Output depends only on the
/// model, so the same model always gives the same bytes. Alerts and pricing are not written: no
/// importer produces them (their defaults apply).
struct TopologyYAMLWriter {
    let imported: ImportedTopology
    private var lines: [String] = []

    init(_ imported: ImportedTopology) { self.imported = imported }

    var topology: Topology { imported.topology }

    var text: String {
        var writer = self
        writer.write()
        return writer.lines.joined(separator: "\n") + "\n"
    }

    // MARK: scalars

    /// A plain scalar when it is made only of characters that cannot mean anything else in YAML,
    /// else a double-quoted one (JSON escapes, which YAML's double-quoted style reads).
    static func scalar(_ text: String) -> String {
        let plain = !text.isEmpty && text.unicodeScalars.allSatisfy {
            ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) || "._/-".unicodeScalars.contains($0)
        } && !text.hasPrefix("-") && !text.hasPrefix(".")
        if plain { return text }
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                quoted += "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }

    static func flow(_ pairs: [(String, String?)]) -> String {
        "{" + pairs.compactMap { key, value in value.map { "\(key): \($0)" } }.joined(separator: ", ") + "}"
    }

    static func list(_ items: [String]) -> String { "[" + items.joined(separator: ", ") + "]" }

    /// ` # text` with line breaks flattened, or nothing.
    static func comment(_ text: String?) -> String {
        guard let text, !text.isEmpty else { return "" }
        return "  # " + text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    func idComment(_ kind: TopologySourceMap.Kind, _ name: String) -> String {
        Self.comment(imported.cloudIDs[TopologySourceMap.key(kind, name)])
    }

    mutating func note(_ kind: TopologySourceMap.Kind, _ name: String, indent: String) {
        if let note = imported.notes[TopologySourceMap.key(kind, name)] { lines.append("\(indent)# \(note)") }
    }

    // MARK: document

    mutating func write() {
        for line in imported.header { lines.append("# " + line) }
        lines.append("profile: \(topology.profile.rawValue)")
        writeSettings()
        lines.append("regions:")
        for region in topology.regions {
            if region.latencyTo.isEmpty {
                lines.append("  - \(region.name)")
            } else {
                let latency = region.latencyTo.keys.sorted().map { "\($0): \(region.latencyTo[$0]!)" }.joined(separator: ", ")
                lines.append("  - {name: \(region.name), latency: {\(latency)}}")
            }
        }
        lines.append("accounts: " + Self.list(topology.accounts.map { Self.scalar($0.name) }))
        writeVPCs()
        writeInstances()
        if !topology.peerings.isEmpty {
            lines.append("peerings:")
            for peering in topology.peerings { lines.append("  - " + peeringFlow(peering) + idComment(.peering, peering.name)) }
        }
        if !topology.timeline.isEmpty {
            lines.append("timeline:")
            for event in topology.timeline {
                let at = EmulatedDuration(nanoseconds: event.time.nanoseconds).description
                lines.append("  - " + Self.flow([("at", at), ("action", event.action.keyword)] + actionFields(event.action)))
            }
        }
    }

    mutating func writeSettings() {
        let settings = topology.settings, defaults = ControlPlaneSettings()
        var fields: [(String, String?)] = []
        func duration(_ key: String, _ value: EmulatedDuration, _ standard: EmulatedDuration) {
            if value != standard { fields.append((key, value.description)) }
        }
        duration("acceptance_timeout", settings.acceptanceTimeout, defaults.acceptanceTimeout)
        duration("activation_delay", settings.activationDelay, defaults.activationDelay)
        duration("deletion_delay", settings.deletionDelay, defaults.deletionDelay)
        duration("intra_region_latency", settings.intraRegionLatency, defaults.intraRegionLatency)
        if settings.defaultInterRegionBandwidthMbps != defaults.defaultInterRegionBandwidthMbps {
            fields.append(("default_inter_region_bandwidth", "\(settings.defaultInterRegionBandwidthMbps)"))
        }
        if settings.defaultLinkType != defaults.defaultLinkType { fields.append(("default_link_type", settings.defaultLinkType.rawValue)) }
        if settings.connectionTable != defaults.connectionTable { fields.append(("connection_table", "\(settings.connectionTable)")) }
        if settings.quotas != defaults.quotas {
            let q = settings.quotas
            fields.append(("quotas", Self.flow([("intra_region_peerings_per_vpc", "\(q.intraRegionPeeringsPerVPC)"),
                                                 ("inter_region_peerings_per_vpc", "\(q.interRegionPeeringsPerVPC)"),
                                                 ("peerings_per_account_per_region", "\(q.peeringsPerAccountPerRegion)"),
                                                 ("max_inter_region_bandwidth", "\(q.maxInterRegionBandwidthMbps)")])))
        }
        if !fields.isEmpty { lines.append("settings: " + Self.flow(fields)) }
    }

    mutating func writeVPCs() {
        lines.append("vpcs:")
        var group: (String, String)?
        for vpc in topology.vpcs {
            if group.map({ $0 != (vpc.account, vpc.region) }) ?? true {
                lines.append("  # account \(vpc.account), region \(vpc.region)")
                group = (vpc.account, vpc.region)
            }
            lines.append("  - name: \(vpc.name)" + idComment(.vpc, vpc.name))
            lines.append("    account: \(Self.scalar(vpc.account))")
            lines.append("    region: \(vpc.region)")
            lines.append("    cidr: \(vpc.cidr)")
            if !vpc.secondaryCIDRs.isEmpty { lines.append("    secondary_cidrs: " + Self.list(vpc.secondaryCIDRs.map(\.description))) }
            if let ipv6 = vpc.ipv6CIDR { lines.append("    ipv6_cidr: " + Self.scalar(ipv6.description)) }
            let vswitches = topology.vswitches.filter { $0.vpc == vpc.name }
            if !vswitches.isEmpty {
                lines.append("    vswitches:")
                for vswitch in vswitches {
                    lines.append("      - " + Self.flow([("name", vswitch.name), ("zone", Self.scalar(vswitch.zone)), ("cidr", vswitch.cidr.description),
                                                         ("ipv6_cidr", vswitch.ipv6CIDR.map { Self.scalar($0.description) }),
                                                         ("route_table", vswitch.routeTable), ("network_acl", vswitch.networkACL)])
                                 + idComment(.vswitch, vswitch.name))
                }
            }
            let tables = topology.routeTables.filter { $0.vpc == vpc.name }
            if !tables.isEmpty {
                lines.append("    route_tables:")
                for table in tables {
                    note(.routeTable, table.name, indent: "      ")
                    lines.append("      - name: \(table.name)" + idComment(.routeTable, table.name))
                    if table.isSystem { lines.append("        system: true") }
                    if !table.routes.isEmpty {
                        lines.append("        routes:")
                        for route in table.routes { lines.append("          - " + Self.flow(routeFields(route))) }
                    }
                }
            }
            let groups = topology.securityGroups.filter { $0.vpc == vpc.name }
            if !groups.isEmpty {
                lines.append("    security_groups:")
                for group in groups {
                    note(.securityGroup, group.name, indent: "      ")
                    lines.append("      - name: \(group.name)" + idComment(.securityGroup, group.name))
                    lines.append("        rules:" + (group.rules.isEmpty ? " []" : ""))
                    for rule in group.rules { lines.append("          - " + Self.flow(ruleFields(rule))) }
                }
            }
            let acls = topology.networkACLs.filter { $0.vpc == vpc.name }
            if !acls.isEmpty {
                lines.append("    network_acls:")
                for acl in acls {
                    note(.networkACL, acl.name, indent: "      ")
                    lines.append("      - name: \(acl.name)" + idComment(.networkACL, acl.name))
                    for (key, entries) in [("ingress", acl.ingress), ("egress", acl.egress)] {
                        lines.append("        \(key):" + (entries.isEmpty ? " []" : ""))
                        for entry in entries { lines.append("          - " + Self.flow(entryFields(entry))) }
                    }
                }
            }
        }
    }

    mutating func writeInstances() {
        guard !topology.instances.isEmpty else { return }
        lines.append("instances:")
        let vpcOfVSwitch = Dictionary(topology.vswitches.map { ($0.name, $0.vpc) }, uniquingKeysWith: { a, _ in a })
        var vpc: String?
        for instance in topology.instances {
            if let current = vpcOfVSwitch[instance.vswitch], current != vpc {
                lines.append("  # VPC \(current)")
                vpc = current
            }
            let ipv4 = instance.addresses.filter { $0.family == .ipv4 }.map(\.description)
            let ipv6 = instance.addresses.filter { $0.family == .ipv6 }.map { Self.scalar($0.description) }
            lines.append("  - " + Self.flow([("name", instance.name), ("vswitch", instance.vswitch),
                                             ("ipv4", ipv4.isEmpty ? nil : Self.list(ipv4)), ("ipv6", ipv6.isEmpty ? nil : Self.list(ipv6)),
                                             ("security_groups", instance.securityGroups.isEmpty ? nil : Self.list(instance.securityGroups))])
                         + idComment(.instance, instance.name))
        }
    }

    // MARK: objects as flow mappings

    func peeringFlow(_ peering: PeeringConnection) -> String {
        Self.flow(peeringFields(peering))
    }

    func peeringFields(_ peering: PeeringConnection) -> [(String, String?)] {
        [("name", peering.name), ("requester", peering.requesterVPC), ("accepter", peering.accepterVPC),
         ("bandwidth", peering.bandwidthMbps.map(String.init)), ("link_type", peering.linkType?.rawValue),
         ("burst", peering.burstBytes.map(String.init))]
    }

    func routeFields(_ route: RouteEntry) -> [(String, String?)] {
        let destination = ("destination", Self.scalar(route.destination.description))
        switch route.nextHop {
        case .peering(let name): return [destination, ("peering", name)]
        case .instance(let name): return [destination, ("instance", name)]
        case .blackhole: return [destination, ("blackhole", "true")]
        case .external(let gateway): return [destination, ("external", Self.scalar(gateway.id)), ("kind", gateway.kind.rawValue)]
        }
    }

    func ports(_ ports: PortRange, _ ipProtocol: RuleProtocol) -> String? {
        ipProtocol.hasPorts && ports != .any ? ports.description : nil
    }

    func ruleFields(_ rule: SecurityGroupRule) -> [(String, String?)] {
        let peer: (String, String) = switch rule.peer {
        case .network(let network): ("cidr", Self.scalar(network.description))
        case .securityGroup(let group): ("group", group)
        }
        return [("id", rule.id), ("direction", rule.direction.rawValue), ("policy", rule.policy == .drop ? "drop" : nil),
                ("priority", rule.priority != 1 ? "\(rule.priority)" : nil), ("protocol", rule.ipProtocol.rawValue),
                ("ports", ports(rule.ports, rule.ipProtocol)), peer, ("description", rule.description.map(Self.scalar))]
    }

    func entryFields(_ entry: NetworkACLEntry) -> [(String, String?)] {
        [("name", entry.name), ("policy", entry.policy == .drop ? "drop" : nil), ("protocol", entry.ipProtocol.rawValue),
         ("ports", ports(entry.ports, entry.ipProtocol)), ("cidr", Self.scalar(entry.network.description))]
    }

    func actionFields(_ action: ControlPlaneAction) -> [(String, String?)] {
        switch action {
        case .createPeering(let peering, let by): return peeringFields(peering) + [("by", by.map(Self.scalar))]
        case .acceptPeering(let name, let by), .rejectPeering(let name, let by), .deletePeering(let name, let by):
            return [("peering", name), ("by", by.map(Self.scalar))]
        case .modifyPeering(let name, let bandwidth, let linkType):
            return [("peering", name), ("bandwidth", bandwidth.map(String.init)), ("link_type", linkType?.rawValue)]
        case .addRoute(let table, let route): return [("route_table", table)] + routeFields(route)
        case .removeRoute(let table, let destination): return [("route_table", table), ("destination", Self.scalar(destination.description))]
        case .addSecurityGroupRule(let group, let rule): return [("security_group", group), ("rule", Self.flow(ruleFields(rule)))]
        case .removeSecurityGroupRule(let group, let id): return [("security_group", group), ("id", id)]
        case .addACLEntry(let acl, let direction, let entry, let position):
            return [("network_acl", acl), ("direction", direction.rawValue), ("entry", Self.flow(entryFields(entry))),
                    ("position", position.map(String.init))]
        case .removeACLEntry(let acl, let direction, let name): return [("network_acl", acl), ("direction", direction.rawValue), ("name", name)]
        }
    }
}
