/// `vpcemu traceroute`: TTL-limited probes through the emulated VPCs (docs/diagnostics-ping.md).
/// Each VPC router a probe passes decrements its TTL; where it runs out, the pipeline builds the
/// router's ICMP time-exceeded answer, which names the hop. A probe that reaches the destination
/// is answered by it (ICMP port unreachable for UDP probes, echo reply for `-I`), and that
/// answer travels back through the pipeline like any packet.
public enum Traceroute {
    public struct Options: Sendable, Hashable {
        public var source: String
        public var destination: String
        public var ipv6 = false
        /// Probes per hop (`-q`).
        public var queries = 3
        /// The largest TTL tried (`-m`).
        public var maxHops = 30
        /// ICMP echo probes instead of UDP (`-I`).
        public var icmp = false
        /// Emulated time the first probe leaves (`--at`).
        public var start = EmulatedTime.zero

        public init(source: String, destination: String) {
            self.source = source
            self.destination = destination
        }

        /// UDP probes go to 33434, 33435, … (one port per probe, as traceroute does).
        public static let firstPort: UInt16 = 33_434
        public static let sourcePort: UInt16 = 44_444
        /// Probe payload: 60-byte IPv4 probes and 80-byte IPv6 probes, traceroute's defaults.
        public static let payloadSize = 32
        /// Probes leave this far apart, all at once as a modern traceroute sends them (`-N`).
        public static let probeSpacing = EmulatedDuration.milliseconds(1)

        func validate() throws(PingError) {
            guard (1...10).contains(queries) else { throw .invalidOption("-q must be between 1 and 10, not \(queries)") }
            guard (1...255).contains(maxHops) else { throw .invalidOption("-m must be between 1 and 255, not \(maxHops)") }
            guard Int64.max - start.nanoseconds >= Int64(maxHops * queries) * Options.probeSpacing.nanoseconds else {
                throw .invalidOption("the last probe (--at \(EmulatedDuration(nanoseconds: start.nanoseconds)) + \(maxHops * queries) × "
                    + "\(Options.probeSpacing)) is too large (at most \(EmulatedDuration.maximumDays) days)")
            }
        }
    }

    /// One probe's answer.
    public struct Probe: Sendable, Hashable, Codable {
        /// Who answered: a router (time exceeded) or the destination; nil when nothing did.
        public var address: String?
        /// `branch-1 router` or the destination instance's name.
        public var name: String?
        /// Modeled round trip, ns.
        public var rttNanoseconds: Int64?
        /// Where and why the probe (or the destination's answer) was dropped.
        public var drop: ProbeDrop?
        /// Whether the destination itself answered.
        public var isDestination: Bool
    }

    public struct Hop: Sendable, Hashable, Codable {
        public var ttl: Int
        public var probes: [Probe]

        var reachesDestination: Bool { probes.contains(where: \.isDestination) }
    }

    public struct Result: Sendable, Hashable {
        public var endpoints: DiagnosticEndpoints
        public var options: Options
        public var hops: [Hop]

        public var reached: Bool { hops.last?.reachesDestination ?? false }
        /// 0 when the destination answered, 1 otherwise.
        public var exitStatus: Int32 { reached ? 0 : 1 }
    }

