/// The bandwidth limit of one direction of an inter-region peering, in emulated time.
///
/// Time is an `Int64` count of nanoseconds chosen by the caller (capture timestamps or the generator's
/// schedule), so a replay gives the same verdicts on every machine. All arithmetic is on integers:
/// tokens are counted in units of 10⁻⁹ bit, so `rate (bit/s) × elapsed (ns)` is an exact count of them
/// and no fraction of a token is ever rounded away — there is no drift however long the replay.
///
/// Policing (the default) forwards a packet when the bucket holds enough tokens for it and drops it
/// otherwise. Shaping (`--shape`) puts it in a bounded FIFO queue instead and returns the time it departs,
/// which is when the bucket has refilled enough for it; a packet that would wait longer than the queue can
/// hold is dropped. Policing is shaping with a queue of zero, so both modes share one code path.
///
/// A value type of plain integers: offering a packet never allocates.
public struct TokenBucket: Sendable, Equatable {
    /// Token units (10⁻⁹ bit) per byte.
    static let unitsPerByte: Int64 = 8 * 1_000_000_000

    public let configuration: Configuration
    /// Bucket size in token units.
    private let capacity: Int64
    /// Rate in bit/s, which is also token units per nanosecond.
    private let rate: Int64
    /// The longest a packet may wait in the shaping queue; 0 when policing.
    private let maximumDelay: Int64
    /// Nanoseconds after which an empty bucket is full again: refills at least this long need no arithmetic.
    private let fillTime: Int64
    /// Tokens in the bucket at `clock`.
    private var tokens: Int64
    /// The latest time the bucket has been brought up to: the last arrival, or the departure of the last
    /// queued packet when that is later.
    private var clock: Int64

    /// A full bucket at `start`.
    public init(_ configuration: Configuration, start: Int64) {
        self.configuration = configuration
        rate = configuration.rateBitsPerSecond
        capacity = configuration.burstBytes * Self.unitsPerByte
        maximumDelay = configuration.maximumQueueingDelay
        fillTime = capacity / rate + 1
        tokens = capacity
        clock = start
    }

    /// Offers a packet of `bytes` bytes (the IP packet as the cloud counts it) arriving at `time`.
    ///
    /// A time earlier than one already seen (captures are not always in order) is treated as that later
    /// time: the bucket never refills backwards.
    public mutating func offer(bytes: Int, at time: Int64) -> Verdict {
        precondition(bytes >= 0, "packet length must not be negative")
        if Int64(bytes) > configuration.burstBytes { return .dropped(.largerThanBurst) }
        let cost = Int64(bytes) * Self.unitsPerByte
        let start = time > clock ? time : clock
        refill(to: start)
        if tokens >= cost {
            tokens &-= cost
            // A policed packet leaves when it arrives, even one that arrives out of order.
            return .forwarded(departure: maximumDelay == 0 ? time : start)
        }
        if maximumDelay == 0 { return .dropped(.outOfTokens) }
        // Queueing time so far; a difference too large for Int64 is certainly longer than the queue allows.
        let (queued, queuedOverflow) = start.subtractingReportingOverflow(time)
        let need = cost &- tokens
        let wait = (need &- 1) / rate &+ 1  // ceil(need / rate), written so it cannot overflow
        guard !queuedOverflow, queued <= maximumDelay, wait <= maximumDelay &- queued else {
            return .dropped(.queueFull)
        }
        let (departure, overflow) = start.addingReportingOverflow(wait)
        if overflow { return .dropped(.queueFull) }
        // After `wait` ns the bucket holds rate × wait ≥ need more tokens; what is left after paying for
        // the packet is rate × wait − need = rate − 1 − (need − 1) mod rate, which cannot overflow.
        let leftover = rate &- 1 &- (need &- 1) % rate
        tokens = min(leftover, capacity)
        clock = departure
        return .forwarded(departure: departure)
    }

