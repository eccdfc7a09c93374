import Foundation

/// `report.json`: everything a replay measured. The pipeline fills `totals` and `dropsByReason`; the
/// peering, interval, alert and cost sections are built from the meter's `IntervalSeries`, the alert
/// evaluator and the cost estimator. Every field is documented in docs/report.md.
public struct ReplayReport: Hashable, Sendable, Codable {
    /// Bumped when a field changes meaning or disappears. 2: sparse interval samples with an `index`;
    /// `totals` in captured and IP bytes.
    public static let currentFormatVersion = 2

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

    /// The project's JSON (`SnakeCaseJSON`) and a newline: the same report always gives the same bytes.
    public func jsonData() throws -> Data {
        var data = try SnakeCaseJSON.data(self)
        data.append(0x0A)
        return data
    }

    /// Writes `jsonData()` to `path` atomically.
    public func write(to path: String) throws {
        try AtomicFile.write(jsonData(), to: path)
    }

    /// Packets read from the inputs (malformed ones included), delivered and dropped, and their bytes
    /// counted two ways: captured bytes are the frames as stored in the capture (each record's captured
    /// length, link-layer header included: what capinfos and tshark count); IP bytes are the IPv4 total
    /// length or IPv6 header + payload length (what the peerings meter and the cloud bills), 0 for a frame
    /// that is not IP (ARP) or whose IP header is unreadable.
    public struct Totals: Hashable, Sendable, Codable {
        public var packets: Int64 = 0
        public var capturedBytes: Int64 = 0
        public var ipBytes: Int64 = 0
        public var deliveredPackets: Int64 = 0
        public var deliveredCapturedBytes: Int64 = 0
        public var deliveredIPBytes: Int64 = 0
        public var droppedPackets: Int64 = 0
        public var droppedCapturedBytes: Int64 = 0
        public var droppedIPBytes: Int64 = 0
        /// Packets routed out of the modelled network (external next hops): neither delivered nor dropped.
        public var leftPackets: Int64 = 0
        public var leftCapturedBytes: Int64 = 0
        public var leftIPBytes: Int64 = 0

        public init() {}

        public enum Fate: Sendable { case delivered, dropped, left }

        /// One packet read: `captured` bytes in the capture, `ip` bytes of IP packet.
        public mutating func add(_ fate: Fate, captured: Int, ip: Int64) {
            packets &+= 1
            capturedBytes &+= Int64(captured)
            ipBytes &+= ip
            switch fate {
            case .delivered:
                deliveredPackets &+= 1
                deliveredCapturedBytes &+= Int64(captured)
                deliveredIPBytes &+= ip
            case .dropped:
                droppedPackets &+= 1
                droppedCapturedBytes &+= Int64(captured)
                droppedIPBytes &+= ip
            case .left:
                leftPackets &+= 1
                leftCapturedBytes &+= Int64(captured)
                leftIPBytes &+= ip
            }
        }

        enum CodingKeys: String, CodingKey {
            case packets, capturedBytes = "captured_bytes", ipBytes = "ip_bytes"
            case deliveredPackets = "delivered_packets", deliveredCapturedBytes = "delivered_captured_bytes"
            case deliveredIPBytes = "delivered_ip_bytes"
            case droppedPackets = "dropped_packets", droppedCapturedBytes = "dropped_captured_bytes"
            case droppedIPBytes = "dropped_ip_bytes"
            case leftPackets = "left_packets", leftCapturedBytes = "left_captured_bytes", leftIPBytes = "left_ip_bytes"
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

/// The per-interval series of every peering direction, sparse: each direction lists the samples of
/// `IntervalSeries.reportedIntervals(direction:)` (traffic, a limit change, an alert firing), each with its
/// interval `index`; every interval of `0..<intervalCount` not listed was idle in that direction.
public struct IntervalSection: Hashable, Sendable, Codable {
    public var interval: Int64
    public var origin: Int64
    public var intervalCount: Int64
    public var directions: [DirectionSeries]

    public init(_ series: IntervalSeries) {
        interval = series.interval
        origin = series.origin
        intervalCount = series.intervalCount
        directions = series.directions.enumerated().map { index, direction in
            let samples = series.reportedIntervals(direction: index).map { interval in
                IntervalSample(index: interval, start: series.start(ofInterval: interval),
                               counters: series.counters(interval: interval, direction: index),
                               duration: series.interval, rateLimit: series.rateLimit(interval: interval, direction: index))
            }
            return DirectionSeries(peering: direction.key.peering, direction: direction.key.direction, samples: samples)
        }
    }

    public struct DirectionSeries: Hashable, Sendable, Codable {
        public var peering: String
        public var direction: PeeringDirectionKey.Direction
        /// Ascending by `index`; intervals not listed were idle.
        public var samples: [IntervalSample]

        /// The sample of interval `index`, nil when the interval is not listed (idle).
        public func sample(interval index: Int64) -> IntervalSample? {
            let slot = samples.partitioningIndex { $0.index >= index }
            return slot < samples.count && samples[slot].index == index ? samples[slot] : nil
        }
    }

    /// One interval of one direction; the metrics mean what the `metrics.csv` columns of the same name mean.
    public struct IntervalSample: Hashable, Sendable, Codable {
        public var index: Int64
        public var start: Int64
        public var bandwidthLimit: Int64?
        public var packets: Int64
        public var bytes: Int64
        public var bandwidth: Double
        public var throttledPackets: Int64
        public var throttledBytes: Int64
        public var throttledPacketRate: Double
        public var throttledPercent: Double
        public var bandwidthUtilization: Double?
        public var maxShapingDelay: Int64

        init(index: Int64, start: Int64, counters: DirectionCounters, duration: Int64, rateLimit: Int64?) {
            func value(_ metric: Metric) -> Double? {
                metric.value(of: counters, duration: duration, rateLimitBitsPerSecond: rateLimit)
            }
            self.index = index
            self.start = start
            bandwidthLimit = rateLimit
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
            case index, start = "start_ns", bandwidthLimit = "bandwidth_limit_bps", packets, bytes, bandwidth = "bandwidth_bps"
            case throttledPackets = "throttled_packets", throttledBytes = "throttled_bytes"
            case throttledPacketRate = "throttled_pps", throttledPercent = "throttled_percent"
            case bandwidthUtilization = "bandwidth_utilization_percent", maxShapingDelay = "max_shaping_delay_ns"
        }
    }

    enum CodingKeys: String, CodingKey {
        case interval = "interval_ns", origin = "origin_ns", intervalCount = "interval_count", directions
    }
}
