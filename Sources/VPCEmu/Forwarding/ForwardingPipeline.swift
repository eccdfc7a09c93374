import CPrefetch

/// The data path of packets through the emulated VPCs (docs/forwarding.md): each frame is
/// parsed and walks the stages of `Walk` over the data plane of its moment — attribution, SG
/// egress, ACL egress, route, peering (+ token bucket), accepter route, ACL ingress, SG ingress,
/// with the hop limit at each VPC router — and is delivered at departure + shaping delay +
/// latency, or dropped with a `DropReason`. The pipeline's observer (`Meter`) meters the
/// peering directions; verdicts are counted per kind and instance.
///
/// Time is emulated: the first packet's timestamp is time 0 (or `Options.start`), and timeline events are applied
/// when a packet reaches their time, so results never depend on the machine's speed.
/// The per-packet path reads flat arrays by integer id and allocates nothing; names and
/// strings are built only when a caller asks (`DropReason.describe`, `HopTrail.describe`).
public struct ForwardingPipeline: Sendable {
    public struct Options: Sendable {
        /// Queue non-conforming packets of inter-region peerings (`--shape`) instead of dropping them.
        public var shape: Bool
        /// Source blocks attributed to a named instance whatever the topology says (`--bind`; the
        /// most specific block holding a source wins).
        public var bindings: [(network: IPNetwork, instance: String)]
        /// Connections tracked at once over all instances; nil: the topology's
        /// `settings.connection_table` (`ConnectionTracker.defaultCapacity` when it sets none).
        public var connectionCapacity: Int?
        /// Flows whose table lookups are remembered (`FlowDecisionCache`); 0: none.
        public var flowCacheCapacity: Int
        /// The timestamp of emulated time 0; nil: the first packet's timestamp (a replay). Ping and
        /// traceroute set 0 so that a packet's timestamp is its emulated time (`--at`).
        public var origin: Int64?
        /// With `origin` nil: the emulated time of the first packet, ns (`replay --start`).
        public var start: Int64

        public init(shape: Bool = false, bindings: [(network: IPNetwork, instance: String)] = [], connectionCapacity: Int? = nil,
                    flowCacheCapacity: Int = 1 << 12, origin: Int64? = nil, start: Int64 = 0) {
            self.shape = shape
            self.bindings = bindings
            self.connectionCapacity = connectionCapacity
            self.flowCacheCapacity = flowCacheCapacity
            self.origin = origin
            self.start = start
        }
    }

    public enum OptionError: Error, Equatable, CustomStringConvertible {
        /// A `--bind` names no instance of the topology; the nearest name, when one is close.
        case unknownInstance(String, suggestion: String?)
        case badBandwidth(peering: String, TokenBucket.ConfigurationError)

        public var description: String {
            switch self {
            case .unknownInstance(let name, let suggestion):
                "--bind names instance \(name), which the topology does not declare" + (suggestion.map { ": did you mean \($0)?" } ?? "")
            case .badBandwidth(let peering, let error): "peering \(peering): \(error)"
            }
        }
    }

    /// Where a packet went: the objects it met, as ids into the data plane (`UInt32.max`: not reached).
    public struct HopTrail: Hashable, Sendable {
        public var sourceInstance = UInt32.max
        public var table = UInt32.max
        /// Position of the route taken in the table's `routes`.
        public var route = UInt32.max
        public var peering = UInt32.max
        public var destinationInstance = UInt32.max
        /// VPC routers the packet passed (each decrements the TTL).
        public var routerHops: UInt8 = 0
        /// The peering direction (`2 × peering + direction`, as `Counters.directions`) the packet
        /// crossed after passing its token bucket, and the time it waited in the shaping queue.
        public var crossedDirection = UInt32.max
        public var shapingDelay: Int64 = 0

        public init() {}