    /// Tokens available at `time`, in whole bytes (for diagnostics and tests).
    public func availableBytes(at time: Int64) -> Int64 {
        var copy = self
        copy.refill(to: max(time, clock))
        return copy.tokens / Self.unitsPerByte
    }

    private mutating func refill(to time: Int64) {
        guard time > clock else { return }
        let (elapsed, overflow) = time.subtractingReportingOverflow(clock)
        clock = time
        // Below fillTime, rate × elapsed ≤ capacity and tokens + that ≤ 2 × capacity: neither overflows
        // (maximumBurstBytes keeps 2 × capacity in range), and no division is needed per packet.
        if overflow || elapsed >= fillTime {
            tokens = capacity
        } else {
            tokens = min(capacity, tokens &+ rate &* elapsed)
        }
    }
}

extension TokenBucket {
    /// What happened to an offered packet.
    public enum Verdict: Sendable, Equatable {
        /// Sent at `departure`: the arrival time when policing or when tokens were available, later when
        /// the packet waited in the shaping queue.
        case forwarded(departure: Int64)
        case dropped(DropCause)
    }

    /// Why the bucket dropped a packet. Every cause counts as "packets dropped due to throttling".
    public enum DropCause: String, Sendable, Equatable, CaseIterable, Codable {
        /// Policing: not enough tokens when the packet arrived.
        case outOfTokens = "out-of-tokens"
        /// Shaping: the queue ahead of the packet is already as long as the queue limit allows.
        case queueFull = "queue-full"
        /// The packet is larger than the whole bucket, so it can never conform.
        case largerThanBurst = "larger-than-burst"
    }

    public enum Mode: Sendable, Equatable {
        /// Drop what does not conform.
        case police
        /// Delay what does not conform in a FIFO queue bounded in bytes: a packet is admitted when the
        /// bytes queued ahead of it plus its own missing tokens could be sent at the bucket's rate within
        /// the time it takes to send `queueLimitBytes` — the same byte limit ↔ latency pairing as Linux
        /// tc-tbf's `limit`/`latency` (tc-tbf(8)).
        case shape(queueLimitBytes: Int64)
    }

    /// Rate, burst and mode of one bucket, validated.
    public struct Configuration: Sendable, Equatable {
        public let rateBitsPerSecond: Int64
        public let burstBytes: Int64
        public let mode: Mode
        /// `queueLimitBytes` expressed as its drain time at the rate, in ns; 0 when policing.
        public let maximumQueueingDelay: Int64

        /// Largest accepted rate: 1 Tbit/s, far above any peering (Alibaba Cloud caps inter-region peering
        /// bandwidth at 1,024 Mbit/s by default).
        public static let maximumRate: Int64 = 1_000_000_000_000
        /// Largest bucket the integer token count can hold (twice over, so refills need no overflow checks).
        public static let maximumBurstBytes: Int64 = Int64.max / 2 / TokenBucket.unitsPerByte
        /// Longest a shaping queue may delay a packet: one day of emulated time.
        public static let maximumQueueingDelayLimit: Int64 = 86_400 * 1_000_000_000

        public init(rateBitsPerSecond: Int64, burstBytes: Int64, mode: Mode = .police) throws(ConfigurationError) {
            guard rateBitsPerSecond > 0, rateBitsPerSecond <= Self.maximumRate else {
                throw .rateOutOfRange(rateBitsPerSecond)
            }
            guard burstBytes > 0, burstBytes <= Self.maximumBurstBytes else { throw .burstOutOfRange(burstBytes) }
            var delay: Int64 = 0
            if case .shape(let limit) = mode {
                guard limit > 0 else { throw .queueLimitOutOfRange(limit, rateBitsPerSecond: rateBitsPerSecond) }
                // limit × 8·10⁹ / rate without overflow: limit ≤ maximumBurstBytes keeps the product in range.
                guard limit <= Self.maximumBurstBytes,
                      limit * TokenBucket.unitsPerByte / rateBitsPerSecond <= Self.maximumQueueingDelayLimit
                else { throw .queueLimitOutOfRange(limit, rateBitsPerSecond: rateBitsPerSecond) }
                delay = limit * TokenBucket.unitsPerByte / rateBitsPerSecond
            }
            self.rateBitsPerSecond = rateBitsPerSecond
            self.burstBytes = burstBytes
            self.mode = mode
            maximumQueueingDelay = delay
        }