    public static func run(_ topology: Topology, _ options: Options) throws(PingError) -> Result {
        try options.validate()
        let endpoints = try DiagnosticEndpoints.probe(topology: topology, from: options.source, to: options.destination, ipv6: options.ipv6)
        var exchange = try PingExchange(topology: topology, endpoints: endpoints)
        let payload = [UInt8](repeating: 0, count: Options.payloadSize)
        var probes: [(departure: Int64, spec: PacketSpec)] = []
        for ttl in 1...options.maxHops {
            for _ in 0..<options.queries {
                let index = probes.count
                let transport: TransportSpec = options.icmp
                    ? .icmpEcho(isRequest: true, identifier: Ping.Options.identifier, sequence: UInt16(index + 1))
                    : .udp(sourcePort: Options.sourcePort, destinationPort: Options.firstPort &+ UInt16(index))
                // validate() checked that the last departure fits.
                let departure = options.start.nanoseconds + Int64(index) * Options.probeSpacing.nanoseconds
                probes.append((departure, PacketSpec(source: endpoints.sourceAddress, destination: endpoints.destinationAddress,
                                                     ttl: UInt8(ttl), identification: UInt32(index + 1),
                                                     transport: transport, payload: payload)))
            }
        }
        var records: [PingExchange.Record] = []
        try exchange.run(count: probes.count, probe: { probes[$0] }, answer: { _, probe in answer(to: probe) }) { records.append($1) }
        let routers = routerNames(topology, family: endpoints.destinationAddress.family)
        let latency = topology.settings.intraRegionLatency.nanoseconds
        var hops: [Hop] = []
        for ttl in 1...options.maxHops {
            let slice = records[(ttl - 1) * options.queries..<ttl * options.queries]
            let hop = Hop(ttl: ttl, probes: slice.map {
                probe($0, endpoints: endpoints, routers: routers, topology: exchange.topology, intraRegionLatency: latency)
            })
            hops.append(hop)
            // The pipeline is deterministic: a larger TTL meets the same end.
            let answered = hop.probes.contains { $0.address != nil && !$0.isDestination }
            if hop.reachesDestination || !answered { break }
        }
        return Result(endpoints: endpoints, options: options, hops: hops)
    }

    /// What the destination sends back: an echo reply, or ICMP port unreachable quoting the UDP
    /// probe (RFC 792 type 3 code 3; RFC 4443 type 1 code 4).
    static func answer(to probe: PacketSpec) -> PacketSpec? {
        let transport: TransportSpec
        var payload = probe.payload
        switch probe.transport {
        case .icmpEcho(_, let identifier, let sequence):
            transport = .icmpEcho(isRequest: false, identifier: identifier, sequence: sequence)
        case .udp:
            let isVersion4 = probe.family == .ipv4
            transport = .icmpMessage(type: isVersion4 ? 3 : 1, code: isVersion4 ? 3 : 4, restOfHeader: 0)
            payload = PacketBuilder.frame(for: probe)
        default:
            return nil
        }
        return PacketSpec(source: probe.destination, destination: probe.source, transport: transport, payload: payload)
    }

    private static func probe(_ record: PingExchange.Record, endpoints: DiagnosticEndpoints, routers: [IPAddress: String],
                              topology: DataPlane, intraRegionLatency: Int64) -> Probe {
        let departure = record.sent.verdict.departure
        if let router = record.sent.timeExceededFrom {
            // The answer comes back the way the probe went: one intra-region hop, or the peering
            // (with any shaping delay) and its reverse direction.
            var rtt = 2 &* intraRegionLatency
            let trail = record.sent.verdict.trail
            if Int(trail.crossedDirection / 2) < topology.peerings.count {
                let peering = topology.peerings[Int(trail.crossedDirection / 2)]
                rtt = trail.shapingDelay &+ peering.latencyForward.nanoseconds &+ peering.latencyReverse.nanoseconds
            }
            return Probe(address: "\(router)", name: routers[router], rttNanoseconds: rtt, isDestination: false)
        }
        if let drop = record.sent.drop ?? record.answer?.drop {
            return Probe(drop: drop, isDestination: false)
        }
        guard let arrival = record.answer?.arrival else { return Probe(isDestination: false) }
        return Probe(address: "\(endpoints.destinationAddress)", name: endpoints.destinationInstance,
                     rttNanoseconds: arrival &- departure, isDestination: true)
    }

    /// Router addresses of every vSwitch in `family`: `hub router`.
    private static func routerNames(_ topology: Topology, family: AddressFamily) -> [IPAddress: String] {
        var names: [IPAddress: String] = [:]
        for vswitch in topology.vswitches {
            if let address = vswitch.routerAddress(family: family, profile: topology.profile) {
                names[address] = "\(vswitch.vpc) router"
            }
        }
        return names
    }
}
