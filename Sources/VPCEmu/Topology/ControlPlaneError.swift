/// Why the control plane refused an action. The message names the objects and, for state
/// errors, the state the peering is in.
public struct ControlPlaneError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case unknownObject
        case duplicate
        case invalidState(PeeringState)
        case forbidden
        case quotaExceeded
        case invalidParameter
        case routeRejected
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// What an applied action or an automatic transition changed: the compiled data plane rebuilds
/// exactly these parts.
public enum ControlPlaneChange: Sendable, Hashable, CustomStringConvertible {
    case peeringState(String, from: PeeringState?, to: PeeringState)
    case peeringModified(String)
    case routeTable(String)
    case securityGroup(String)
    case networkACL(String)

    public var description: String {
        switch self {
        case .peeringState(let name, let from, let to): "peering \(name): \(from.map { "\($0) -> " } ?? "created ")\(to)"
        case .peeringModified(let name): "peering \(name) modified"
        case .routeTable(let name): "route table \(name) changed"
        case .securityGroup(let name): "security group \(name) changed"
        case .networkACL(let name): "network ACL \(name) changed"
        }
    }
}
