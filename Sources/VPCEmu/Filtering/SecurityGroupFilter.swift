/// The security groups of one instance compiled for one direction.
///
/// All rules of all the instance's groups are evaluated together: the highest priority (1)
/// matching rule decides, and at equal priority a drop rule wins over an accept rule (Alibaba
/// Cloud ECS security group documentation). When no rule matches, ingress is denied and egress
/// is allowed — the documented defaults of a basic security group. This filter is stateless;
/// `ConnectionTracker.filter` adds the stateful return-traffic rule.
///
/// Compiled as an ordered list in `SecurityGroupRule.evaluationOrder` (priority, drop before
/// accept, group order, rule order), whose first match is exactly that decision.
public struct SecurityGroupFilter: StatelessFilter, Sendable {
    public let direction: TrafficDirection
    public let filter: CompiledFilter

    public enum CompileError: Error, Equatable, Sendable, CustomStringConvertible {
        case priorityOutOfRange(group: String, rule: String, priority: Int)
        case unknownPeerGroup(group: String, rule: String, peer: String)

        public var description: String {
            switch self {
            case .priorityOutOfRange(let group, let rule, let priority):
                "security group \(group) rule \(rule): priority \(priority) is outside 1...100"
            case .unknownPeerGroup(let group, let rule, let peer):
                "security group \(group) rule \(rule): peer security group \(peer) has no known membership"
            }
        }
    }

    /// - Parameter members: the addresses of each security group's member instances, by group
    ///   name; a rule whose peer is a group matches those addresses (a group with no members
    ///   matches nothing). The topology supplies this.
    public init(groups: [SecurityGroup], direction: TrafficDirection, members: [String: [IPAddress]]) throws(CompileError) {
        struct Candidate {
            var decider: Int, remotes: [IPNetwork], rule: SecurityGroupRule
        }
        var candidates: [Candidate] = []
        var deciders: [FilterDecider] = []
        for group in groups {
            for rule in group.rules where rule.direction == direction {
                guard SecurityGroupRule.priorities.contains(rule.priority) else {
                    throw .priorityOutOfRange(group: group.name, rule: rule.id, priority: rule.priority)
                }
                let remotes: [IPNetwork]
                switch rule.peer {
                case .network(let network):
                    remotes = [network]
                case .securityGroup(let peer):
                    guard let addresses = members[peer] else {
                        throw .unknownPeerGroup(group: group.name, rule: rule.id, peer: peer)
                    }
                    remotes = addresses.map { IPNetwork(address: $0, prefixLength: $0.family.bitWidth) }
                }
                candidates.append(Candidate(decider: deciders.count, remotes: remotes, rule: rule))
                deciders.append(.securityGroupRule(group: group.name, rule: rule.id))
            }
        }
        var rules: [ClassifierRule] = [], verdicts: [FilterVerdict] = []
        for candidate in SecurityGroupRule.evaluationOrder(candidates, rule: \.rule) {
            for remote in candidate.remotes {
                rules.append(ClassifierRule(direction: direction, remote: remote, ipProtocol: candidate.rule.ipProtocol,
                                            ports: candidate.rule.ports))
                verdicts.append(FilterVerdict(policy: candidate.rule.policy, decider: UInt32(candidate.decider)))
            }
        }
        self.direction = direction
        filter = CompiledFilter(rules: rules, verdicts: verdicts, deciders: deciders,
                                fallback: (direction == .ingress ? .drop : .accept, .securityGroupDefault(direction)))
    }

    public func evaluate(_ tuple: FiveTuple) -> FilterVerdict { filter.evaluate(tuple) }

    public func decider(of verdict: FilterVerdict) -> FilterDecider { filter.decider(of: verdict) }
}
