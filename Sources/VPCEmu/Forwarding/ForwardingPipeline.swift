import CPrefetch

/// The data path of one packet through the emulated VPCs (docs/forwarding.md):
///
///     parse → attribute the source instance → SG egress (stateful) → ACL egress of the source
///     vSwitch → route lookup in its table → local, or across an Activated peering (token bucket
///     of the direction when inter-region; the destination must be local at the other end) →
///     ACL ingress → SG ingress (stateful) → delivered at departure + shaping delay + latency.
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

    /// Where a packet went: the objects it met, as ids into `topology` (`UInt32.max`: not reached).
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
        public func describe(in topology: CompiledTopology) -> String {
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
    public private(set) var appliedChanges = ContiguousArray<(index: Int, topology: CompiledTopology)>()

    private var tracker: ConnectionTracker
    private var buckets: [TokenBucket?]
    private var bucketBandwidth: [Int?]
    /// Address -> instance per VPC, and source attribution (`--bind` first); fixed for the run.
    private let hosts: HostTablePool
    private let owners: HostTablePool
    /// The `--bind` blocks (no table when there are none), tried before `owners`.
    private let bindings: FIBPool<UInt32>
    /// Per VPC: its system route table, to decide whether a destination is local there.
    private let vpcTable: [UInt32]
    /// Per vSwitch: its VPC and address blocks, to find the router that answers for a destination
    /// no instance owns (read only when a packet expires there).
    private let vswitchBlocks: [(vpc: UInt32, blocks: [IPNetwork])]
    /// What the walk reads per packet, rebuilt when a timeline event changes `runtime.compiled`.
    private var tables: ForwardingTables
    /// The walk's lookups per flow in `tables`; invalidated whenever they are rebuilt.
    private var flowCache: FlowDecisionCache
    /// Per vSwitch: the router address time-exceeded answers come from, per family.
    private let routerIPv4: [IPAddress?]
    private let routerIPv6: [IPAddress?]
    private let intraRegionLatency: Int64

    public init(topology: Topology, options: Options = Options()) throws(OptionError) {
        runtime = TopologyRuntime(topology: topology)
        self.options = options
        origin = options.origin
        let compiled = runtime.compiled
        tracker = ConnectionTracker(capacity: options.connectionCapacity ?? topology.settings.connectionTable)
        flowCache = FlowDecisionCache(capacity: options.flowCacheCapacity)
        var bindings = RouteTable<UInt32>()
        for binding in options.bindings {
            let id = try Self.instance(named: binding.instance, in: compiled.instanceNames)
            bindings.insert(binding.network, nextHop: UInt32(id))
        }
        self.bindings = FIBPool(bindings.count == 0 ? [] : [bindings.build()])
        vpcTable = compiled.systemTables(of: topology)
        vswitchBlocks = topology.vswitches.indices.map { (compiled.vswitchVPC[$0], topology.vswitches[$0].allCIDRs) }
        routerIPv4 = topology.vswitches.map { $0.routerAddress(family: .ipv4, profile: topology.profile) }
        routerIPv6 = topology.vswitches.map { $0.routerAddress(family: .ipv6, profile: topology.profile) }
        intraRegionLatency = topology.settings.intraRegionLatency.nanoseconds
        counters = Counters(receivedByInstance: Array(repeating: 0, count: compiled.instanceNames.count),
                            directions: Array(repeating: DirectionCounters(), count: 2 * compiled.peerings.count))
        buckets = Array(repeating: nil, count: 2 * compiled.peerings.count)
        bucketBandwidth = Array(repeating: nil, count: compiled.peerings.count)
        let candidates = topology.instances.flatMap(\.addresses)
        hosts = HostTablePool(compiled.hosts, candidates: candidates)
        owners = HostTablePool([compiled.sourceOwners], candidates: candidates)
        tables = ForwardingTables(compiled, vpcTable: vpcTable, hosts: hosts, owners: owners, bindings: self.bindings)
    }

    public var topology: CompiledTopology { runtime.compiled }

    /// The id of the instance `name` (a `--bind`), or `.unknownInstance` with the nearest name.
    public static func instance(named name: String, in instanceNames: [String]) throws(OptionError) -> Int {
        guard let id = instanceNames.firstIndex(of: name) else {
            throw .unknownInstance(name, suggestion: YAMLFieldReader.closest(to: name, in: instanceNames))
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
        var packet = ParsedPacket()
        var index = 0
        do {
            try verdicts.withUnsafeMutableBufferPointer { (out) throws(OptionError) in
                try batch.withUnsafeBytes { (bytes) throws(OptionError) in
                    while index < batch.count {
                        // The first packet and one that reaches a timeline change take the one-packet
                        // path, which applies the change; the packets between run on one view of the tables.
                        if let origin, counters.packets > 0, batch.timestamps[index] &- origin < runtime.nextChange.nanoseconds {
                            let tables = self.tables
                            tables.withView { view in
                                withHotStorage { pipeline, hot in
                                    // Read through a pointer: the loop also reads the packet `prefetchDistance` ahead.
                                    batch.parsed.withUnsafeBufferPointer { parsed in
                                        while index < batch.count, batch.timestamps[index] &- origin < pipeline.runtime.nextChange.nanoseconds {
                                            let frame = batch.frame(index, in: bytes), now = batch.timestamps[index] &- origin
                                            if isParsed {
                                                if index &+ Self.prefetchDistance < batch.count {
                                                    pipeline.prefetchSlots(of: parsed[index &+ Self.prefetchDistance].flow, hot)
                                                }
                                                pipeline.forward(parsed[index], frame: frame, now: now, view, hot, into: &out[index])
                                            } else {
                                                packet.parse(frame, linkType: linkType, wireLength: Int(batch.wireLengths[index]),
                                                             timestamp: batch.timestamps[index])
                                                pipeline.forward(packet, frame: frame, now: now, view, hot, into: &out[index])
                                            }
                                            index &+= 1
                                        }
                                    }
                                }
                            }
                        } else {
                            let frame = batch.frame(index, in: bytes)
                            if !isParsed {
                                packet.parse(frame, linkType: linkType, wireLength: Int(batch.wireLengths[index]),
                                             timestamp: batch.timestamps[index])
                            }
                            let changesBefore = runtime.nextChange
                            out[index] = try forward(isParsed ? batch.parsed[index] : packet, frame: frame, timestamp: batch.timestamps[index])
                            if runtime.nextChange != changesBefore { appliedChanges.append((index, runtime.compiled)) }
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
        var packet = ParsedPacket()
        packet.parse(frame, linkType: linkType, wireLength: wireLength, timestamp: timestamp)
        headers = packet.headers
        return try forward(packet, frame: frame, timestamp: timestamp)
    }

    /// One parsed frame captured at `timestamp`: advances the control plane to it first.
    private mutating func forward(_ packet: ParsedPacket, frame: UnsafeRawBufferPointer, timestamp: Int64) throws(OptionError) -> Verdict {
        let isFirst = counters.packets == 0
        tracker.reserve(2)
        let start = origin ?? timestamp &- options.start
        if origin == nil { origin = timestamp &- options.start }
        let now = timestamp &- start
        let changed = !runtime.advance(to: EmulatedTime(nanoseconds: now)).isEmpty
        if changed {
            tables = ForwardingTables(runtime.compiled, vpcTable: vpcTable, hosts: hosts, owners: owners, bindings: bindings)
            flowCache.invalidate()
        }
        if changed || isFirst { try refreshBuckets(now: now) }
        let tables = self.tables
        var verdict = Verdict.unwritten
        tables.withView { view in
            withHotStorage { pipeline, hot in pipeline.forward(packet, frame: frame, now: now, view, hot, into: &verdict) }
        }
        return verdict
    }

    /// One parsed frame at emulated time `now`, with the control plane already advanced to it.
    private mutating func forward(_ packet: ParsedPacket, frame: UnsafeRawBufferPointer, now: Int64,
                                  _ view: ForwardingTables.View, _ hot: HotStorage, into verdict: inout Verdict) {
        verdict = Verdict(outcome: .dropped(.unknownSource), departure: now, ipLength: 0, trail: HopTrail())
        switch packet.outcome {
        case .malformed(let reason): verdict.outcome = .dropped(.malformed(reason))
        case .notIP(let type): verdict.outcome = .dropped(.notIP(type))
        case .ip:
            verdict.ipLength = packet.headers.ipTotalLength
            verdict.outcome = walk(packet.headers, flow: packet.flow, frame: frame, now: now, trail: &verdict.trail, view, hot)
        }
        count(verdict, hot)
    }

    private mutating func walk(_ headers: PacketHeaders, flow: ConnectionTracker.Lookup, frame: UnsafeRawBufferPointer, now: Int64,
                               trail: inout HopTrail, _ view: ForwardingTables.View, _ hot: HotStorage) -> Outcome {
        let source = headers.source, destination = headers.destination
        let tuple = flow.tuple
        let cached = flowCache.slot(for: tuple, hash: flow.directionalHash, in: hot.flowSlots)
        if !hot.flowSlots[cached].sourceOwnerKnown {
            hot.flowSlots[cached].sourceOwner = view.owner(of: source)
            hot.flowSlots[cached].sourceOwnerKnown = true
        }
        guard let sourceInstance = hot.flowSlots[cached].sourceOwner, sourceInstance != CompiledTopology.ambiguousOwner else {
            return .dropped(.unknownSource)
        }
        trail.sourceInstance = sourceInstance
        let flags = headers.tcpFlags.rawValue
        let clock = UInt64(max(0, now))

        let sourceEntry = view.instances[Int(sourceInstance)]
        guard sourceEntry.egressFilter != ForwardingTables.noFilter else {
            return .dropped(.securityGroupUnavailable(instance: sourceInstance))
        }
        let egress = tracker.filter(flow, tcpFlags: flags, zone: sourceInstance, now: clock,
                                    rules: ViewFilter(view: view, id: sourceEntry.egressFilter), hot.connections)
        if egress.policy != .accept {
            return .dropped(Self.securityGroupDrop(.egress, instance: sourceInstance, egress))
        }
        let sourceVSwitch = sourceEntry.vswitch
        let sourceSwitch = view.vswitches[Int(sourceVSwitch)]
        if sourceSwitch.egressACL != ForwardingTables.noFilter {
            let verdict = Self.aclVerdict(sourceSwitch.egressACL, tuple, remembered: &hot.flowSlots[cached].egressACL, view)
            if verdict.policy != .accept { return .dropped(.aclDenied(.egress, vswitch: sourceVSwitch, decider: verdict.decider)) }
        }

        // The source VPC's router.
        let sourceVPC = sourceSwitch.vpc
        if let expired = hop(headers, frame: frame, vpc: sourceVPC, vswitch: sourceVSwitch, trail: &trail) { return expired }
        let table = sourceSwitch.table
        trail.table = table
        if !hot.flowSlots[cached].routeKnown {
            hot.flowSlots[cached].route = view.route(table, to: destination)
            hot.flowSlots[cached].routeKnown = true
        }
        guard let slot = hot.flowSlots[cached].route else { return .dropped(.noRoute(table: table)) }
        trail.route = slot.route

        var destinationVPC = sourceVPC
        var arrival = now &+ intraRegionLatency
        var destinationInstance: UInt32?
        switch slot.target {
        case .blackhole: return .dropped(.blackholeRoute(table: table, route: slot.route))
        case .local: break
        case .instance(let instance): destinationInstance = instance
        case .peering(let peeringID):
            guard Int(peeringID) < view.peerings.count else { return .dropped(.peeringNotActive(peering: peeringID, state: nil)) }
            trail.peering = peeringID
            let peering = view.peerings[Int(peeringID)]
            guard peering.state == .activated else { return .dropped(.peeringNotActive(peering: peeringID, state: peering.state)) }
            let forward = sourceVPC == peering.requesterVPC
            // A route of one VPC names only its own peerings (validation); the view's buffers are
            // read unchecked, so a peering of other VPCs must not reach them.
            guard forward || sourceVPC == peering.accepterVPC else { return .dropped(.nonTransitive(peering: peeringID, vpc: sourceVPC)) }
            destinationVPC = forward ? peering.accepterVPC : peering.requesterVPC
            let direction = 2 &* Int(peeringID) &+ (forward ? 0 : 1)
            let directionName: PeeringDirectionKey.Direction = forward ? .requesterToAccepter : .accepterToRequester
            var departure = now
            if var bucket = hot.buckets[direction] {
                let offered = bucket.offer(bytes: Int(headers.ipTotalLength), at: now)
                hot.buckets[direction] = bucket
                switch offered {
                case .forwarded(let leaves): departure = leaves
                case .dropped(let cause):
                    hot.directions[direction].throttled &+= 1
                    return .dropped(cause == .queueFull ? .queueFull(peering: peeringID, directionName)
                                                        : .throttled(peering: peeringID, directionName, cause))
                }
            }
            trail.crossedDirection = UInt32(direction)
            trail.shapingDelay = departure &- now
            hot.directions[direction].packets &+= 1
            hot.directions[direction].bytes &+= UInt64(headers.ipTotalLength)
            hot.directions[direction].shapingDelayNanoseconds &+= UInt64(departure &- now)
            arrival = departure &+ (forward ? peering.latencyForward : peering.latencyReverse)
            // The accepter VPC's router: the destination must be local there (no transit). Its
            // time-exceeded answers come from the gateway of the destination's vSwitch.
            let farTable = view.vpcTable[Int(destinationVPC)]
            if !hot.flowSlots[cached].farRouteKnown {
                hot.flowSlots[cached].farRoute = view.route(farTable, to: destination)
                hot.flowSlots[cached].farRouteKnown = true
            }
            guard let far = hot.flowSlots[cached].farRoute, far.target == .local else {
                return .dropped(.nonTransitive(peering: peeringID, vpc: destinationVPC))
            }
            destinationInstance = destinationOwner(in: destinationVPC, destination, cached: cached, view, hot)
            let farVSwitch = destinationInstance.map { view.instances[Int($0)].vswitch }
            if let expired = hop(headers, frame: frame, vpc: destinationVPC, vswitch: farVSwitch, trail: &trail) { return expired }
        }
        guard let target = destinationInstance ?? destinationOwner(in: destinationVPC, destination, cached: cached, view, hot) else {
            return .dropped(.noInstance(vpc: destinationVPC))
        }
        trail.destinationInstance = target
        let targetEntry = view.instances[Int(target)]
        let targetVSwitch = targetEntry.vswitch
        let targetSwitch = view.vswitches[Int(targetVSwitch)]
        if targetSwitch.ingressACL != ForwardingTables.noFilter {
            let verdict = Self.aclVerdict(targetSwitch.ingressACL, tuple, remembered: &hot.flowSlots[cached].ingressACL, view)
            if verdict.policy != .accept { return .dropped(.aclDenied(.ingress, vswitch: targetVSwitch, decider: verdict.decider)) }
        }
        guard targetEntry.ingressFilter != ForwardingTables.noFilter else {
            return .dropped(.securityGroupUnavailable(instance: target))
        }
        let ingress = tracker.filter(flow, tcpFlags: flags, zone: target, now: clock,
                                     rules: ViewFilter(view: view, id: targetEntry.ingressFilter), hot.connections)
        if ingress.policy != .accept { return .dropped(Self.securityGroupDrop(.ingress, instance: target, ingress)) }
        return .delivered(instance: target, arrival: arrival)
    }

    /// Why the stateful filter of `instance` dropped a packet: its rules, or a full connection table.
    @inline(__always)
    private static func securityGroupDrop(_ direction: TrafficDirection, instance: UInt32, _ verdict: FilterVerdict) -> DropReason {
        verdict.decider == ConnectionTracker.refusedDecider
            ? .connectionTableFull(direction, instance: instance)
            : .securityGroupDenied(direction, instance: instance, decider: verdict.decider)
    }

    /// The instance of `vpc` that owns `destination`, looked up once per flow (`cached` is the flow's
    /// slot: within one generation of the tables a flow's destination VPC is always the same).
    @inline(__always)
    private mutating func destinationOwner(in vpc: UInt32, _ destination: IPAddress, cached: Int,
                                           _ view: ForwardingTables.View, _ hot: HotStorage) -> UInt32? {
        if !hot.flowSlots[cached].destinationOwnerKnown {
            hot.flowSlots[cached].destinationOwner = view.instance(in: vpc, owning: destination)
            hot.flowSlots[cached].destinationOwnerKnown = true
        }
        return hot.flowSlots[cached].destinationOwner
    }

    /// Network ACL `acl`'s verdict for `tuple`, evaluated once per flow: `remembered` is the flow
    /// cache's field for that ACL, written only when it was unknown (the slot is read through a
    /// pointer, so an established flow's packet only reads it).
    @inline(__always)
    private static func aclVerdict(_ acl: UInt32, _ tuple: FiveTuple, remembered: inout FilterVerdict?,
                                   _ view: ForwardingTables.View) -> FilterVerdict {
        if let known = remembered { return known }
        let verdict = view.evaluate(acl, tuple)
        remembered = verdict
        return verdict
    }

    /// A security group of the view, as the connection tracker consults it. Holds only the view's
    /// filters: a copy of the whole view per `filter` call cost a `memcpy` (~60 instructions).
    private struct ViewFilter: StatelessFilter {
        let filters: FlatFilters.View
        let id: UInt32

        init(view: ForwardingTables.View, id: UInt32) {
            filters = view.filters
            self.id = id
        }

        @inline(__always) func evaluate(_ tuple: FiveTuple) -> FilterVerdict { filters.evaluate(id, tuple) }
    }

    /// One VPC router hop: the TTL the packet arrived with, less the hops already taken, must
    /// stay above zero (RFC 1812 5.3.1); otherwise a time-exceeded answer is built from the
    /// router (gateway) address of `vswitch` (the packet's frame itself is never modified here).
    @inline(__always)
    private mutating func hop(_ headers: PacketHeaders, frame: UnsafeRawBufferPointer, vpc: UInt32, vswitch: UInt32?,
                              trail: inout HopTrail) -> Outcome? {
        guard headers.ttl <= trail.routerHops &+ 1 else {
            trail.routerHops &+= 1
            return nil
        }
        return expire(headers, frame: frame, vpc: vpc, vswitch: vswitch)
    }

    /// The rare end of `hop` (kept out of line so the common case inlines): the packet expires at
    /// `vpc`'s router.
    @inline(never)
    private mutating func expire(_ headers: PacketHeaders, frame: UnsafeRawBufferPointer, vpc: UInt32, vswitch: UInt32?) -> Outcome {
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
        return .dropped(.ttlExpired(vpc: vpc))
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
                                    destinationPort: headers.icmpIdentifier, ipProtocol: isIPv4 ? 1 : 58, family: headers.family)
            : FiveTuple.packScalars(sourcePort: headers.sourcePort, destinationPort: headers.destinationPort,
                                    ipProtocol: headers.ipProtocol, family: headers.family)
        // An IPv4 address is its low 32 bits (as `IPAddress.bits` gives it).
        return FiveTuple(sourceHigh: isIPv4 ? 0 : headers.sourceHigh,
                         sourceLow: isIPv4 ? headers.sourceLow & 0xFFFF_FFFF : headers.sourceLow,
                         destinationHigh: isIPv4 ? 0 : headers.destinationHigh,
                         destinationLow: isIPv4 ? headers.destinationLow & 0xFFFF_FFFF : headers.destinationLow,
                         scalars: scalars)
    }

    // MARK: token buckets

    /// One bucket per direction of each Activated inter-region peering with a bandwidth;
    /// rebuilt (full) when the bandwidth changes, kept otherwise.
    private mutating func refreshBuckets(now: Int64) throws(OptionError) {
        for (id, peering) in runtime.compiled.peerings.enumerated() {
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
