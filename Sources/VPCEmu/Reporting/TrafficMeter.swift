/// One peering direction the meter counts, with the bandwidth limit it is measured against (nil when the
/// direction is not limited, as for intra-region peerings): `rateLimitBitsPerSecond` from the start,
/// then each of `rateLimitChanges` from its time on (a timeline's `modify_peering`).
public struct MeteredDirection: Hashable, Sendable, Codable {
    public struct RateLimitChange: Hashable, Sendable, Codable {
        /// Emulated ns from which the new limit holds.
        public var time: Int64
        public var bitsPerSecond: Int64?

        public init(time: Int64, bitsPerSecond: Int64?) {
            self.time = time
            self.bitsPerSecond = bitsPerSecond
        }

        enum CodingKeys: String, CodingKey {
            case time = "time_ns", bitsPerSecond = "bandwidth_limit_bps"
        }
    }

    public var key: PeeringDirectionKey
    public var rateLimitBitsPerSecond: Int64?
    /// In time order.
    public var rateLimitChanges: [RateLimitChange]

    public init(_ key: PeeringDirectionKey, rateLimitBitsPerSecond: Int64? = nil, rateLimitChanges: [RateLimitChange] = []) {
        self.key = key
        self.rateLimitBitsPerSecond = rateLimitBitsPerSecond
        self.rateLimitChanges = rateLimitChanges
    }

    enum CodingKeys: String, CodingKey {
        case key, rateLimitBitsPerSecond = "bandwidth_limit_bps", rateLimitChanges = "bandwidth_limit_changes"
    }

    /// The limit over `[start, end)`: the limit itself when one holds throughout, the time-weighted mean
    /// when it changes inside (so utilisation is the bits sent over the bits the limit allowed), nil when
    /// the direction is unlimited for any part of it.
    public func rateLimit(from start: Int64, to end: Int64) -> Int64? {
        var limit = rateLimitBitsPerSecond
        var segmentStart = start
        var weighted = 0.0
        for change in rateLimitChanges where change.time < end {
            guard change.time > start else {
                limit = change.bitsPerSecond
                continue
            }
            guard let current = limit else { return nil }
            weighted += Double(current) * Double(change.time - segmentStart)
            segmentStart = change.time
            limit = change.bitsPerSecond
        }
        guard let last = limit else { return nil }
        if segmentStart == start { return last }
        weighted += Double(last) * Double(end - segmentStart)
        return Int64((weighted / Double(end - start)).rounded())
    }
}

/// What crossed one peering direction in some span of time.
public struct DirectionCounters: Hashable, Sendable, Codable {
    /// Packets and bytes the peering forwarded (the cloud's "traffic").
    public var packets: Int64 = 0
    public var bytes: Int64 = 0
    /// Packets and bytes the token bucket dropped ("packets dropped due to throttling").
    public var throttledPackets: Int64 = 0
    public var throttledBytes: Int64 = 0
    /// The longest shaping delay of a forwarded packet, in ns (0 when policing).
    public var maxShapingDelay: Int64 = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case packets, bytes, throttledPackets = "throttled_packets", throttledBytes = "throttled_bytes"
        case maxShapingDelay = "max_shaping_delay_ns"
    }

    public var isEmpty: Bool { packets == 0 && throttledPackets == 0 }

    /// Packets that reached the bucket: forwarded plus throttled.
    public var offeredPackets: Int64 { packets &+ throttledPackets }

    public mutating func add(_ other: DirectionCounters) {
        packets &+= other.packets
        bytes &+= other.bytes
        throttledPackets &+= other.throttledPackets
        throttledBytes &+= other.throttledBytes
        maxShapingDelay = max(maxShapingDelay, other.maxShapingDelay)
    }
}

/// Counts forwarded and throttled traffic per peering direction and per interval of emulated time
/// (e.g. 1 s), as CloudMonitor does per statistics period.
///
/// Intervals are `[origin + k·interval, origin + (k+1)·interval)`. Time is expected to move forward; a
/// packet stamped earlier than the interval being filled (captures are not always in order) is counted in
/// that interval, never in one already closed. Recording is allocation-free except when an interval closes
/// with traffic in it (one append per interval, not per packet); intervals without traffic are not stored
/// and read back as zeros.
public struct TrafficMeter: Sendable {
    public let directions: [MeteredDirection]
    public let interval: Int64
    public let origin: Int64

    private var current: ContiguousArray<DirectionCounters>
    private var currentIndex: Int64 = 0
    private var currentEnd: Int64
    private var currentIsEmpty = true
    private var totals: ContiguousArray<DirectionCounters>
    private var closedIndices: ContiguousArray<Int64> = []
    private var closedCounters: ContiguousArray<DirectionCounters> = []

    /// `directions` are addressed by their position in the array in the record calls.
    public init(directions: [MeteredDirection], interval: Int64, origin: Int64) throws(MeterError) {
        guard interval > 0 else { throw .intervalNotPositive(interval) }
        var seen = Set<PeeringDirectionKey>()
        for direction in directions where !seen.insert(direction.key).inserted {
            throw .duplicateDirection(direction.key)
        }
        self.directions = directions
        self.interval = interval
        self.origin = origin
        current = ContiguousArray(repeating: DirectionCounters(), count: directions.count)
        totals = current
        currentEnd = origin.addingReportingOverflow(interval).overflow ? .max : origin &+ interval
    }

