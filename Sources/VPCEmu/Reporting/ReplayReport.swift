import Foundation

/// `report.json`: everything a replay measured. The pipeline fills `totals` and `dropsByReason`; the
/// peering, interval, alert and cost sections are built from the meter's `IntervalSeries`, the alert
/// evaluator and the cost estimator. Every field is documented in docs/report.md.
public struct ReplayReport: Hashable, Sendable, Codable {
    /// Bumped when a field changes meaning or disappears.
    public static let currentFormatVersion = 1

    public var formatVersion: Int
    /// Emulated time of the first and last packet replayed, ns.
    public var emulatedStart: Int64
    public var emulatedEnd: Int64
    public var totals: Totals
    /// Dropped packets per drop reason code.
    public var dropsByReason: [String: Int64]
    public var peerings: [PeeringDirectionSummary]
    public var intervals: IntervalSection
    public var alerts: [FiredAlert]
    public var cost: CostReport
    /// New connections the full connection table refused (`settings.connection_table`); their
    /// packets are in `dropsByReason` as `connection-table-full`.
    public var connectionsRefused: Int64

    public init(emulatedStart: Int64, emulatedEnd: Int64, totals: Totals, dropsByReason: [String: Int64],
                series: IntervalSeries, alerts: [FiredAlert], cost: CostReport, connectionsRefused: Int64 = 0) {
        formatVersion = Self.currentFormatVersion
        self.emulatedStart = emulatedStart
        self.emulatedEnd = emulatedEnd
        self.totals = totals
        self.dropsByReason = dropsByReason
        peerings = PeeringDirectionSummary.summaries(of: series)
        intervals = IntervalSection(series)
        self.alerts = alerts
        self.cost = cost
        self.connectionsRefused = connectionsRefused
    }

    /// Pretty-printed JSON with sorted keys: the same report always gives the same bytes.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(0x0A)
        return data
    }

    /// Writes `jsonData()` to `path` atomically.
    public func write(to path: String) throws {
        try AtomicFile.write(jsonData(), to: path)
    }

    public struct Totals: Hashable, Sendable, Codable {
        /// Packets and bytes read from the inputs (malformed ones included).
        public var packets: Int64
        public var bytes: Int64
        public var deliveredPackets: Int64
        public var deliveredBytes: Int64
        public var droppedPackets: Int64
        public var droppedBytes: Int64

        public init(packets: Int64, bytes: Int64, deliveredPackets: Int64, deliveredBytes: Int64,
                    droppedPackets: Int64, droppedBytes: Int64) {
            self.packets = packets
            self.bytes = bytes
            self.deliveredPackets = deliveredPackets
            self.deliveredBytes = deliveredBytes
            self.droppedPackets = droppedPackets
            self.droppedBytes = droppedBytes
        }

        enum CodingKeys: String, CodingKey {
            case packets, bytes
            case deliveredPackets = "delivered_packets", deliveredBytes = "delivered_bytes"
            case droppedPackets = "dropped_packets", droppedBytes = "dropped_bytes"
        }
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", emulatedStart = "emulated_start_ns", emulatedEnd = "emulated_end_ns"
        case totals, dropsByReason = "drops_by_reason", peerings, intervals, alerts, cost
        case connectionsRefused = "connections_refused"
    }
}

/// One peering direction over the whole replay.
public struct PeeringDirectionSummary: Hashable, Sendable, Codable {
    public var peering: String
    public var direction: PeeringDirectionKey.Direction
    public var cloudMonitorSide: String
    /// The limit at the start of the replay; `bandwidthLimitChanges` lists later ones (nil when none).
    public var bandwidthLimit: Int64?
    public var bandwidthLimitChanges: [MeteredDirection.RateLimitChange]?
    public var packets: Int64
    public var bytes: Int64
    public var throttledPackets: Int64
    public var throttledBytes: Int64
    public var throttledPercent: Double
    public var maxShapingDelay: Int64

