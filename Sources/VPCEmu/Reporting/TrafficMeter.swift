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
/// that interval, never in one already closed. Storage is sparse and grows with activity only: when an
/// interval closes, each direction that had traffic in it appends one `IntervalSeries.Sample`; idle
/// intervals and idle directions store nothing, so a capture of a few packets spread over years costs a
/// few samples. Recording is allocation-free except for that append (one per interval and busy direction,
/// not per packet).
public struct TrafficMeter: Sendable {
    public let directions: [MeteredDirection]
    public let interval: Int64
    public let origin: Int64

    private var current: ContiguousArray<DirectionCounters>
    private var currentIndex: Int64 = 0
    private var currentEnd: Int64
    private var currentIsEmpty = true
    private var totals: ContiguousArray<DirectionCounters>
    /// Per direction, the intervals in which it had traffic, ascending.
    private var active: [[IntervalSeries.Sample]]

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
        active = Array(repeating: [], count: directions.count)
        currentEnd = origin.addingReportingOverflow(interval).overflow ? .max : origin &+ interval
    }

    /// Samples stored so far, over all directions (the open interval not included): at most one per
    /// interval and direction with traffic.
    public var storedSampleCount: Int { active.reduce(0) { $0 + $1.count } }

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
        var count = active.compactMap { $0.last.map { $0.index + 1 } }.max() ?? 0
        if let end, end >= origin {
            let last = (end &- origin) / interval
            count = max(count, last == .max ? last : last + 1)
        }
        return IntervalSeries(directions: directions, interval: interval, origin: origin, intervalCount: count,
                              active: active, totals: Array(totals))
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
        for index in current.indices where !current[index].isEmpty {
            active[index].append(IntervalSeries.Sample(index: currentIndex, counters: current[index]))
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

/// The per-interval counters of every metered direction over intervals 0 to `intervalCount − 1`, stored
/// sparsely: per direction, only the intervals in which it had traffic (`activeIntervals`). Every other
/// interval is idle and reads as zeros. The outputs list, per direction, the intervals of
/// `reportedIntervals(direction:)`: those with traffic, those in which its bandwidth limit changes, and
/// those `marking(_:)` added (where an alert fired).
public struct IntervalSeries: Sendable, Equatable {
    /// One interval of one direction.
    public struct Sample: Hashable, Sendable {
        /// Interval number from the origin.
        public var index: Int64
        public var counters: DirectionCounters

        public init(index: Int64, counters: DirectionCounters) {
            self.index = index
            self.counters = counters
        }
    }

    public let directions: [MeteredDirection]
    public let interval: Int64
    public let origin: Int64
    public let intervalCount: Int64
    /// Per direction: the intervals with traffic, ascending.
    private let active: [[Sample]]
    /// Per direction: intervals added by `marking(_:)`, ascending, without duplicates.
    private var marks: [[Int64]]
    private let totals: [DirectionCounters]

    init(directions: [MeteredDirection], interval: Int64, origin: Int64, intervalCount: Int64,
         active: [[Sample]], totals: [DirectionCounters]) {
        self.directions = directions
        self.interval = interval
        self.origin = origin
        self.intervalCount = intervalCount
        self.active = active
        self.totals = totals
        marks = Array(repeating: [], count: directions.count)
    }

    /// Start of interval `index` in emulated ns.
    public func start(ofInterval index: Int64) -> Int64 { origin &+ index &* interval }

    /// The interval holding `time` (which may lie outside `0..<intervalCount`).
    public func interval(holding time: Int64) -> Int64 {
        let offset = time &- origin
        return offset >= 0 ? offset / interval : (offset &+ 1) / interval &- 1
    }

    /// The intervals in which `direction` (its position in `directions`) had traffic, ascending.
    public func activeIntervals(direction: Int) -> [Sample] { active[direction] }

    /// Samples held, over all directions: one per interval and direction with traffic.
    public var storedSampleCount: Int { active.reduce(0) { $0 + $1.count } }

    /// The counters of `direction` during interval `index` (zeros when it was idle).
    public func counters(interval index: Int64, direction: Int) -> DirectionCounters {
        let samples = active[direction]
        let slot = samples.partitioningIndex { $0.index >= index }
        return slot < samples.count && samples[slot].index == index ? samples[slot].counters : DirectionCounters()
    }

    /// The bandwidth limit of `direction` during interval `index` (see `MeteredDirection.rateLimit(from:to:)`).
    public func rateLimit(interval index: Int64, direction: Int) -> Int64? {
        let start = start(ofInterval: index)
        return directions[direction].rateLimit(from: start, to: start &+ interval)
    }

    /// The counters of `direction` over the whole replay.
    public func totals(direction: Int) -> DirectionCounters { totals[direction] }

    /// The intervals inside the series in which a bandwidth limit change of `direction` takes effect, ascending.
    public func limitChangeIntervals(direction: Int) -> [Int64] {
        var indices: [Int64] = []
        for change in directions[direction].rateLimitChanges {
            let index = interval(holding: change.time)
            if index >= 0, index < intervalCount, indices.last != index { indices.append(index) }
        }
        return indices
    }

    /// The series with the interval at whose end each of `alerts` fired marked for the outputs.
    public func marking(_ alerts: [FiredAlert]) -> IntervalSeries {
        var marked = self
        for alert in alerts {
            guard let direction = directions.firstIndex(where: {
                $0.key.peering == alert.peering && $0.key.direction == alert.direction
            }) else { continue }
            let index = interval(holding: alert.periodEnd &- 1)
            if index >= 0, index < intervalCount { marked.marks[direction].append(index) }
        }
        for direction in marked.marks.indices { marked.marks[direction] = Array(Set(marked.marks[direction])).sorted() }
        return marked
    }

    /// The intervals the outputs list for `direction`, ascending: those with traffic, those in which its
    /// limit changes and those `marking(_:)` added. Bounded by activity, whatever the span.
    public func reportedIntervals(direction: Int) -> [Int64] {
        var indices = active[direction].map(\.index)
        indices += limitChangeIntervals(direction: direction)
        indices += marks[direction]
        indices.sort()
        var unique: [Int64] = []
        unique.reserveCapacity(indices.count)
        for index in indices where unique.last != index { unique.append(index) }
        return unique
    }
}

extension Array {
    /// The first index whose element satisfies `belongsInSecondPartition`, for an array partitioned by it
    /// (binary search).
    func partitioningIndex(where belongsInSecondPartition: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if belongsInSecondPartition(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