        /// The steps `describe(in:)` names, without the hop count and the crossing: two trails with
        /// the same steps are described alike.
        public var describedSteps: HopTrail {
            var steps = HopTrail()
            (steps.sourceInstance, steps.table, steps.route) = (sourceInstance, table, route)
            (steps.peering, steps.destinationInstance) = (peering, destinationInstance)
            return steps
        }

        /// `ecs-a > rt-a[10.2.0.0/16 -> peering pcx] > pcx > ecs-b`, the steps reached.
        public func describe(in topology: DataPlane) -> String {
            var steps: [String] = []
            if Int(sourceInstance) < topology.instanceNames.count { steps.append(topology.instanceNames[Int(sourceInstance)]) }
            if Int(table) < topology.tables.count {
                let table = topology.tables[Int(table)]
                let entry = Int(route) < table.routes.count ? "[\(table.routes[Int(route)].destination) -> \(table.routes[Int(route)].target)]" : ""
                steps.append(table.name + entry)
            }
            if Int(peering) < topology.peerings.count { steps.append(topology.peerings[Int(peering)].name) }
            if Int(destinationInstance) < topology.instanceNames.count { steps.append(topology.instanceNames[Int(destinationInstance)]) }
            return steps.joined(separator: " > ")
        }
    }

    public enum Outcome: Hashable, Sendable {
        /// Received by `instance` at `arrival` (ns of emulated time).
        case delivered(instance: UInt32, arrival: Int64)
        case dropped(DropReason)
        /// Routed out of the modelled network through `DataPlane.externals[gateway]`: neither
        /// delivered nor dropped.
        case left(gateway: UInt32)
    }

    public struct Verdict: Hashable, Sendable {
        public var outcome: Outcome
        /// Emulated time the packet entered (capture timestamp minus the first packet's).
        public var departure: Int64
        /// IP packet length (what the cloud meters), 0 for frames without IP.
        public var ipLength: UInt32
        public var trail: HopTrail

        /// What a verdict slot holds until its packet is forwarded (never returned).
        static let unwritten = Verdict(outcome: .dropped(.unknownSource), departure: 0, ipLength: 0, trail: HopTrail())
    }

    /// Per peering direction, indexed `2 × peering + direction` (requester→accepter first).
    public struct DirectionCounters: Hashable, Sendable {
        public var packets: UInt64 = 0
        public var bytes: UInt64 = 0
        public var throttled: UInt64 = 0
        public var shapingDelayNanoseconds: UInt64 = 0
    }

    public struct Counters: Hashable, Sendable {
        public var packets: UInt64 = 0
        public var delivered: UInt64 = 0
        public var dropped: UInt64 = 0
        /// Packets routed out of the modelled network (external next hops).
        public var left: UInt64 = 0
        /// Indexed by `DropReason.Kind.rawValue`.
        public var dropsByKind = [UInt64](repeating: 0, count: DropReason.Kind.allCases.count)
        /// Indexed by instance id.
        public var receivedByInstance: [UInt64]
        public var directions: [DirectionCounters]
        public var timeExceededAnswers: UInt64 = 0

        public func drops(_ kind: DropReason.Kind) -> UInt64 { dropsByKind[Int(kind.rawValue)] }
    }

    public private(set) var runtime: TopologyRuntime
    public private(set) var counters: Counters
    public let options: Options
    /// Time-exceeded answers built during the last batch (frames back-to-back, Ethernet-less IP).
    public private(set) var answers = ContiguousArray<UInt8>()
    public private(set) var answerOffsets = ContiguousArray<Int>()
    /// Capture timestamp of emulated time 0 (nil until the first packet, unless `Options.origin` sets it).
    public private(set) var origin: Int64?
    /// The timeline changes the last `forward(batch)` applied: from packet `index` on, the batch was
    /// forwarded on `topology` (a replay describes each drop with the topology in effect). Empty for
    /// a batch that reached no change, the usual case.
    public private(set) var appliedChanges = ContiguousArray<(index: Int, topology: DataPlane)>()

