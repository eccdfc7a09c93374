/// What decided a filtering verdict, for the pipeline's drop reasons and the analyzer's report.
public enum FilterDecider: Hashable, Sendable, CustomStringConvertible {
    case securityGroupRule(group: String, rule: String)
    /// No rule of the instance's groups matched: ingress denied, egress allowed.
    case securityGroupDefault(TrafficDirection)
    case networkACLEntry(acl: String, direction: TrafficDirection, entry: String)
    /// No entry matched: network ACLs deny implicitly.
    case networkACLDefault(acl: String, direction: TrafficDirection)
    /// Part of (or related to) a flow an earlier verdict accepted; see `ConnectionTracker`.
    case trackedConnection
    /// A new connection refused, or a packet of one, because the connection table was full.
    case connectionTableFull

    public var description: String {
        switch self {
        case .securityGroupRule(let group, let rule): "security group \(group) rule \(rule)"
        case .securityGroupDefault(let direction):
            "security group default (\(direction == .ingress ? "ingress denied" : "egress allowed") when no rule matches)"
        case .networkACLEntry(let acl, let direction, let entry): "network ACL \(acl) \(direction) entry \(entry)"
        case .networkACLDefault(let acl, let direction): "network ACL \(acl) \(direction) implicit deny"
        case .trackedConnection: "tracked connection (stateful return traffic)"
        case .connectionTableFull: "connection table full (new connection refused)"
        }
    }
}

/// A stateless filter as `ConnectionTracker.filter` consults it. Callers are generic over it, so
/// whole-module optimisation specialises them (no existential on the per-packet path).
public protocol StatelessFilter {
    func evaluate(_ tuple: FiveTuple) -> FilterVerdict
}

/// A verdict as the hot path carries it: the policy and the index of its decider in the
/// filter's `deciders` (no strings copied per packet).
public struct FilterVerdict: Hashable, Sendable {
    public var policy: RulePolicy
    public var decider: UInt32

    public init(policy: RulePolicy, decider: UInt32) {
        self.policy = policy
        self.decider = decider
    }
}

/// An ordered list of (classifier rule, policy, decider) compiled into a `PacketClassifier`,
/// with a default verdict when nothing matches. Security groups and network ACLs both compile
/// to this; they differ only in how they order and expand their rules.
public struct CompiledFilter: Sendable {
    public let classifier: PacketClassifier
    /// Per classifier rule, the verdict it gives.
    @usableFromInline let ruleVerdicts: ContiguousArray<FilterVerdict>
    @usableFromInline let defaultVerdict: FilterVerdict
    /// Every decider; `FilterVerdict.decider` indexes this.
    public let deciders: [FilterDecider]

    /// `rules[i]` gives `verdicts[i]` (its decider an index into `deciders`); `fallback` decides
    /// when nothing matches and is appended to `deciders`.
    init(rules: [ClassifierRule], verdicts: [FilterVerdict], deciders: [FilterDecider],
         fallback: (RulePolicy, FilterDecider)) {
        precondition(rules.count == verdicts.count, "one verdict per rule")
        classifier = PacketClassifier(rules: rules)
        ruleVerdicts = ContiguousArray(verdicts)
        defaultVerdict = FilterVerdict(policy: fallback.0, decider: UInt32(deciders.count))
        self.deciders = deciders + [fallback.1]
    }

    /// The verdict for one packet.
    public func evaluate(_ tuple: FiveTuple) -> FilterVerdict {
        guard let rule = classifier.firstMatch(tuple) else { return defaultVerdict }
        return ruleVerdicts[rule]
    }

    /// Verdicts for a batch; `scratch` (at least `tuples.count` slots) receives the matched rules.
    public func evaluate(_ tuples: UnsafeBufferPointer<FiveTuple>, scratch: UnsafeMutableBufferPointer<UInt32>,
                         into verdicts: UnsafeMutableBufferPointer<FilterVerdict>) {
        precondition(verdicts.count >= tuples.count, "one verdict slot per tuple")
        classifier.classify(tuples, into: scratch)
        ruleVerdicts.withUnsafeBufferPointer { ruleVerdicts in
            for index in 0..<tuples.count {
                let rule = scratch[index]
                verdicts[index] = rule == PacketClassifier.noMatch ? defaultVerdict : ruleVerdicts[Int(rule)]
            }
        }
    }

    /// What decided `verdict`.
    public func decider(of verdict: FilterVerdict) -> FilterDecider { deciders[Int(verdict.decider)] }
}

extension RuleProtocol {
    /// The protocol as a classifier value/mask: `all` has mask 0.
    var classifierMatch: (value: UInt8, mask: UInt8) {
        number.map { ($0, 0xFF) } ?? (0, 0)
    }
}

extension IPNetwork {
    /// `0.0.0.0/0` or `::/0`.
    static func everything(_ family: AddressFamily) -> IPNetwork {
        IPNetwork(address: family == .ipv4 ? .v4(IPv4Address(0)) : .v6(IPv6Address(high: 0, low: 0)), prefixLength: 0)
    }
}

extension ClassifierRule {
    /// The rule for traffic to or from `remote`: for ingress `remote` is the source, for egress
    /// the destination. Ports are the destination port in both directions, as both Alibaba Cloud
    /// security groups and network ACLs define them; protocols without ports ignore the range.
    init(direction: TrafficDirection, remote: IPNetwork, ipProtocol: RuleProtocol, ports: PortRange) {
        let local = IPNetwork.everything(remote.family)
        let (value, mask) = ipProtocol.classifierMatch
        self.init(source: direction == .ingress ? remote : local, destination: direction == .ingress ? local : remote,
                  destinationPorts: ipProtocol.hasPorts ? ports : .any, ipProtocol: value, protocolMask: mask)
    }
}
