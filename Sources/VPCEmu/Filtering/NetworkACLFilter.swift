/// A network ACL compiled for one direction: entries in order, first match wins, and a packet
/// that matches no entry is denied (implicit deny). Stateless: return traffic needs its own entry.
public struct NetworkACLFilter: Sendable {
    public let acl: String
    public let direction: TrafficDirection
    public let filter: CompiledFilter

    public init(_ acl: NetworkACL, direction: TrafficDirection) {
        let entries = direction == .ingress ? acl.ingress : acl.egress
        self.acl = acl.name
        self.direction = direction
        filter = CompiledFilter(
            rules: entries.map { ClassifierRule(direction: direction, remote: $0.network, ipProtocol: $0.ipProtocol, ports: $0.ports) },
            verdicts: entries.indices.map { FilterVerdict(policy: entries[$0].policy, decider: UInt32($0)) },
            deciders: entries.map { .networkACLEntry(acl: acl.name, direction: direction, entry: $0.name) },
            fallback: (.drop, .networkACLDefault(acl: acl.name, direction: direction)))
    }

    public func evaluate(_ tuple: FiveTuple) -> FilterVerdict { filter.evaluate(tuple) }

    public func decider(of verdict: FilterVerdict) -> FilterDecider { filter.decider(of: verdict) }
}