    private var tracker: ConnectionTracker
    private var buckets: [TokenBucket?]
    private var bucketBandwidth: [Int?]
    /// Per vSwitch: its VPC and address blocks, to find the router that answers for a destination
    /// no instance owns (read only when a packet expires there).
    private let vswitchBlocks: [(vpc: UInt32, blocks: [IPNetwork])]
    /// The walk's lookups per flow in the data plane; invalidated whenever a timeline event changes it.
    private var flowCache: FlowDecisionCache
    /// Per packet of a parsed batch, its connection-table lookup (`flow(of:)`), computed before the
    /// batch is walked: the batch (Capture) holds only what the parser decoded, and the loop reads
    /// the lookup `prefetchDistance` packets ahead. The storage is kept from batch to batch.
    private var flows = ContiguousArray<ConnectionTracker.Lookup>()
    /// Per vSwitch: the router address time-exceeded answers come from, per family.
    private let routerIPv4: [IPAddress?]
    private let routerIPv6: [IPAddress?]

    public init(topology: Topology, options: Options = Options()) throws(OptionError) {
        var bindings = RouteTable<UInt32>()
        let instanceNames = topology.instances.map(\.name)
        for binding in options.bindings {
            let id = try Self.instance(named: binding.instance, in: instanceNames)
            bindings.insert(binding.network, nextHop: UInt32(id))
        }
        runtime = TopologyRuntime(topology: topology, bindings: bindings)
        self.options = options
        origin = options.origin
        let compiled = runtime.dataPlane
        tracker = ConnectionTracker(capacity: options.connectionCapacity ?? topology.settings.connectionTable)
        flowCache = FlowDecisionCache(capacity: options.flowCacheCapacity)
        vswitchBlocks = topology.vswitches.indices.map { (compiled.vswitchVPC[$0], topology.vswitches[$0].allCIDRs) }
        routerIPv4 = topology.vswitches.map { $0.routerAddress(family: .ipv4, profile: topology.profile) }
        routerIPv6 = topology.vswitches.map { $0.routerAddress(family: .ipv6, profile: topology.profile) }
        counters = Counters(receivedByInstance: Array(repeating: 0, count: compiled.instanceNames.count),
                            directions: Array(repeating: DirectionCounters(), count: 2 * compiled.peerings.count))
        buckets = Array(repeating: nil, count: 2 * compiled.peerings.count)
        bucketBandwidth = Array(repeating: nil, count: compiled.peerings.count)
    }

    /// The data plane the packets are walking now (timeline events change it).
    public var topology: DataPlane { runtime.dataPlane }

    /// The id of the instance `name` (a `--bind`), or `.unknownInstance` with the nearest name.
    public static func instance(named name: String, in instanceNames: [String]) throws(OptionError) -> Int {
        guard let id = instanceNames.firstIndex(of: name) else {
            throw .unknownInstance(name, suggestion: NameSuggestion.closest(to: name, in: instanceNames))
        }
        return id
    }

    /// The connection table's counters: connections tracked, refused (the table was full), expired.
    public var connectionStatistics: ConnectionTracker.Statistics { tracker.statistics }

    // MARK: batches