    public static func summaries(of series: IntervalSeries) -> [PeeringDirectionSummary] {
        series.directions.enumerated().map { index, direction in
            let totals = series.totals(direction: index)
            return PeeringDirectionSummary(
                peering: direction.key.peering, direction: direction.key.direction,
                cloudMonitorSide: direction.key.direction.cloudMonitorSide,
                bandwidthLimit: direction.rateLimitBitsPerSecond,
                bandwidthLimitChanges: direction.rateLimitChanges.isEmpty ? nil : direction.rateLimitChanges, packets: totals.packets, bytes: totals.bytes,
                throttledPackets: totals.throttledPackets, throttledBytes: totals.throttledBytes,
                throttledPercent: Metric.throttledPercent.value(of: totals, duration: 1, rateLimitBitsPerSecond: nil) ?? 0,
                maxShapingDelay: totals.maxShapingDelay)
        }
    }

    enum CodingKeys: String, CodingKey {
        case peering, direction, cloudMonitorSide = "cloud_monitor_side", bandwidthLimit = "bandwidth_limit_bps"
        case bandwidthLimitChanges = "bandwidth_limit_changes"
        case packets, bytes, throttledPackets = "throttled_packets", throttledBytes = "throttled_bytes"
        case throttledPercent = "throttled_percent", maxShapingDelay = "max_shaping_delay_ns"
    }
}

/// The per-interval series of every peering direction, dense (idle intervals included).
public struct IntervalSection: Hashable, Sendable, Codable {
    public var interval: Int64
    public var origin: Int64
    public var intervalCount: Int
    public var directions: [DirectionSeries]

    public init(_ series: IntervalSeries) {
        interval = series.interval
        origin = series.origin
        intervalCount = series.intervalCount
        directions = series.directions.enumerated().map { index, direction in
            let samples = series.denseCounters(direction: index).enumerated().map { interval, counters in
                IntervalSample(start: series.start(ofInterval: interval), counters: counters,
                               duration: series.interval, rateLimit: series.rateLimit(interval: interval, direction: index))
            }
            return DirectionSeries(peering: direction.key.peering, direction: direction.key.direction, samples: samples)
        }
    }

    public struct DirectionSeries: Hashable, Sendable, Codable {
        public var peering: String
        public var direction: PeeringDirectionKey.Direction
        public var samples: [IntervalSample]
    }

    /// One interval of one direction; the metrics mean what the `metrics.csv` columns of the same name mean.
    public struct IntervalSample: Hashable, Sendable, Codable {
        public var start: Int64
        public var packets: Int64
        public var bytes: Int64
        public var bandwidth: Double
        public var throttledPackets: Int64
        public var throttledBytes: Int64
        public var throttledPacketRate: Double
        public var throttledPercent: Double
        public var bandwidthUtilization: Double?
        public var maxShapingDelay: Int64

        init(start: Int64, counters: DirectionCounters, duration: Int64, rateLimit: Int64?) {
            func value(_ metric: Metric) -> Double? {
                metric.value(of: counters, duration: duration, rateLimitBitsPerSecond: rateLimit)
            }
            self.start = start
            packets = counters.packets
            bytes = counters.bytes
            bandwidth = value(.bandwidth) ?? 0
            throttledPackets = counters.throttledPackets
            throttledBytes = counters.throttledBytes
            throttledPacketRate = value(.throttledPacketRate) ?? 0
            throttledPercent = value(.throttledPercent) ?? 0
            bandwidthUtilization = value(.bandwidthUtilization)
            maxShapingDelay = counters.maxShapingDelay
        }

        enum CodingKeys: String, CodingKey {
            case start = "start_ns", packets, bytes, bandwidth = "bandwidth_bps"
            case throttledPackets = "throttled_packets", throttledBytes = "throttled_bytes"
            case throttledPacketRate = "throttled_pps", throttledPercent = "throttled_percent"
            case bandwidthUtilization = "bandwidth_utilization_percent", maxShapingDelay = "max_shaping_delay_ns"
        }
    }

    enum CodingKeys: String, CodingKey {
        case interval = "interval_ns", origin = "origin_ns", intervalCount = "interval_count", directions
    }
}
