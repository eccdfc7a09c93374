/// Graphviz DOT of a topology at one time: one cluster per VPC holding its vSwitches and their
/// instances, and one edge per peering labelled with its state (and bandwidth and link type
/// for inter-region peerings). Peerings that carry no traffic are drawn dashed.
public enum TopologyGraph {
    public static func dot(_ state: ControlPlaneState) -> String {
        let topology = state.topology
        var out = "digraph topology {\n"
        out += "  graph [rankdir=LR, fontname=\"Helvetica\", label=\(quote("VPC peering topology at \(state.time)")), labelloc=t, compound=true];\n"
        out += "  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n"
        for (v, vpc) in topology.vpcs.enumerated() {
            out += "  subgraph \(quote("cluster_\(v)")) {\n"
            out += "    label=\(quote("\(vpc.name)\n\(vpc.allCIDRs.map(\.description).joined(separator: ", "))\n\(vpc.account) · \(vpc.region)"));\n"
            out += "    style=rounded; color=\"#4a6fa5\";\n"
            out += "    \(quote("vpc:\(vpc.name)")) [shape=point, style=invis];\n"
            for vswitch in topology.vswitches where vswitch.vpc == vpc.name {
                out += "    \(quote("vsw:\(vswitch.name)")) [shape=box, style=filled, fillcolor=\"#e8eef7\", label=\(quote("\(vswitch.name)\n\(vswitch.allCIDRs.map(\.description).joined(separator: "\n"))\n\(vswitch.zone)"))];\n"
                for instance in topology.instances where instance.vswitch == vswitch.name {
                    out += "    \(quote("ecs:\(instance.name)")) [shape=ellipse, label=\(quote("\(instance.name)\n\(instance.addresses.map(\.description).joined(separator: "\n"))"))];\n"
                    out += "    \(quote("vsw:\(vswitch.name)")) -> \(quote("ecs:\(instance.name)")) [arrowhead=none];\n"
                }
            }
            out += "  }\n"
        }
        for peering in state.peerings {
            let (requester, accepter) = peering.vpcs
            guard let from = anchor(topology, requester), let to = anchor(topology, accepter) else { continue }
            var label = "\(peering.name)\n\(peering.state)"
            if let bandwidth = peering.bandwidthMbps { label += "\n\(bandwidth) Mbit/s" }
            if let linkType = peering.linkType { label += " \(linkType)" }
            let style = peering.state.carriesTraffic ? "solid" : "dashed"
            let color = switch peering.state {
            case .activated: "#2e7d32"
            case .accepting, .updating: "#f9a825"
            default: "#c62828"
            }
            out += "  \(quote(from)) -> \(quote(to)) [dir=both, style=\(style), color=\"\(color)\", label=\(quote(label)), ltail=\(quote(cluster(topology, requester))), lhead=\(quote(cluster(topology, accepter)))];\n"
        }
        return out + "}\n"
    }

    /// A node inside a VPC's cluster to hang peering edges on (its first vSwitch, else the
    /// invisible VPC point).
    static func anchor(_ topology: Topology, _ vpc: String) -> String? {
        guard topology.vpc(named: vpc) != nil else { return nil }
        return topology.vswitches.first { $0.vpc == vpc }.map { "vsw:\($0.name)" } ?? "vpc:\(vpc)"
    }

    static func cluster(_ topology: Topology, _ vpc: String) -> String {
        "cluster_\(topology.vpcs.firstIndex { $0.name == vpc } ?? 0)"
    }

    /// A DOT double-quoted string; newlines become `\n` line breaks.
    static func quote(_ text: String) -> String {
        var out = "\""
        for character in text {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out + "\""
    }
}