    /// Forwards every packet of `batch`, replacing `verdicts` with one verdict per packet (its
    /// capacity is reused: no allocation in steady state). A batch parsed for `linkType` ahead
    /// (`PacketBatch.parseForForwarding`) is walked as parsed; any other is parsed here. On a throw,
    /// `verdicts` holds the packets forwarded before it.
    public mutating func forward(_ batch: PacketBatch, linkType: LinkType, into verdicts: inout ContiguousArray<Verdict>) throws(OptionError) {
        // Verdicts are written in place rather than appended (~80-byte values): `verdicts` is sized
        // to the batch first, which in steady state (full batches) changes nothing.
        if verdicts.count > batch.count {
            verdicts.removeLast(verdicts.count &- batch.count)
        } else if verdicts.count < batch.count {
            verdicts.append(contentsOf: repeatElement(Verdict.unwritten, count: batch.count &- verdicts.count))
        }
        answers.removeAll(keepingCapacity: true)
        answerOffsets.removeAll(keepingCapacity: true)
        appliedChanges.removeAll(keepingCapacity: true)
        // Each packet adds at most one connection per zone (egress, ingress): grown here, the
        // table never grows inside the walk, which reads it through a pointer.
        tracker.reserve(2 &* batch.count)
        let isParsed = batch.parsedLinkType == linkType
        if isParsed { lookUpFlows(of: batch) }
        let flows = self.flows
        var packet = ParsedFrame()
        var index = 0
        do {
            try verdicts.withUnsafeMutableBufferPointer { (out) throws(OptionError) in
                try batch.withUnsafeBytes { (bytes) throws(OptionError) in
                    while index < batch.count {
                        // The first packet and one that reaches a timeline change take the one-packet
                        // path, which applies the change; the packets between run on one view of the tables.
                        if let origin, counters.packets > 0, batch.timestamps[index] &- origin < runtime.nextChange.nanoseconds {
                            let plane = runtime.dataPlane
                            plane.withView { view in withUnsafePointer(to: view) { view in
                                withHotStorage { pipeline, hot in
                                    var meter = Meter(directions: hot.directions)
                                    // Read through a pointer: the loop also reads the packet `prefetchDistance` ahead.
                                    batch.parsed.withUnsafeBufferPointer { parsed in flows.withUnsafeBufferPointer { flows in
                                        while index < batch.count, batch.timestamps[index] &- origin < pipeline.runtime.nextChange.nanoseconds {
                                            let frame = batch.frame(index, in: bytes), now = batch.timestamps[index] &- origin
                                            if isParsed {
                                                if index &+ Self.prefetchDistance < batch.count {
                                                    pipeline.prefetchSlots(of: flows[index &+ Self.prefetchDistance], hot)
                                                }
                                                pipeline.forward(parsed[index], flows[index], frame: frame, now: now, view, hot, &meter,
                                                                 into: &out[index])
                                            } else {
                                                packet.parse(frame, linkType: linkType, wireLength: Int(batch.wireLengths[index]),
                                                             timestamp: batch.timestamps[index])
                                                pipeline.forward(packet, Self.flow(of: packet), frame: frame, now: now, view, hot, &meter,
                                                                 into: &out[index])
                                            }
                                            index &+= 1
                                        }
                                    } }
                                }
                            } }
                        } else {
                            let frame = batch.frame(index, in: bytes)
                            if !isParsed {
                                packet.parse(frame, linkType: linkType, wireLength: Int(batch.wireLengths[index]),
                                             timestamp: batch.timestamps[index])
                            }
                            let changesBefore = runtime.nextChange
                            out[index] = try isParsed ? forward(batch.parsed[index], flows[index], frame: frame, timestamp: batch.timestamps[index])
                                : forward(packet, Self.flow(of: packet), frame: frame, timestamp: batch.timestamps[index])
                            if runtime.nextChange != changesBefore { appliedChanges.append((index, runtime.dataPlane)) }
                            index &+= 1
                        }
                    }
                }
            }
        } catch {
            verdicts.removeLast(verdicts.count &- index)
            throw error
        }
        if let last = verdicts.last { sweepIfDue(at: last.departure) }
    }

    /// Frees the connection slots of expired flows, as the end of each batch does; for a caller
    /// that forwards a batch one packet at a time, with its last packet's departure.
    /// Sweeping scans the whole table, so it runs at most once per emulated second
    /// (`ConnectionTracker.sweepIfDue`); lookups already ignore expired flows.
    mutating func sweepIfDue(at departure: Int64) {
        tracker.sweepIfDue(now: UInt64(max(0, departure)))
    }

