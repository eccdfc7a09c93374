/// `vpcemu ping`: ICMP / ICMPv6 echo requests from an instance, forwarded through the emulated
/// VPCs (docs/diagnostics-ping.md). The destination instance answers a request that its
/// security groups and ACLs let in, and the echo reply travels back through the same pipeline.
public enum Ping {
    public struct Options: Sendable, Hashable {
        /// The source instance (`--from`).
        public var source: String
        /// An instance name or an address.
        public var destination: String
        public var count = 4
        /// Between two requests (`-i`).
        public var interval = EmulatedDuration.seconds(1)
        /// ICMP payload bytes (`-s`); the IP packet is 28 (IPv4) or 48 (IPv6) bytes longer.
        public var payloadSize = 56
        /// A reply whose round trip is longer is counted as lost (`-W`).
        public var timeout = EmulatedDuration.seconds(10)
        /// Emulated time the first request leaves (`--at`).
        public var start = EmulatedTime.zero
        /// Use the IPv6 addresses of named instances (`-6`).
        public var ipv6 = false
        /// Flood (`-f`): print a summary instead of one line per request.
        public var flood = false
        /// Queue requests and replies over the inter-region token buckets instead of dropping them
        /// (`--shape`, as for a replay): the queueing delay shows in the round trip.
        public var shape = false
        /// Keep every request's `Reply` in `Result.replies` for a flood too (the JSON needs them;
        /// without a flood the per-request lines always do). Without it a flood's result holds only
        /// running statistics and the per-drop summary, so its memory does not grow with `-c`.
        public var recordsReplies = true
        /// The requests' TTL / hop limit (`-t`), 1...255.
        public var ttl = Int(Options.requestTTL)
        /// `-w`: no request leaves at or after `start + deadline`, and a reply that arrives after
        /// it is lost; at most `count` requests still leave.
        public var deadline: EmulatedDuration?
        /// ping exits 0 when at least this many replies came back: 1, or `-c` given with `-w`
        /// (iputils: "fewer than count packets are received by the time the deadline has arrived").
        public var requiredReplies = 1
        /// `-q`: print the header and the statistics only.
        public var quiet = false
        /// `-n`: name the destination by its address in the reply lines.
        public var numeric = false

        public init(source: String, destination: String) {
            self.source = source
            self.destination = destination
        }

        /// The TTL / hop limit of requests (without `-t`) and of the destination's replies, Linux's default.
        public static let requestTTL: UInt8 = 64
        /// The most requests one ping sends (`-c`, or `-w` alone).
        public static let maximumCount = 1_000_000

        /// The requests that leave: `count`, or fewer when the deadline comes first (one leaves
        /// every `interval` from `start`, before `start + deadline`).
        public var requests: Int {
            guard let deadline, interval.nanoseconds > 0 else { return count }
            let (fitting, remainder) = deadline.nanoseconds.quotientAndRemainder(dividingBy: interval.nanoseconds)
            return Int(min(Int64(count), fitting + (remainder > 0 ? 1 : 0)))
        }

        /// The longest round trip a reply sent at `sentAt` may take: `-W`, or less when the
        /// deadline (`-w`) comes first.
        func timeout(forRequestSentAt sentAt: Int64) -> Int64 {
            guard let deadline else { return timeout.nanoseconds }
            return min(timeout.nanoseconds, start.nanoseconds &+ deadline.nanoseconds &- sentAt)
        }
        /// The echo identifier of every request (ping uses its process id; one is as good as another).
        public static let identifier: UInt16 = 0x7670

        func validate(family: AddressFamily) throws(PingError) {
            guard count >= 1, count <= Self.maximumCount else { throw .invalidOption("-c must be between 1 and \(Self.maximumCount), not \(count)") }
            guard (1...255).contains(ttl) else { throw .invalidOption("-t must be between 1 and 255, not \(ttl)") }
            if let deadline, deadline.nanoseconds <= 0 { throw .invalidOption("-w must be longer than 0") }
            guard interval.nanoseconds >= 0 else { throw .invalidOption("-i must not be negative") }
            guard timeout.nanoseconds > 0 else { throw .invalidOption("-W must be longer than 0") }
            // The IP total length / payload length field is 16 bits.
            let maximum = family == .ipv4 ? 65_535 - 20 - 8 : 65_535 - 8
            guard payloadSize >= 0, payloadSize <= maximum else {
                throw .invalidOption("-s must be between 0 and \(maximum) for \(family), not \(payloadSize)")
            }
            _ = try lastDeparture()
        }

        /// When the last request leaves (`--at` + (count − 1) × `-i`), refused when that or its
        /// timeout (`-W`) is beyond the emulated clock's range (Int64 nanoseconds, about 292 years).
        func lastDeparture() throws(PingError) -> Int64 {
            let (span, spanOverflow) = Int64(requests - 1).multipliedReportingOverflow(by: interval.nanoseconds)
            let (last, lastOverflow) = start.nanoseconds.addingReportingOverflow(span)
            let (_, timeoutOverflow) = last.addingReportingOverflow(timeout.nanoseconds)
            guard !spanOverflow, !lastOverflow, !timeoutOverflow else {
                throw .invalidOption("the last request's timeout (--at \(EmulatedDuration(nanoseconds: start.nanoseconds)) + \(requests - 1) × -i \(interval) "
                    + "+ -W \(timeout)) is too large (at most \(EmulatedDuration.maximumDays) days)")
            }
            return last
        }
    }

