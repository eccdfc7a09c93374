/// Names one direction of one peering connection with plain values, so metering and reporting
/// need nothing from the topology model: the pipeline maps its peering objects onto these keys.
public struct PeeringDirectionKey: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Which way traffic crosses the peering.
    ///
    /// Alibaba Cloud's CloudMonitor names the two directions of a VPC peering connection from the
    /// peering's point of view: "inbound" is traffic the requester sends to the accepter, "outbound"
    /// is traffic the accepter sends to the requester (VPC peering monitoring, metrics 周期内入方向流量 /
    /// 周期内出方向流量: https://www.alibabacloud.com/help/tc/vpc/user-guide/vpc-peer-to-peer-connection-monitoring-and-operation).
    public enum Direction: String, Hashable, Comparable, Sendable, Codable, CaseIterable {
        case requesterToAccepter = "requester-to-accepter"
        case accepterToRequester = "accepter-to-requester"

        /// The CloudMonitor side of the peering this direction is reported under.
        public var cloudMonitorSide: String {
            switch self {
            case .requesterToAccepter: "inbound"
            case .accepterToRequester: "outbound"
            }
        }

        public static func < (lhs: Direction, rhs: Direction) -> Bool {
            lhs == .requesterToAccepter && rhs == .accepterToRequester
        }
    }

    public var peering: String
    public var direction: Direction

    public init(peering: String, direction: Direction) {
        self.peering = peering
        self.direction = direction
    }

    public var description: String { "\(peering) \(direction.rawValue)" }

    public static func < (lhs: PeeringDirectionKey, rhs: PeeringDirectionKey) -> Bool {
        (lhs.peering, lhs.direction) < (rhs.peering, rhs.direction)
    }
}

/// The service level of an inter-region peering, as Alibaba Cloud's Cloud Data Transfer names it
/// (https://www.alibabacloud.com/help/en/cdt/ — "Cross-region data transfers": Platinum for traffic that is
/// sensitive to latency and jitter, Gold for traffic that is not, such as data synchronisation).
public enum InterRegionLinkType: String, Hashable, Comparable, Sendable, Codable, CodingKeyRepresentable, CaseIterable,
    CustomStringConvertible {
    case platinum
    case gold

    public var description: String { self == .platinum ? "Platinum" : "Gold" }

    public static func < (lhs: InterRegionLinkType, rhs: InterRegionLinkType) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