    /// How many packets ahead the batch loop prefetches a packet's flow-cache slot and connection
    /// table home slot (both random in tables larger than the caches), so the walk finds them loaded.
    static let prefetchDistance = 4

    @inline(__always)
    private func prefetchSlots(of flow: ConnectionTracker.Lookup, _ hot: HotStorage) {
        vpcemu_prefetch(UnsafeRawPointer(hot.flowSlots + flowCache.slotIndex(hash: flow.directionalHash)))
        vpcemu_prefetch(UnsafeRawPointer(hot.connections + tracker.homeSlot(hash: flow.hash)))
    }

    // MARK: one packet

    /// Forwards one frame captured at `timestamp` (ns). Throws only when a timeline event sets a
    /// bandwidth the token bucket cannot represent.
    public mutating func forward(_ frame: UnsafeRawBufferPointer, linkType: LinkType, wireLength: Int? = nil,
                                 timestamp: Int64, headers: inout PacketHeaders) throws(OptionError) -> Verdict {
        var packet = ParsedFrame()
        packet.parse(frame, linkType: linkType, wireLength: wireLength, timestamp: timestamp)
        headers = packet.headers
        return try forward(packet, Self.flow(of: packet), frame: frame, timestamp: timestamp)
    }

    /// The connection-table lookup of a parsed frame (meaningful only for an IP packet).
    @inline(__always)
    static func flow(of packet: ParsedFrame) -> ConnectionTracker.Lookup {
        if case .ip = packet.outcome { return ConnectionTracker.Lookup(tuple(packet.headers)) }
        return noFlow
    }

    private static let noFlow = ConnectionTracker.Lookup(FiveTuple(ipv4Source: 0, destination: 0, sourcePort: 0, destinationPort: 0, ipProtocol: 0))

    /// `flows` for every packet of `batch` (parsed).
    private mutating func lookUpFlows(of batch: PacketBatch) {
        let count = batch.count
        if flows.count < count { flows.append(contentsOf: repeatElement(Self.noFlow, count: count &- flows.count)) }
        batch.parsed.withUnsafeBufferPointer { parsed in
            flows.withUnsafeMutableBufferPointer { flows in
                for index in 0..<count { flows[index] = Self.flow(of: parsed[index]) }
            }
        }
    }

    /// One parsed frame captured at `timestamp`: advances the control plane to it first.
    private mutating func forward(_ packet: ParsedFrame, _ flow: ConnectionTracker.Lookup, frame: UnsafeRawBufferPointer,
                                  timestamp: Int64) throws(OptionError) -> Verdict {
        let isFirst = counters.packets == 0
        tracker.reserve(2)
        let start = origin ?? timestamp &- options.start
        if origin == nil { origin = timestamp &- options.start }
        let now = timestamp &- start
        let changed = !runtime.advance(to: EmulatedTime(nanoseconds: now)).isEmpty
        if changed { flowCache.invalidate() }
        if changed || isFirst { try refreshBuckets(now: now) }
        let plane = runtime.dataPlane
        var verdict = Verdict.unwritten
        plane.withView { view in
            withUnsafePointer(to: view) { view in
                withHotStorage { pipeline, hot in
                    var meter = Meter(directions: hot.directions)
                    pipeline.forward(packet, flow, frame: frame, now: now, view, hot, &meter, into: &verdict)
                }
            }
        }
        return verdict
    }