    /// What became of one request.
    public struct Reply: Sendable, Hashable, Codable {
        public enum Status: String, Sendable, Hashable, Codable {
            /// An echo reply came back within the timeout.
            case reply
            /// The request or its reply was dropped (`drop` says where and why).
            case dropped
            /// The reply came back after the timeout (`-W`).
            case late
            /// The request was routed out of the modelled network (`leftThrough`): no reply is expected.
            case left
        }

        /// icmp_seq, from 1.
        public var sequence: Int
        /// Emulated time the request left.
        public var sentAtNanoseconds: Int64
        public var status: Status
        /// TTL / hop limit of the reply as received (64 less the routers it passed).
        public var ttl: Int?
        /// Modeled round trip: latencies and shaping delays of both directions, ns.
        public var rttNanoseconds: Int64?
        public var drop: ProbeDrop?
        /// The gateway outside the model the request left through (`internet-gateway igw-…`).
        public var leftThrough: String?
    }

    public struct Result: Sendable, Hashable {
        public var endpoints: DiagnosticEndpoints
        public var options: Options
        /// One entry per request, in order; empty for a flood unless `options.recordsReplies`.
        public var replies: [Reply] = []
        /// Why nothing can answer, when the destination is a gateway other than the source's own.
        public var note: String?
        /// Counts and round-trip sums of every request.
        public private(set) var tally = PingTally()
        /// One entry per distinct drop, in the order first met.
        public private(set) var drops = PingDropSummary()

        public init(endpoints: DiagnosticEndpoints, options: Options, replies: [Reply] = [], note: String? = nil) {
            self.endpoints = endpoints
            self.options = options
            self.note = note
            for reply in replies { add(reply) }
        }

        /// Counts `reply`, and keeps it unless it is a flood's and `options.recordsReplies` is off.
        mutating func add(_ reply: Reply) {
            tally.add(reply)
            drops.add(reply)
            if options.recordsReplies || !(options.flood || options.quiet) { replies.append(reply) }
        }

        public var statistics: PingStatistics { PingStatistics(tally, interval: options.interval) }
        /// ping's exit status: 0 when at least one reply came back (with `-c` and `-w`, `-c` of
        /// them), 1 otherwise.
        public var exitStatus: Int32 { tally.received >= max(1, options.requiredReplies) ? 0 : 1 }
    }

    public static func run(_ topology: Topology, _ options: Options) throws(PingError) -> Result {
        let endpoints = try DiagnosticEndpoints.probe(topology: topology, from: options.source, to: options.destination, ipv6: options.ipv6)
        try options.validate(family: endpoints.destinationAddress.family)
        // validate() checked that the last departure fits, so no earlier one overflows.
        func departure(_ index: Int) -> Int64 { options.start.nanoseconds + Int64(index) * options.interval.nanoseconds }
        let payload = (0..<options.payloadSize).map { UInt8(truncatingIfNeeded: $0) }
        var result = Result(endpoints: endpoints, options: options)

        if let gateway = endpoints.gateway, gateway.isSourceVSwitch {
            // The gateway is the instance's first hop: it answers without crossing a router, one
            // intra-region latency each way.
            let rtt = 2 &* topology.settings.intraRegionLatency.nanoseconds
            for index in 0..<options.requests {
                result.add(reply(sequence: index + 1, sentAt: departure(index), ttl: Int(Options.requestTTL), rtt: rtt, options: options))
            }
            return result
        }
        if let gateway = endpoints.gateway {
            result.note = "\(endpoints.destinationAddress) is the gateway of vSwitch \(gateway.vswitch): a vSwitch gateway "
                + "answers ping only from instances in that vSwitch"
        }

        var exchange = try PingExchange(topology: topology, endpoints: endpoints, shape: options.shape)
        func request(_ index: Int) -> (departure: Int64, spec: PacketSpec) {
            (departure(index), PacketSpec(source: endpoints.sourceAddress, destination: endpoints.destinationAddress,
                                          ttl: UInt8(options.ttl), identification: UInt32(index + 1),
                                          transport: .icmpEcho(isRequest: true, identifier: Options.identifier,
                                                               sequence: UInt16(truncatingIfNeeded: index + 1)),
                                          payload: payload))
        }
        try exchange.run(count: options.requests, probe: request) { _, request in
            guard case .icmpEcho(_, let identifier, let sequence) = request.transport else { return nil }
            return PacketSpec(source: request.destination, destination: request.source, ttl: Options.requestTTL,
                              identification: UInt32(sequence),
                              transport: .icmpEcho(isRequest: false, identifier: identifier, sequence: sequence),
                              payload: request.payload)
        } completed: { index, record in
            result.add(reply(to: record, sequence: index + 1, options: options))
        }
        return result
    }

