/// The states of a VPC peering connection, as the Alibaba Cloud console names them.
///
/// ```
/// create (same account) ─────────────────────────────▶ Activated
/// create (cross-account) ─▶ Accepting ─accept─▶ Updating ─▶ Activated
///                              │ reject ─▶ Rejected
///                              └ 7 days ─▶ Expired
/// delete (either side) ─▶ Deleting ─▶ Deleted
/// ```
public enum PeeringState: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case accepting = "Accepting"
    case updating = "Updating"
    case activated = "Activated"
    case rejected = "Rejected"
    case expired = "Expired"
    case deleting = "Deleting"
    case deleted = "Deleted"

    public var description: String { rawValue }

    /// Only an Activated peering carries traffic.
    public var carriesTraffic: Bool { self == .activated }

    /// States that still count against the quotas.
    public var countsAgainstQuota: Bool { self != .rejected && self != .expired && self != .deleted }

    /// States from which the peering may be deleted.
    public var allowsDeletion: Bool { self == .accepting || self == .activated || self == .rejected || self == .expired }
}

/// A peering connection as the control plane holds it.
public struct PeeringStatus: Sendable, Hashable {
    public struct Transition: Sendable, Hashable {
        public var time: EmulatedTime
        public var state: PeeringState
    }

    public var connection: PeeringConnection
    public var requesterAccount: String
    public var accepterAccount: String
    public var requesterRegion: String
    public var accepterRegion: String
    public private(set) var state: PeeringState
    /// Every state the peering has been in, with the time it entered it; the first is its creation.
    public private(set) var history: [Transition]
    /// When the current state ends by itself (expiry, end of Updating or Deleting).
    public private(set) var deadline: EmulatedTime?

    public var name: String { connection.name }
    public var isInterRegion: Bool { requesterRegion != accepterRegion }
    public var isCrossAccount: Bool { requesterAccount != accepterAccount }
    public var createdAt: EmulatedTime { history.first?.time ?? .zero }
    public var stateSince: EmulatedTime { history.last?.time ?? .zero }

    /// The bandwidth limit in Mbit/s; nil for intra-region peerings, which are not limited.
    public var bandwidthMbps: Int? { isInterRegion ? connection.bandwidthMbps : nil }
    public var linkType: InterRegionLinkType? { isInterRegion ? connection.linkType : nil }

    init(connection: PeeringConnection, requester: VPC, accepter: VPC, state: PeeringState, at time: EmulatedTime,
         deadline: EmulatedTime?) {
        self.connection = connection
        requesterAccount = requester.account
        accepterAccount = accepter.account
        requesterRegion = requester.region
        accepterRegion = accepter.region
        self.state = state
        history = [Transition(time: time, state: state)]
        self.deadline = deadline
    }

    mutating func enter(_ state: PeeringState, at time: EmulatedTime, deadline: EmulatedTime?) {
        self.state = state
        history.append(Transition(time: time, state: state))
        self.deadline = deadline
    }

    /// The two VPCs, requester first.
    public var vpcs: (requester: String, accepter: String) { (connection.requesterVPC, connection.accepterVPC) }

    /// The VPC on the other side of `vpc`, or nil when `vpc` is not an end of this peering.
    public func peer(of vpc: String) -> String? {
        vpc == connection.requesterVPC ? connection.accepterVPC : (vpc == connection.accepterVPC ? connection.requesterVPC : nil)
    }
}