    /// One parsed frame at emulated time `now`, with the control plane already advanced to it.
    private mutating func forward(_ packet: ParsedFrame, _ flow: ConnectionTracker.Lookup, frame: UnsafeRawBufferPointer, now: Int64,
                                  _ view: UnsafePointer<DataPlane.View>, _ hot: HotStorage, _ meter: inout Meter, into verdict: inout Verdict) {
        verdict = Verdict(outcome: .dropped(.unknownSource), departure: now, ipLength: 0, trail: HopTrail())
        switch packet.outcome {
        case .malformed(let reason): verdict.outcome = .dropped(.malformed(reason))
        case .notIP(let type): verdict.outcome = .dropped(.notIP(type))
        case .ip:
            let headers = packet.headers
            verdict.ipLength = headers.ipTotalLength
            let slot = flowCache.slot(for: flow.tuple, hash: flow.directionalHash, in: hot.flowSlots)
            let walked = WalkPacket(flow: flow, source: headers.source, destination: headers.destination,
                                    tcpFlags: headers.tcpFlags, quoted: Self.quotedFlow(frame, headers), ttl: headers.ttl, ipLength: headers.ipTotalLength, now: now)
            verdict.outcome = Walk.run(walked, FlowDecisionCache.Lookups(view: view, memo: hot.flowSlots + slot),
                                       tracker: &tracker, connections: hot.connections, buckets: hot.buckets,
                                       trail: &verdict.trail, observer: &meter)
            if case .dropped(.ttlExpired(let vpc)) = verdict.outcome {
                expire(headers, frame: frame, vpc: vpc, vswitch: meter.expiredAt)
            }
        }
        count(verdict, hot)
    }

    /// The pipeline's walk observer: meters each peering direction a packet crosses or is
    /// throttled on, and notes the router a packet expires at; the other stages' reports cost nothing.
    struct Meter: WalkObserver {
        let directions: UnsafeMutableBufferPointer<DirectionCounters>
        /// The vSwitch whose router answers the last expired packet (`WalkObserver.expired`).
        var expiredAt: UInt32?

        init(directions: UnsafeMutableBufferPointer<DirectionCounters>) { self.directions = directions }

        @inline(__always) mutating func crossed(direction: Int, bytes: UInt32, shapingDelay: Int64) {
            directions[direction].packets &+= 1
            directions[direction].bytes &+= UInt64(bytes)
            directions[direction].shapingDelayNanoseconds &+= UInt64(shapingDelay)
        }

        @inline(__always) mutating func throttled(direction: Int) { directions[direction].throttled &+= 1 }
        @inline(__always) mutating func expired(at vpc: UInt32, vswitch: UInt32?) { expiredAt = vswitch }

        @inline(__always) func attributed(_ source: IPAddress, to owner: UInt32?, _ result: StageResult) {}
        @inline(__always) func securityGroup(_ direction: TrafficDirection, of instance: UInt32, verdict: FilterVerdict?, _ result: StageResult) {}
        @inline(__always) func networkACL(_ direction: TrafficDirection, of vswitch: UInt32, verdict: FilterVerdict, _ result: StageResult) {}
        @inline(__always) func routed(table: UInt32, to destination: IPAddress, slot: DataPlane.RouteSlot?, _ result: StageResult) {}
        @inline(__always) func peering(_ peering: UInt32, from vpc: UInt32, _ result: StageResult) {}
        @inline(__always) func peerRouted(table: UInt32, in vpc: UInt32, to destination: IPAddress, slot: DataPlane.RouteSlot?,
                                          _ result: StageResult) {}
        @inline(__always) func noOwner(in vpc: UInt32, of destination: IPAddress) {}
        @inline(__always) func delivered(to instance: UInt32, _ destination: IPAddress) {}
    }

    /// A packet whose TTL ran out at `vpc`'s router (`HopLimitStage`), kept out of line: builds the
    /// time-exceeded answer from the router (gateway) address of `vswitch`.
    @inline(never)
    private mutating func expire(_ headers: PacketHeaders, frame: UnsafeRawBufferPointer, vpc: UInt32, vswitch: UInt32?) {
        // No vSwitch given: the destination is local in `vpc` but no instance owns it; the router
        // of the vSwitch whose block holds it answers.
        let answering = vswitch ?? vswitchBlocks.indices.first { index in
            vswitchBlocks[index].vpc == vpc && vswitchBlocks[index].blocks.contains { $0.contains(headers.destination) }
        }.map(UInt32.init)
        let router = answering.flatMap { headers.family == .ipv4 ? routerIPv4[Int($0)] : routerIPv6[Int($0)] }
        if let router, TimeExceeded.mayAnswer(headers) {
            answerOffsets.append(answers.count)
            TimeExceeded.build(answering: frame, headers: headers, router: router, into: &answers)
            counters.timeExceededAnswers &+= 1
        }
    }

