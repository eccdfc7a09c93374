/// Declarations of security groups and network ACLs as users write them. Evaluation lives in
/// the compiled classifiers; these types are the slow-path source of truth shared with the
/// topology file.

public enum TrafficDirection: String, Sendable, Hashable, Codable, CaseIterable {
    case ingress
    case egress
}

public enum RulePolicy: String, Sendable, Hashable, Codable {
    case accept
    case drop
}

/// The protocol a rule matches. `all` matches every protocol, including ones without ports.
public enum RuleProtocol: String, Sendable, Hashable, Codable, CaseIterable {
    case all
    case tcp
    case udp
    case icmp
    case icmpv6

    /// IANA protocol number, nil for `all`.
    public var number: UInt8? {
        switch self {
        case .all: nil
        case .tcp: IPProtocolNumber.tcp
        case .udp: IPProtocolNumber.udp
        case .icmp: IPProtocolNumber.icmp
        case .icmpv6: IPProtocolNumber.icmpv6
        }
    }

    /// Whether rules of this protocol carry a port range.
    public var hasPorts: Bool { self == .tcp || self == .udp }
}

/// An inclusive destination port range; `PortRange.any` is 0...65535.
public struct PortRange: Hashable, Sendable, CustomStringConvertible {
    public var lower: UInt16
    public var upper: UInt16

    public init(_ lower: UInt16, _ upper: UInt16) {
        precondition(lower <= upper, "port range lower bound above upper bound")
        self.lower = lower
        self.upper = upper
    }

    public static let any = PortRange(0, 65535)

    @inlinable public func contains(_ port: UInt16) -> Bool { lower <= port && port <= upper }

    public var description: String { lower == upper ? "\(lower)" : "\(lower)-\(upper)" }
}

/// Who a security-group rule talks to: a CIDR block, or the members of a security group.
public enum RulePeer: Hashable, Sendable {
    case network(IPNetwork)
    case securityGroup(String)
}

/// One security-group rule. Priority 1 is the highest, 100 the lowest; at equal priority a
/// drop rule wins over an accept rule (Alibaba Cloud ECS security group documentation).
public struct SecurityGroupRule: Hashable, Sendable {
    public var id: String
    public var direction: TrafficDirection
    public var policy: RulePolicy
    public var priority: Int
    public var ipProtocol: RuleProtocol
    public var ports: PortRange
    public var peer: RulePeer
    public var description: String?

    public static let priorities = 1...100

    public init(id: String, direction: TrafficDirection, policy: RulePolicy, priority: Int = 1,
                ipProtocol: RuleProtocol, ports: PortRange = .any, peer: RulePeer, description: String? = nil) {
        self.id = id
        self.direction = direction
        self.policy = policy
        self.priority = priority
        self.ipProtocol = ipProtocol
        self.ports = ports
        self.peer = peer
        self.description = description
    }

    /// `items` in the order their rules are evaluated: priority (1 first), at equal priority drop
    /// before accept, then as given. The filter compiles this order and `topology show` prints it.
    public static func evaluationOrder<Item>(_ items: [Item], rule: (Item) -> SecurityGroupRule) -> [Item] {
        items.enumerated().sorted { a, b in
            let (ruleA, ruleB) = (rule(a.element), rule(b.element))
            if ruleA.priority != ruleB.priority { return ruleA.priority < ruleB.priority }
            if ruleA.policy != ruleB.policy { return ruleA.policy == .drop }
            return a.offset < b.offset
        }.map(\.element)
    }
}

/// A security group: a named set of rules in one VPC that instances join.
public struct SecurityGroup: Hashable, Sendable {
    public var name: String
    public var vpc: String
    public var rules: [SecurityGroupRule]

    public init(name: String, vpc: String, rules: [SecurityGroupRule]) {
        self.name = name
        self.vpc = vpc
        self.rules = rules
    }
}

/// One network ACL entry. Entries of one direction are evaluated in order; the first match
/// decides, and a packet that matches none is denied.
public struct NetworkACLEntry: Hashable, Sendable {
    public var name: String
    public var policy: RulePolicy
    public var ipProtocol: RuleProtocol
    public var ports: PortRange
    /// The remote side: the source for ingress entries, the destination for egress entries.
    public var network: IPNetwork

    public init(name: String, policy: RulePolicy, ipProtocol: RuleProtocol, ports: PortRange = .any, network: IPNetwork) {
        self.name = name
        self.policy = policy
        self.ipProtocol = ipProtocol
        self.ports = ports
        self.network = network
    }
}

/// A network ACL: bound to vSwitches of one VPC, stateless, ordered entries per direction.
public struct NetworkACL: Hashable, Sendable {
    public var name: String
    public var vpc: String
    public var ingress: [NetworkACLEntry]
    public var egress: [NetworkACLEntry]

    public init(name: String, vpc: String, ingress: [NetworkACLEntry], egress: [NetworkACLEntry]) {
        self.name = name
        self.vpc = vpc
        self.ingress = ingress
        self.egress = egress
    }
}
