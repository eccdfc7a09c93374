/// The generic rule form every filter compiles to: source and destination prefix of one family,
/// inclusive port ranges and a protocol value under a mask. A rule set is an ordered list of
/// these; the answer to a lookup is the index of the first rule that matches.
public struct ClassifierRule: Hashable, Sendable, CustomStringConvertible {
    public var source: IPNetwork
    public var destination: IPNetwork
    public var sourcePorts: PortRange
    public var destinationPorts: PortRange
    public var ipProtocol: UInt8
    /// Bits of the protocol that must equal `ipProtocol`; 0 matches every protocol.
    public var protocolMask: UInt8

    public init(source: IPNetwork, destination: IPNetwork, sourcePorts: PortRange = .any,
                destinationPorts: PortRange = .any, ipProtocol: UInt8 = 0, protocolMask: UInt8 = 0) {
        precondition(source.family == destination.family, "a rule's prefixes share one family")
        self.source = source
        self.destination = destination
        self.sourcePorts = sourcePorts
        self.destinationPorts = destinationPorts
        self.ipProtocol = ipProtocol & protocolMask
        self.protocolMask = protocolMask
    }

    @inlinable public var family: AddressFamily { source.family }

    /// The obviously-correct definition the compiled classifier is tested against.
    public func matches(_ tuple: FiveTuple) -> Bool {
        tuple.family == family && source.contains(tuple.source) && destination.contains(tuple.destination)
            && sourcePorts.contains(tuple.sourcePort) && destinationPorts.contains(tuple.destinationPort)
            && tuple.ipProtocol & protocolMask == ipProtocol
    }

    public var description: String {
        "\(source) -> \(destination) sport \(sourcePorts) dport \(destinationPorts) proto \(ipProtocol)/\(protocolMask)"
    }
}

/// The reference classifier: scans the ordered list, rule by rule. Used by `bench acl --verify`;
/// tests also compare with `ClassifierRule.matches` directly.
public struct LinearClassifier: Sendable {
    private let rules: ContiguousArray<PackedRule>

    public init(rules: [ClassifierRule]) { self.rules = ContiguousArray(rules.map(PackedRule.init)) }

    /// The index of the first matching rule, nil when none matches.
    public func firstMatch(_ tuple: FiveTuple) -> Int? {
        rules.firstIndex { $0.matches(tuple) }
    }
}
