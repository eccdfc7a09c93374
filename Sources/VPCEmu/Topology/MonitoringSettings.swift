/// Alert rules and the inter-region traffic price table. Declared in the topology file; evaluated
/// by the replay on its per-interval series (see docs/topology.md for the field reference).

/// Metrics of one peering direction, named after the cloud monitoring metrics.
public enum PeeringMetric: String, Sendable, Hashable, CaseIterable {
    case inboundBandwidth = "inbound_bandwidth"        // bit/s
    case outboundBandwidth = "outbound_bandwidth"      // bit/s
    case inboundPackets = "inbound_packets"            // packets/s
    case outboundPackets = "outbound_packets"          // packets/s
    case throttledPackets = "throttled_packets"        // packets dropped due to throttling, per period
    case throttledRate = "throttled_rate"              // throttled / offered, 0...1
}

public enum AlertComparison: String, Sendable, Hashable, CaseIterable {
    case greaterThan = ">"
    case greaterThanOrEqual = ">="
    case lessThan = "<"
    case lessThanOrEqual = "<="

    public func holds(_ value: Double, _ threshold: Double) -> Bool {
        switch self {
        case .greaterThan: value > threshold
        case .greaterThanOrEqual: value >= threshold
        case .lessThan: value < threshold
        case .lessThanOrEqual: value <= threshold
        }
    }
}

/// Fires when `metric comparison threshold` holds for `consecutivePeriods` periods in a row.
public struct AlertRule: Sendable, Hashable {
    public var name: String
    /// The peering watched; nil watches every peering.
    public var peering: String?
    public var metric: PeeringMetric
    public var period: EmulatedDuration
    public var comparison: AlertComparison
    public var threshold: Double
    public var consecutivePeriods: Int

    public init(name: String, peering: String?, metric: PeeringMetric, period: EmulatedDuration,
                comparison: AlertComparison, threshold: Double, consecutivePeriods: Int) {
        self.name = name
        self.peering = peering
        self.metric = metric
        self.period = period
        self.comparison = comparison
        self.threshold = threshold
        self.consecutivePeriods = consecutivePeriods
    }
}

/// Price of inter-region outbound traffic per GB, by link type. The default is the
/// documentation's example price (0.072 USD/GB: 200 GB cost 14.4 USD) for both link types.
public struct PriceTable: Sendable, Hashable {
    public var currency: String
    public var perGB: [PeeringLinkType: Double]

    public init(currency: String = "USD", perGB: [PeeringLinkType: Double] = [.gold: 0.072, .platinum: 0.072]) {
        self.currency = currency
        self.perGB = perGB
    }
}