    /// A packet the peering forwarded; `shapingDelay` is departure − arrival when shaping.
    @inline(__always)
    public mutating func recordForwarded(direction: Int, bytes: Int, at time: Int64, shapingDelay: Int64 = 0) {
        if time >= currentEnd { advance(to: time) }
        currentIsEmpty = false
        // One read and one write of the slot: a single bounds and uniqueness check.
        var counters = current[direction]
        counters.packets &+= 1
        counters.bytes &+= Int64(bytes)
        if shapingDelay > counters.maxShapingDelay { counters.maxShapingDelay = shapingDelay }
        current[direction] = counters
    }

    /// A packet the direction's token bucket dropped.
    @inline(__always)
    public mutating func recordThrottled(direction: Int, bytes: Int, at time: Int64) {
        if time >= currentEnd { advance(to: time) }
        currentIsEmpty = false
        var counters = current[direction]
        counters.throttledPackets &+= 1
        counters.throttledBytes &+= Int64(bytes)
        current[direction] = counters
    }

    /// Closes the open interval and returns the series from interval 0 through the interval holding `end`
    /// (the end of the replay; pass nil to stop at the last interval with traffic).
    public consuming func finish(through end: Int64? = nil) -> IntervalSeries {
        closeCurrent()
        var count = closedIndices.last.map { $0 + 1 } ?? 0
        if let end, end >= origin { count = max(count, (end - origin) / interval + 1) }
        return IntervalSeries(
            directions: directions, interval: interval, origin: origin, intervalCount: Int(count),
            indices: Array(closedIndices), counters: Array(closedCounters), totals: Array(totals))
    }

    private mutating func advance(to time: Int64) {
        closeCurrent()
        currentIndex = (time &- origin) / interval
        let (offset, offsetOverflow) = (currentIndex &+ 1).multipliedReportingOverflow(by: interval)
        let (end, endOverflow) = origin.addingReportingOverflow(offset)
        currentEnd = offsetOverflow || endOverflow ? .max : end
    }

    private mutating func closeCurrent() {
        guard !currentIsEmpty else { return }
        closedIndices.append(currentIndex)
        for index in current.indices {
            closedCounters.append(current[index])
            totals[index].add(current[index])
            current[index] = DirectionCounters()
        }
        currentIsEmpty = true
    }

    public enum MeterError: Error, Equatable, CustomStringConvertible {
        case intervalNotPositive(Int64)
        case duplicateDirection(PeeringDirectionKey)

        public var description: String {
            switch self {
            case .intervalNotPositive(let interval):
                "metrics interval \(interval) ns is not positive: expected a duration such as 1 s"
            case .duplicateDirection(let key):
                "peering direction \(key) is listed twice for metering"
            }
        }
    }
}

/// The per-interval counters of every metered direction, dense from interval 0 to `intervalCount − 1`
/// (intervals without traffic read as zeros).
public struct IntervalSeries: Sendable, Equatable {
    public let directions: [MeteredDirection]
    public let interval: Int64
    public let origin: Int64
    public let intervalCount: Int
    /// Indices of the intervals that had traffic, ascending; `counters` holds `directions.count` entries
    /// for each of them.
    private let indices: [Int64]
    private let counters: [DirectionCounters]
    private let totals: [DirectionCounters]

    init(directions: [MeteredDirection], interval: Int64, origin: Int64, intervalCount: Int,
         indices: [Int64], counters: [DirectionCounters], totals: [DirectionCounters]) {
        self.directions = directions
        self.interval = interval
        self.origin = origin
        self.intervalCount = intervalCount
        self.indices = indices
        self.counters = counters
        self.totals = totals
    }

    /// Start of interval `index` in emulated ns.
    public func start(ofInterval index: Int) -> Int64 { origin &+ Int64(index) &* interval }

    /// The counters of `direction` (its position in `directions`) during interval `index`.
    public func counters(interval index: Int, direction: Int) -> DirectionCounters {
        guard let slot = slot(of: Int64(index)) else { return DirectionCounters() }
        return counters[slot * directions.count + direction]
    }

    /// The bandwidth limit of `direction` during interval `index` (see `MeteredDirection.rateLimit(from:to:)`).
    public func rateLimit(interval index: Int, direction: Int) -> Int64? {
        let start = start(ofInterval: index)
        return directions[direction].rateLimit(from: start, to: start &+ interval)
    }

    /// The counters of `direction` over the whole replay.
    public func totals(direction: Int) -> DirectionCounters { totals[direction] }

    /// The counters of `direction` for every interval, zeros included.
    public func denseCounters(direction: Int) -> [DirectionCounters] {
        var dense = [DirectionCounters](repeating: DirectionCounters(), count: intervalCount)
        for (slot, index) in indices.enumerated() where index < intervalCount {
            dense[Int(index)] = counters[slot * directions.count + direction]
        }
        return dense
    }

    private func slot(of index: Int64) -> Int? {
        var low = 0, high = indices.count
        while low < high {
            let middle = (low + high) / 2
            if indices[middle] < index { low = middle + 1 } else { high = middle }
        }
        return low < indices.count && indices[low] == index ? low : nil
    }
}