    private mutating func count(_ verdict: Verdict, _ hot: HotStorage) {
        counters.packets &+= 1
        switch verdict.outcome {
        case .delivered(let instance, _):
            counters.delivered &+= 1
            hot.receivedByInstance[Int(instance)] &+= 1
        case .dropped(let reason):
            counters.dropped &+= 1
            hot.dropsByKind[Int(reason.kind.rawValue)] &+= 1
        case .left:
            counters.left &+= 1
        }
    }

    /// The arrays the walk and `count` write per packet, reached through pointers taken once per run
    /// of packets: a write through the array itself costs a uniqueness check
    /// (`swift_isUniquelyReferenced_nonNull_native`, ~2.9 calls per packet before).
    struct HotStorage {
        let dropsByKind: UnsafeMutableBufferPointer<UInt64>
        let receivedByInstance: UnsafeMutableBufferPointer<UInt64>
        let directions: UnsafeMutableBufferPointer<DirectionCounters>
        let flowSlots: UnsafeMutablePointer<FlowDecisionCache.Decisions>
        let buckets: UnsafeMutableBufferPointer<TokenBucket?>
        /// The connection table (`ConnectionTracker.storage`).
        let connections: UnsafeMutablePointer<ConnectionTracker.Entry>
    }

    /// Runs `body` with the hot arrays moved out of `counters`, `flowCache`, `buckets` and `tracker` (so they
    /// are unique and `self` stays free to mutate) and put back after; `body` must not read them through `pipeline`.
    private mutating func withHotStorage<R>(_ body: (inout Self, HotStorage) -> R) -> R {
        var drops = counters.dropsByKind, received = counters.receivedByInstance
        var directions = counters.directions, slots = flowCache.slots, buckets = self.buckets
        var connections = tracker.storage
        counters.dropsByKind = []
        counters.receivedByInstance = []
        counters.directions = []
        flowCache.slots = []
        self.buckets = []
        tracker.storage = []
        defer {
            counters.dropsByKind = drops
            counters.receivedByInstance = received
            counters.directions = directions
            flowCache.slots = slots
            self.buckets = buckets
            tracker.storage = connections
        }
        return drops.withUnsafeMutableBufferPointer { drops in
            received.withUnsafeMutableBufferPointer { received in
                directions.withUnsafeMutableBufferPointer { directions in
                    slots.withUnsafeMutableBufferPointer { slots in
                        buckets.withUnsafeMutableBufferPointer { buckets in
                            connections.withUnsafeMutableBufferPointer { connections in
                                // `slots` and `connections` are never empty (both tables have at least one slot).
                                body(&self, HotStorage(dropsByKind: drops, receivedByInstance: received, directions: directions,
                                                       flowSlots: slots.baseAddress!, buckets: buckets,
                                                       connections: connections.baseAddress!))
                            }
                        }
                    }
                }
            }
        }
    }

