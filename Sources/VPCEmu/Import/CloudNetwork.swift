/// What the importers read, in the cloud's own terms and ids, before naming: every reader (AWS
/// describe dumps, Terraform state and plans, Alibaba Cloud API dumps) fills one of these and
/// `CloudNetworkBuilder` turns it into a `Topology` — one place for naming, grouping, the
/// implicit objects and the account of what is not modelled.
struct CloudNetwork {
    /// Where an object was read, for located errors.
    struct Origin: CustomStringConvertible {
        var file: String
        var path: String

        var description: String { "\(file): \(path)" }

        func error(_ message: String, expected: String? = nil) -> ImportError {
            ImportError(file: file, path: path, message, expected: expected)
        }
    }

    struct VPC {
        var id: String
        var nameTag: String?
        var account: String
        var region: String
        /// IPv4 blocks, the primary first.
        var cidrs: [IPNetwork]
        var ipv6CIDRs: [IPNetwork] = []
        var origin: Origin
    }

    struct Subnet {
        var id: String
        var nameTag: String?
        var vpc: String
        var zone: String
        var cidr: IPNetwork
        var ipv6CIDR: IPNetwork?
        var origin: Origin
    }

    enum RouteTarget: Hashable {
        case local
        case peering(String)
        /// An instance (or its network interface, by the interface id).
        case instance(String)
        case gateway(ExternalGateway)
        case blackhole
    }

    struct Route {
        var destination: IPNetwork
        var target: RouteTarget
        var origin: Origin
    }

    struct RouteTable {
        var id: String
        var nameTag: String?
        var vpc: String
        var isMain: Bool
        var subnets: [String]
        var routes: [Route]
        var origin: Origin
        /// Why the importer added it (nil: read from the input).
        var implicitNote: String?
    }

    enum RulePeer: Hashable {
        case cidr(IPNetwork)
        /// A security group by id; `account` when the input names another account's group.
        case group(String, account: String?)
    }

    struct Rule {
        var direction: TrafficDirection
        var allow: Bool = true
        var priority: Int?
        var ipProtocol: RuleProtocol
        var ports: PortRange
        var peer: RulePeer
        var description: String?
        var origin: Origin
    }

    struct SecurityGroup {
        var id: String
        var nameTag: String?
        var vpc: String
        var rules: [Rule]
        var origin: Origin
        var implicitNote: String?
    }

    struct ACLEntry {
        var ruleNumber: Int
        var egress: Bool
        var allow: Bool
        var ipProtocol: RuleProtocol
        var ports: PortRange
        var cidr: IPNetwork
    }

    struct NetworkACL {
        var id: String
        var nameTag: String?
        var vpc: String
        var isDefault: Bool
        var subnets: [String]
        /// Explicit entries; the final `*` deny is the model's implicit default and is not listed.
        var entries: [ACLEntry]
        var origin: Origin
        var implicitNote: String?
    }

    struct Interface {
        var id: String
        var subnet: String
        var deviceIndex: Int
        var addresses: [IPAddress]
        var groups: [String]
    }

    struct Instance {
        var id: String
        var nameTag: String?
        var interfaces: [Interface]
        var origin: Origin
    }

    /// The peering lifecycle as the cloud names it.
    enum PeeringStatus: String {
        case pendingAcceptance = "pending-acceptance", active, deleted, rejected, expired, failed, provisioning, deleting
        case initiatingRequest = "initiating-request"
    }

    struct Peering {
        var id: String
        var nameTag: String?
        var requesterVPC: String
        var accepterVPC: String
        var status: PeeringStatus
        /// Alibaba Cloud inter-region peerings only (Mbit/s).
        var bandwidthMbps: Int? = nil
        var origin: Origin
    }

    var profile: RoutingProfile
    var vpcs: [VPC] = []
    var subnets: [Subnet] = []
    var routeTables: [RouteTable] = []
    var securityGroups: [SecurityGroup] = []
    var networkACLs: [NetworkACL] = []
    var instances: [Instance] = []
    var peerings: [Peering] = []
    /// Input objects VPCEmu does not model (or models partly), with what became of them.
    var notices = ImportNotices()
    /// Lines for the output's header: what the importer added back or assumed.
    var headerNotes: [String] = []

    init(profile: RoutingProfile) { self.profile = profile }

    /// Where each cloud id was first read, for the duplicate check.
    private var seen: [String: Origin] = [:]

    /// Records `id`; a second object with that id is an error naming both places.
    mutating func claim(_ id: String, kind: String, at origin: Origin) throws(ImportError) {
        if let first = seen[id] {
            throw origin.error("duplicate \(kind) id '\(id)' (first read at \(first))", expected: "each object once across the input files")
        }
        seen[id] = origin
    }
}

extension CloudNetwork {
    /// An AWS rule's protocol (`-1`, a number or a name) and ports (TCP and UDP; for ICMP the
    /// type, which the model cannot match on: the rule widens to every ICMP type, and says so).
    /// Nil, with a notice, for protocols the model does not filter (GRE, ESP, …).
    mutating func awsProtocolAndPorts(_ text: String, from: Int?, to: Int?, at origin: Origin, context: String) throws(ImportError) -> (RuleProtocol, PortRange)? {
        let ipProtocol: RuleProtocol? = switch text.lowercased() {
        case "-1", "all": .all
        case "6", "tcp": .tcp
        case "17", "udp": .udp
        case "1", "icmp": .icmp
        case "58", "icmpv6": .icmpv6
        default: nil
        }
        guard let ipProtocol else {
            notices.add("\(context) for IP protocols other than TCP, UDP, ICMP and ICMPv6", fate: "omitted (the model filters those four or all)", id: "protocol \(text)")
            return nil
        }
        var ports = PortRange.any
        if ipProtocol.hasPorts, let from, let to, from >= 0 {
            guard from <= to, to <= 65535 else {
                throw origin.error("bad port range \(from)-\(to)", expected: "0 ≤ from ≤ to ≤ 65535")
            }
            ports = PortRange(UInt16(from), UInt16(to))
        } else if ipProtocol == .icmp || ipProtocol == .icmpv6, let from, from != -1 {
            notices.add("\(context) for one ICMP type or code", fate: "widened to every ICMP type (the model has no ICMP type match)", id: "type \(from)")
        }
        return (ipProtocol, ports)
    }
}

/// The input objects an import did not model, by kind, with their fate; printed on stderr.
public struct ImportNotices: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var kind: String
        public var count: Int
        public var fate: String
        public var examples: [String]
    }

    public private(set) var entries: [Entry] = []

    /// Counts one object of `kind` with `fate`; the first ids are kept as examples.
    mutating func add(_ kind: String, fate: String, id: String? = nil, count: Int = 1) {
        guard count > 0 else { return }
        if let position = entries.firstIndex(where: { $0.kind == kind && $0.fate == fate }) {
            entries[position].count += count
            if let id, entries[position].examples.count < 3, !entries[position].examples.contains(id) { entries[position].examples.append(id) }
        } else {
            entries.append(Entry(kind: kind, count: count, fate: fate, examples: id.map { [$0] } ?? []))
        }
    }

    /// One line per kind and fate, sorted: `3 internet gateways (igw-1, …): routes to them …`.
    public var lines: [String] {
        entries.sorted { ($0.kind, $0.fate) < ($1.kind, $1.fate) }.map { entry in
            let examples = entry.examples.isEmpty ? "" : " (\(entry.examples.joined(separator: ", "))\(entry.count > entry.examples.count ? ", …" : ""))"
            return "\(entry.count) \(entry.kind)\(examples): \(entry.fate)"
        }
    }
}