        /// The bucket of one direction of a peering with `bandwidthMbps` Mbit/s (10⁶ bit/s, as the cloud
        /// sells bandwidth), with the documented defaults for whatever is not given.
        public static func peering(
            bandwidthMbps: Int64, burstBytes: Int64? = nil, shape: Bool = false, queueLimitBytes: Int64? = nil
        ) throws(ConfigurationError) -> Configuration {
            guard bandwidthMbps > 0, bandwidthMbps <= maximumRate / 1_000_000 else {
                throw .bandwidthOutOfRange(megabitsPerSecond: bandwidthMbps)
            }
            let rate = bandwidthMbps * 1_000_000
            let mode: Mode = shape ? .shape(queueLimitBytes: queueLimitBytes ?? defaultQueueLimitBytes(rateBitsPerSecond: rate)) : .police
            return try Configuration(
                rateBitsPerSecond: rate, burstBytes: burstBytes ?? defaultBurstBytes(rateBitsPerSecond: rate), mode: mode)
        }

        /// Default burst: what the rate delivers in 10 ms, and never less than ten 1,500-byte packets.
        ///
        /// Alibaba Cloud does not document the burst of a peering's limiter. 10 ms is the smallest bucket
        /// Linux tc-tbf says lets a shaper reach its rate (its minimum is rate / HZ, HZ = 100: "for 10mbit/s
        /// on Intel, you need at least 10kbyte buffer", tc-tbf(8)), and it sits at the low end of the
        /// 5 ms…100 ms range router vendors suggest (Juniper: "5 ms as the starting point"). A small burst
        /// keeps the limiter honest at the granularity of the monitoring interval: at 1 s intervals the
        /// burst is 1 % of a second's traffic, so a flow above the limit is throttled from its first second.
        /// The ten-packet floor keeps slow links from dropping back-to-back full-size packets (Juniper: the
        /// burst should be at least the MTU; ten of them absorbs a TCP initial window).
        public static func defaultBurstBytes(rateBitsPerSecond: Int64) -> Int64 {
            max(rateBitsPerSecond / 8 / 100, 10 * 1_500)
        }

        /// Default shaping queue: 50 ms of traffic at the rate (tc-tbf's `latency`; 50 ms is the value
        /// the Linux Advanced Routing & Traffic Control HOWTO uses for its TBF examples), at least one
        /// burst so that a full bucket's worth of packets can always be queued.
        public static func defaultQueueLimitBytes(rateBitsPerSecond: Int64) -> Int64 {
            max(rateBitsPerSecond / 8 / 20, defaultBurstBytes(rateBitsPerSecond: rateBitsPerSecond))
        }
    }

    public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
        case rateOutOfRange(Int64)
        case bandwidthOutOfRange(megabitsPerSecond: Int64)
        case burstOutOfRange(Int64)
        case queueLimitOutOfRange(Int64, rateBitsPerSecond: Int64)

        public var description: String {
            switch self {
            case .rateOutOfRange(let rate):
                "bandwidth \(rate) bit/s is out of range: expected 1 bit/s to \(Configuration.maximumRate) bit/s"
            case .bandwidthOutOfRange(let mbps):
                "bandwidth \(mbps) Mbit/s is out of range: expected 1 to \(Configuration.maximumRate / 1_000_000) Mbit/s"
            case .burstOutOfRange(let burst):
                "burst \(burst) bytes is out of range: expected 1 to \(Configuration.maximumBurstBytes) bytes"
            case .queueLimitOutOfRange(let limit, let rate):
                "shaping queue limit \(limit) bytes is out of range at \(rate) bit/s: expected at least 1 byte "
                    + "and at most what the rate sends in one day"
            }
        }
    }
}