    /// The classifier's view of the packet; ICMP uses sport = type << 8 | code, dport = identifier
    /// (`FiveTuple.init(icmpSource:…)`). Read straight from the header fields: the same tuple as
    /// `FiveTuple(source: headers.source, …)` without building the two `IPAddress` values.
    static func tuple(_ headers: PacketHeaders) -> FiveTuple {
        let isIPv4 = headers.family == .ipv4
        let isICMP = headers.ipProtocol == IPProtocolNumber.icmp || headers.ipProtocol == IPProtocolNumber.icmpv6
        let scalars = isICMP
            ? FiveTuple.packScalars(sourcePort: UInt16(headers.icmpType) << 8 | UInt16(headers.icmpCode),
                                    destinationPort: headers.icmpIdentifier,
                                    ipProtocol: isIPv4 ? IPProtocolNumber.icmp : IPProtocolNumber.icmpv6, family: headers.family)
            : FiveTuple.packScalars(sourcePort: headers.sourcePort, destinationPort: headers.destinationPort,
                                    ipProtocol: headers.ipProtocol, family: headers.family)
        // An IPv4 address is its low 32 bits (as `IPAddress.bits` gives it).
        return FiveTuple(sourceHigh: isIPv4 ? 0 : headers.sourceHigh,
                         sourceLow: isIPv4 ? headers.sourceLow & 0xFFFF_FFFF : headers.sourceLow,
                         destinationHigh: isIPv4 ? 0 : headers.destinationHigh,
                         destinationLow: isIPv4 ? headers.destinationLow & 0xFFFF_FFFF : headers.destinationLow,
                         scalars: scalars)
    }

    /// The flow an ICMP or ICMPv6 error quotes, as `tuple` reads a packet's (nil for any other packet).
    @inline(__always)
    static func quotedFlow(_ frame: UnsafeRawBufferPointer, _ headers: PacketHeaders) -> FiveTuple? {
        guard QuotedHeader.isError(headers) else { return nil }
        return quotedFlowOutOfLine(frame, headers)
    }

    @inline(never)
    private static func quotedFlowOutOfLine(_ frame: UnsafeRawBufferPointer, _ headers: PacketHeaders) -> FiveTuple? {
        guard let quoted = QuotedHeader.decode(frame, headers: headers) else { return nil }
        let isICMP = quoted.ipProtocol == (quoted.family == .ipv4 ? IPProtocolNumber.icmp : IPProtocolNumber.icmpv6)
        let scalars = isICMP
            ? FiveTuple.packScalars(sourcePort: UInt16(quoted.icmpType) << 8 | UInt16(quoted.icmpCode),
                                    destinationPort: quoted.icmpIdentifier, ipProtocol: quoted.ipProtocol, family: quoted.family)
            : FiveTuple.packScalars(sourcePort: quoted.sourcePort, destinationPort: quoted.destinationPort,
                                    ipProtocol: quoted.ipProtocol, family: quoted.family)
        return FiveTuple(sourceHigh: quoted.sourceHigh, sourceLow: quoted.sourceLow, destinationHigh: quoted.destinationHigh,
                         destinationLow: quoted.destinationLow, scalars: scalars)
    }

    // MARK: token buckets

    /// One bucket per direction of each Activated inter-region peering with a bandwidth;
    /// rebuilt (full) when the bandwidth changes, kept otherwise.
    private mutating func refreshBuckets(now: Int64) throws(OptionError) {
        for (id, peering) in runtime.dataPlane.peerings.enumerated() {
            let bandwidth = peering.isInterRegion ? peering.bandwidthMbps : nil
            guard bandwidth != bucketBandwidth[id] || (bandwidth != nil && buckets[2 * id] == nil) else { continue }
            bucketBandwidth[id] = bandwidth
            guard let bandwidth else {
                buckets[2 * id] = nil
                buckets[2 * id + 1] = nil
                continue
            }
            do {
                let configuration = try TokenBucket.Configuration.peering(
                    bandwidthMbps: Int64(bandwidth), burstBytes: peering.burstBytes.map(Int64.init), shape: options.shape)
                buckets[2 * id] = TokenBucket(configuration, start: now)
                buckets[2 * id + 1] = TokenBucket(configuration, start: now)
            } catch {
                throw .badBandwidth(peering: peering.name, error)
            }
        }
    }
}