    private static func reply(to record: PingExchange.Record, sequence: Int, options: Options) -> Reply {
        let sentAt = record.sent.verdict.departure
        if let gateway = record.sent.left {
            return Reply(sequence: sequence, sentAtNanoseconds: sentAt, status: .left, leftThrough: gateway.description)
        }
        if let drop = record.sent.drop ?? record.answer?.drop {
            return Reply(sequence: sequence, sentAtNanoseconds: sentAt, status: .dropped, drop: drop)
        }
        guard let answer = record.answer, let arrival = answer.arrival else {
            return Reply(sequence: sequence, sentAtNanoseconds: sentAt, status: .late)
        }
        let ttl = Int(Options.requestTTL) - Int(answer.verdict.trail.routerHops)
        return reply(sequence: sequence, sentAt: sentAt, ttl: ttl, rtt: arrival &- sentAt, options: options)
    }

    private static func reply(sequence: Int, sentAt: Int64, ttl: Int, rtt: Int64, options: Options) -> Reply {
        Reply(sequence: sequence, sentAtNanoseconds: sentAt, status: rtt > options.timeout(forRequestSentAt: sentAt) ? .late : .reply,
              ttl: ttl, rttNanoseconds: rtt)
    }
}

/// Running counts of a ping: what the statistics block needs, without the replies (iputils keeps
/// the same sums: tsum and tsum2).
public struct PingTally: Sendable, Hashable {
    public private(set) var transmitted = 0
    public private(set) var received = 0
    public private(set) var errors = 0
    /// Round trips of the replies received, ms.
    public private(set) var rttMin = Double.infinity
    public private(set) var rttMax = -Double.infinity
    public private(set) var rttSum = 0.0
    public private(set) var rttSumOfSquares = 0.0

    public init() {}

    public mutating func add(_ reply: Ping.Reply) {
        transmitted += 1
        switch reply.status {
        case .dropped: errors += 1
        case .late, .left: break
        case .reply:
            guard let nanoseconds = reply.rttNanoseconds else { return }
            let rtt = Double(nanoseconds) / 1e6
            received += 1
            rttMin = min(rttMin, rtt)
            rttMax = max(rttMax, rtt)
            rttSum += rtt
            rttSumOfSquares += rtt * rtt
        }
    }
}

/// ping -f's summary of the drops: one entry per distinct drop (where, what, on which leg) with
/// how many requests met it and the first icmp_seq, and the count of late replies.
public struct PingDropSummary: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var drop: ProbeDrop
        public var requests: Int
        public var firstSequence: Int
    }

    public private(set) var entries: [Entry] = []
    public private(set) var late = 0
    private var positions: [ProbeDrop: Int] = [:]

    public init() {}

    public mutating func add(_ reply: Ping.Reply) {
        if reply.status == .late { late += 1 }
        guard let drop = reply.drop else { return }
        if let position = positions[drop] {
            entries[position].requests += 1
        } else {
            positions[drop] = entries.count
            entries.append(Entry(drop: drop, requests: 1, firstSequence: reply.sequence))
        }
    }
}

/// ping's statistics block: counts, loss and the round-trip summary (iputils' arithmetic: mdev
/// is the population standard deviation, sqrt(mean(rtt²) − mean(rtt)²)).
public struct PingStatistics: Sendable, Hashable, Codable {
    public var transmitted: Int
    public var received: Int
    /// Requests dropped with a reason (ping's "+N errors": an ICMP error stood for each).
    public var errors: Int
    public var lossPercent: Double
    /// From the first request to the last (ping's "time").
    public var timeNanoseconds: Int64
    /// Round trips of the replies received, rounded to the nanosecond (nil when none came back).
    public var rttMinNanoseconds: Int64?
    public var rttAvgNanoseconds: Int64?
    public var rttMaxNanoseconds: Int64?
    public var rttMdevNanoseconds: Int64?

    public init(_ replies: [Ping.Reply], interval: EmulatedDuration) {
        var tally = PingTally()
        for reply in replies { tally.add(reply) }
        self.init(tally, interval: interval)
    }

    public init(_ tally: PingTally, interval: EmulatedDuration) {
        transmitted = tally.transmitted
        received = tally.received
        errors = tally.errors
        lossPercent = transmitted == 0 ? 0 : Double(transmitted - received) * 100 / Double(transmitted)
        // Saturates rather than traps for a result built by hand; Ping.run refuses such spans up front.
        let (span, overflow) = Int64(max(0, transmitted - 1)).multipliedReportingOverflow(by: interval.nanoseconds)
        timeNanoseconds = overflow ? Int64.max : span
        guard received > 0 else { return }
        let mean = tally.rttSum / Double(received)
        let meanOfSquares = tally.rttSumOfSquares / Double(received)
        func nanoseconds(_ milliseconds: Double) -> Int64 { Int64((milliseconds * 1e6).rounded()) }
        rttMinNanoseconds = nanoseconds(tally.rttMin)
        rttAvgNanoseconds = nanoseconds(mean)
        rttMaxNanoseconds = nanoseconds(tally.rttMax)
        rttMdevNanoseconds = nanoseconds(max(0, meanOfSquares - mean * mean).squareRoot())
    }
}
