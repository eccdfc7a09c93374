/// Connection tracking for stateful security groups, in emulated time.
///
/// A flow accepted by the rules of one direction is recorded; later packets of that flow in
/// either direction — above all the return traffic — are accepted whatever the rules say
/// (TCP and UDP by 5-tuple, ICMP echo by identifier). ICMP and ICMPv6 errors whose quoted
/// header belongs to a tracked flow are accepted as related. Entries are scoped by a `zone`
/// (the instance a security group guards), so one instance's egress state never opens another
/// instance's ingress.
///
/// The table is an open-addressing hash table (linear probing, backward-shift deletion) at most
/// half full, so a probe takes O(1) expected steps. It starts at 65,536 slots and doubles as connections
/// are added (`reserve`, called between runs of packets: the per-packet path never allocates), up
/// to the size `capacity` needs, so memory follows the connections actually tracked. Idle entries
/// expire by per-state timeouts (`Timeouts.linux`, Linux nf_conntrack defaults); a sweep frees
/// their slots at most once per emulated second (`sweepIfDue`).
///
/// When `capacity` connections are tracked, a new one is refused — never an old one evicted — as
/// the clouds document: on ECS, once an instance's connections are exhausted "new connections
/// cannot be established … and packets may be lost" (Alibaba Cloud, "Connection timeout
/// management"); on EC2 such packets are dropped and counted by `conntrack_allowance_exceeded`.
/// The refused connection is remembered (up to `capacity` of them, expiring like tracked ones), so
/// its later packets — the reply above all — get the same verdict (`refusedVerdict`) instead of
/// looking like traffic the rules deny; when a slot frees up, its next accepted packet tracks it.
///
/// Every zone's entry of a flow hashes to the same home slot (the zone is compared, not hashed):
/// the pipeline looks a packet up twice, egress in its source's zone and ingress in its
/// destination's, and with a `Lookup` computed once the second probe walks slots the first one
/// has just brought into the cache.
public struct ConnectionTracker: Sendable {
    /// Idle timeouts in nanoseconds.
    public struct Timeouts: Sendable, Hashable {
        public var tcpSynSent: UInt64
        public var tcpSynReceived: UInt64
        public var tcpEstablished: UInt64
        public var tcpFinWait: UInt64
        public var tcpTimeWait: UInt64
        public var tcpClose: UInt64
        public var udp: UInt64
        /// UDP once traffic has been seen in both directions (Linux `udp_timeout_stream`).
        public var udpStream: UInt64
        public var icmp: UInt64

        /// Linux nf_conntrack defaults (Documentation/networking/nf_conntrack-sysctl.rst):
        /// tcp_timeout_syn_sent 120 s, syn_recv 60 s, established 432000 s (5 days),
        /// fin_wait 120 s, time_wait 120 s, close 10 s; udp_timeout 30 s, udp_timeout_stream
        /// 120 s; icmp_timeout 30 s.
        public static let linux = Timeouts(
            tcpSynSent: 120 * second, tcpSynReceived: 60 * second, tcpEstablished: 432_000 * second,
            tcpFinWait: 120 * second, tcpTimeWait: 120 * second, tcpClose: 10 * second,
            udp: 30 * second, udpStream: 120 * second, icmp: 30 * second)

        static let second: UInt64 = 1_000_000_000
    }

    /// The lifecycle of a tracked flow, a simplification of Linux's TCP state machine.
    public enum State: UInt8, Sendable {
        case tcpSynSent, tcpSynReceived, tcpEstablished, tcpFinWait, tcpTimeWait, tcpClose
        /// UDP or ICMP echo seen from the originator only.
        case unreplied
        /// UDP or ICMP echo seen in both directions.
        case replied
    }

    public struct Statistics: Sendable, Hashable {
        public var inserted: UInt64 = 0
        /// New connections refused because `capacity` connections were tracked.
        public var refused: UInt64 = 0
        /// Refused connections not remembered (`capacity` refused ones already were): their later
        /// packets get the rules' verdict.
        public var refusedUnremembered: UInt64 = 0
        /// Entries removed because they were idle past their timeout.
        public var expired: UInt64 = 0
        /// Most connections tracked at once.
        public var peak: Int = 0
    }

    /// 56 bytes (`MemoryLayout<Entry>.stride`); docs/filtering.md states the table's memory from it.
    @usableFromInline struct Entry: Sendable {
        var key: FiveTuple
        var zone: UInt32
        var occupied: Bool
        /// A connection refused for want of room, remembered so its packets keep that verdict.
        var refused: Bool
        /// Whether the flow's first packet went in the direction of `key` (else of `key.reversed`).
        var originalIsKey: Bool
        var state: State
        var lastSeen: UInt64

        static let empty = Entry(key: FiveTuple(ipv4Source: 0, destination: 0, sourcePort: 0, destinationPort: 0, ipProtocol: 0),
                                 zone: 0, occupied: false, refused: false, originalIsKey: true, state: .unreplied, lastSeen: 0)
    }

    /// Most connections tracked at once (each zone's entry of a flow counts).
    public let capacity: Int
    public let timeouts: Timeouts
    /// Connections tracked.
    public private(set) var count = 0
    /// Refused connections remembered.
    public private(set) var refusedCount = 0
    public private(set) var statistics = Statistics()
    /// The open-addressing table. The table's code reads and writes it through a pointer parameter
    /// named `slots` (a write through the array costs a uniqueness check): the public methods take
    /// the pointer per call (`withSlots`), `ForwardingPipeline` once per run of packets
    /// (`HotStorage.connections`), moving the array out of `self` meanwhile.
    var storage: ContiguousArray<Entry>
    private var slotMask: Int
    /// The most slots `storage` grows to: room for `capacity` tracked and as many refused
    /// connections at half load.
    private let maximumSlots: Int
    /// Emulated time of the last full sweep (`sweepIfDue`).
    private var lastSweep: UInt64 = 0
    static let sweepInterval: UInt64 = 1_000_000_000
    /// The largest bound `init` accepts (2^28 connections: 2^30 slots, 56 GiB).
    public static let maximumCapacity = 1 << 28
    /// Tracked connections when the topology sets no `connection_table`: at most 4,194,304 slots
    /// of 56 bytes (224 MiB) tracked, twice that with as many refused ones remembered.
    public static let defaultCapacity = 1 << 21
    /// 3.5 MiB: a replay of up to 32,768 connections never grows the table (growing costs each
    /// new flow a few hundred ns, amortised; docs/filtering.md), and pays no more than this.
    private static let initialSlots = 1 << 16

    public init(capacity: Int, timeouts: Timeouts = .linux) {
        precondition((1...Self.maximumCapacity).contains(capacity), "the connection table holds 1 to 2^28 connections")
        self.capacity = capacity
        self.timeouts = timeouts
        var size = 2
        while size < capacity * 4 { size <<= 1 }
        maximumSlots = size
        storage = ContiguousArray(repeating: .empty, count: min(size, Self.initialSlots))
        slotMask = storage.count - 1
    }

    /// Grows the table, if need be, so that `additional` more entries keep it at most half full;
    /// the pipeline calls it before each run of packets with two entries per packet (one per
    /// zone), the public methods before each call. Doubling rehashes every entry: amortised O(1)
    /// per entry, and never more slots than `maximumSlots`.
    public mutating func reserve(_ additional: Int) {
        let needed = min(count + refusedCount + additional, 2 * capacity)
        guard needed * 2 > storage.count, storage.count < maximumSlots else { return }
        var size = storage.count
        while needed * 2 > size, size < maximumSlots { size <<= 1 }
        let old = storage
        storage = ContiguousArray(repeating: .empty, count: size)
        slotMask = size - 1
        storage.withUnsafeMutableBufferPointer { slots in
            for entry in old where entry.occupied {
                var slot = entry.key.tableHash & slotMask
                while slots[slot].occupied { slot = (slot + 1) & slotMask }
                slots[slot] = entry
            }
        }
    }

    /// The slots allocated now (`MemoryLayout<Entry>.stride` bytes each).
    var slotCount: Int { storage.count }

    /// Runs `body` with `storage` moved out of `self` (so it is unique and `self` stays free to
    /// mutate) and put back after; `body` must not read `storage`. Reserves room for one entry first.
    private mutating func withSlots<R>(_ body: (inout Self, UnsafeMutablePointer<Entry>) -> R) -> R {
        withStorage(reserving: 1, body)
    }

    /// `withSlots` for a caller that adds up to `additional` entries through the pointer (the
    /// reachability analyzer's walks).
    mutating func withStorage<R>(reserving additional: Int, _ body: (inout Self, UnsafeMutablePointer<Entry>) -> R) -> R {
        reserve(additional)
        var slots = storage
        storage = []
        defer { storage = slots }
        return slots.withUnsafeMutableBufferPointer { body(&self, $0.baseAddress!) }
    }

    /// The first slot probed for a flow whose `Lookup.hash` is `hash`, for a caller to prefetch.
    @inline(__always)
    func homeSlot(hash: Int) -> Int { hash & slotMask }

    /// A packet's flow as the table finds it, independent of the zone: the tuple, the key it is
    /// stored under, its direction and its home slot's hash. Compute it once per packet and pass
    /// it to `filter` for each zone.
    public struct Lookup: Sendable {
        public let tuple: FiveTuple
        /// nil for traffic that is not tracked (ICMP other than echo, protocols other than TCP/UDP).
        let key: FiveTuple?
        let isForward: Bool
        let hash: Int

        public init(_ tuple: FiveTuple) {
            self.tuple = tuple
            let tracked: (FiveTuple, Bool)?
            if tuple.ipProtocol == IPProtocolNumber.tcp || tuple.ipProtocol == IPProtocolNumber.udp {
                // TCP and UDP, nearly every packet: straight to the ordering, without the ICMP cases.
                tracked = ConnectionTracker.orderedKey(tuple)
            } else {
                tracked = ConnectionTracker.trackingKey(tuple)
            }
            if let (key, isForward) = tracked {
                self.key = key
                self.isForward = isForward
                hash = key.tableHash
            } else {
                key = nil
                isForward = true
                hash = 0
            }
        }

        /// A hash of the tuple in its own direction, for per-direction tables (`FlowDecisionCache`):
        /// the key's hash, changed for the reverse direction, so a tracked packet is hashed once.
        var directionalHash: Int {
            guard key != nil else { return tuple.tableHash }
            return isForward ? hash : hash ^ 0x5BD1_E995
        }
    }

    // MARK: The stateful filter

    /// The stateful verdict for a packet leaving (`egress`) or reaching (`ingress`) the instance
    /// `zone`: a packet of a tracked flow, or an ICMP error quoting one (`quoted`, the inner
    /// header the caller decoded), is accepted by `.trackedConnection` — the filter's decider
    /// index `trackedDecider`; anything else goes to `rules`, and a flow they accept is tracked.
    public mutating func filter(_ tuple: FiveTuple, tcpFlags: TCPFlags = [], quoted: FiveTuple? = nil, zone: UInt32,
                                now: UInt64, rules: some StatelessFilter) -> FilterVerdict {
        filter(Lookup(tuple), tcpFlags: tcpFlags, quoted: quoted, zone: zone, now: now, rules: rules)
    }

    /// `filter` for a flow already looked up (`Lookup`), so a packet checked in two zones derives
    /// its key and hash once.
    public mutating func filter(_ lookup: Lookup, tcpFlags: TCPFlags = [], quoted: FiveTuple? = nil, zone: UInt32,
                                now: UInt64, rules: some StatelessFilter) -> FilterVerdict {
        withSlots { $0.filter(lookup, tcpFlags: tcpFlags, quoted: quoted, zone: zone, now: now, rules: rules, $1) }
    }

    /// `filter` on `slots`, the storage of `storage` (moved out of `self` by the caller, who has
    /// reserved room for one entry).
    @inline(__always)
    mutating func filter(_ lookup: Lookup, tcpFlags: TCPFlags = [], quoted: FiveTuple? = nil, zone: UInt32,
                         now: UInt64, rules: some StatelessFilter, _ slots: UnsafeMutablePointer<Entry>) -> FilterVerdict {
        var ofRefused = false
        if let quoted, Self.isICMPError(lookup.tuple) {
            if state(of: quoted, zone: zone, now: now, slots) != nil { return Self.trackedVerdict }
        } else if let seen = refresh(lookup, tcpFlags: tcpFlags, zone: zone, now: now, slots) {
            if !seen { return Self.trackedVerdict }
            ofRefused = true
        }
        let verdict = rules.evaluate(lookup.tuple)
        if verdict.policy == .accept {
            return admit(lookup, tcpFlags: tcpFlags, zone: zone, now: now, slots) ? verdict : Self.refusedVerdict
        }
        // A packet of a refused connection the rules would not let through alone (its reply):
        // refused with it, not denied.
        return ofRefused ? Self.refusedVerdict : verdict
    }

    /// The verdict `filter` gives tracked traffic; its decider is `trackedDecider`.
    public static let trackedVerdict = FilterVerdict(policy: .accept, decider: trackedDecider)
    public static let trackedDecider = UInt32.max
    /// The verdict `filter` gives the packets of a connection it refused (the table was full).
    public static let refusedVerdict = FilterVerdict(policy: .drop, decider: refusedDecider)
    public static let refusedDecider = UInt32.max - 1

    /// What decided a verdict of `filter`: the tracker or the rules.
    public static func decider(of verdict: FilterVerdict, rules: SecurityGroupFilter) -> FilterDecider {
        switch verdict.decider {
        case trackedDecider: .trackedConnection
        case refusedDecider: .connectionTableFull
        default: rules.decider(of: verdict)
        }
    }

    // MARK: The table

    /// Whether `tuple` belongs to a live tracked flow of `zone` (either direction); no update.
    public func contains(_ tuple: FiveTuple, zone: UInt32, now: UInt64) -> Bool {
        state(of: tuple, zone: zone, now: now) != nil
    }

    /// Advances the flow of `tuple` if it is tracked in `zone`; returns whether it was.
    public mutating func refresh(_ tuple: FiveTuple, tcpFlags: TCPFlags, zone: UInt32, now: UInt64) -> Bool {
        withSlots { $0.refresh(Lookup(tuple), tcpFlags: tcpFlags, zone: zone, now: now, $1) == false }
    }

    /// Advances the flow of `lookup` if `zone` has an entry for it and the packet is part of it:
    /// nil when not, else whether the entry is a refused connection's.
    private mutating func refresh(_ lookup: Lookup, tcpFlags: TCPFlags, zone: UInt32, now: UInt64,
                                  _ slots: UnsafeMutablePointer<Entry>) -> Bool? {
        guard let key = lookup.key, let slot = find(key, hash: lookup.hash, zone: zone, now: now, slots) else { return nil }
        let tuple = lookup.tuple
        let original = slots[slot].originalIsKey == lookup.isForward
        if tuple.ipProtocol == IPProtocolNumber.icmp || tuple.ipProtocol == IPProtocolNumber.icmpv6, Self.isICMPEchoRequest(tuple) != original {
            // An echo request in the reply direction (or a reply from the originator) is not part of this flow.
            return nil
        }
        slots[slot].state = Self.advance(slots[slot].state, tcpFlags: tcpFlags, original: original)
        slots[slot].lastSeen = now
        return slots[slot].refused
    }

    /// Starts tracking the flow `tuple` opens (its first packet, accepted by the rules); returns
    /// false when the table is full and the connection is refused. ICMP messages other than echo
    /// requests open nothing.
    @discardableResult
    public mutating func admit(_ tuple: FiveTuple, tcpFlags: TCPFlags, zone: UInt32, now: UInt64) -> Bool {
        withSlots { $0.admit(Lookup(tuple), tcpFlags: tcpFlags, zone: zone, now: now, $1) }
    }

    private mutating func admit(_ lookup: Lookup, tcpFlags: TCPFlags, zone: UInt32, now: UInt64,
                                _ slots: UnsafeMutablePointer<Entry>) -> Bool {
        guard let key = lookup.key else { return true }
        let tuple = lookup.tuple
        if (tuple.ipProtocol == IPProtocolNumber.icmp || tuple.ipProtocol == IPProtocolNumber.icmpv6), !Self.isICMPEchoRequest(tuple) { return true }
        if count >= capacity { sweepIfDue(now: now, slots) }
        if let slot = find(key, hash: lookup.hash, zone: zone, now: now, slots) {
            slots[slot].lastSeen = now
            guard slots[slot].refused else { return true }
            guard count < capacity else { return false }
            // Room again: the refused connection is tracked from this packet on.
            slots[slot].refused = false
            refusedCount -= 1
            count += 1
            statistics.inserted &+= 1
            statistics.peak = max(statistics.peak, count)
            return true
        }
        let refused = count >= capacity
        if refused {
            statistics.refused &+= 1
            guard refusedCount < capacity else {
                statistics.refusedUnremembered &+= 1
                return false
            }
        }
        // `reserve` keeps the table at most half full; a caller that did not call it gets the
        // table's most entries treated as full rather than a table with no empty slot.
        guard (count + refusedCount + 1) * 2 <= slotMask + 1 else {
            assertionFailure("ConnectionTracker.reserve was not called before this run of packets")
            return false
        }
        var slot = lookup.hash & slotMask
        while slots[slot].occupied { slot = (slot + 1) & slotMask }
        let state: State = switch tuple.ipProtocol {
        case IPProtocolNumber.tcp: tcpFlags.contains(.rst) ? .tcpClose
            : tcpFlags.intersection([.syn, .ack]) == .syn ? .tcpSynSent
            : tcpFlags.contains(.fin) ? .tcpFinWait
            : .tcpEstablished  // picked up mid-stream, as Linux's nf_conntrack_tcp_loose allows
        default: .unreplied
        }
        slots[slot] = Entry(key: key, zone: zone, occupied: true, refused: refused, originalIsKey: lookup.isForward,
                            state: state, lastSeen: now)
        if refused {
            refusedCount += 1
            return false
        }
        count += 1
        statistics.inserted &+= 1
        statistics.peak = max(statistics.peak, count)
        return true
    }

    /// Removes every idle-expired entry (a full sweep; lookups also expire lazily).
    public mutating func removeExpired(now: UInt64) {
        withSlots { $0.removeExpired(now: now, $1) }
    }

    /// `removeExpired` unless the last sweep was less than `sweepInterval` ago: the pipeline calls
    /// it after each batch, and a new connection finding the table full calls it first, so an idle
    /// connection holds its place at most one emulated second past its timeout. A sweep scans
    /// every slot, so at most one per emulated second keeps it off the per-packet cost.
    public mutating func sweepIfDue(now: UInt64) {
        withSlots { $0.sweepIfDue(now: now, $1) }
    }

    private mutating func sweepIfDue(now: UInt64, _ slots: UnsafeMutablePointer<Entry>) {
        guard now &- lastSweep >= Self.sweepInterval, now > lastSweep else { return }
        removeExpired(now: now, slots)
    }

    private mutating func removeExpired(now: UInt64, _ slots: UnsafeMutablePointer<Entry>) {
        lastSweep = now
        var slot = 0
        while slot <= slotMask {
            if slots[slot].occupied, isExpired(slots[slot], now: now) {
                remove(at: slot, slots)
                statistics.expired &+= 1
                continue  // backward shift may have moved another entry here
            }
            slot += 1
        }
    }

    /// The idle timeout of a state for a protocol.
    public func timeout(_ state: State, ipProtocol: UInt8) -> UInt64 {
        switch state {
        case .tcpSynSent: timeouts.tcpSynSent
        case .tcpSynReceived: timeouts.tcpSynReceived
        case .tcpEstablished: timeouts.tcpEstablished
        case .tcpFinWait: timeouts.tcpFinWait
        case .tcpTimeWait: timeouts.tcpTimeWait
        case .tcpClose: timeouts.tcpClose
        case .unreplied: ipProtocol == IPProtocolNumber.udp ? timeouts.udp : timeouts.icmp
        case .replied: ipProtocol == IPProtocolNumber.udp ? timeouts.udpStream : timeouts.icmp
        }
    }

    /// The state of the tracked flow of `tuple` in `zone`, nil when untracked (or refused).
    public func state(of tuple: FiveTuple, zone: UInt32, now: UInt64) -> State? {
        storage.withUnsafeBufferPointer { state(of: tuple, zone: zone, now: now, $0.baseAddress!) }
    }

    private func state(of tuple: FiveTuple, zone: UInt32, now: UInt64, _ slots: UnsafePointer<Entry>) -> State? {
        guard let (key, _) = Self.trackingKey(tuple), let slot = probe(key, hash: key.tableHash, zone: zone, slots),
              !slots[slot].refused, !isExpired(slots[slot], now: now) else { return nil }
        return slots[slot].state
    }

    /// Whether `tuple` belongs to a connection of `zone` that was refused (and is remembered).
    func isRefused(_ tuple: FiveTuple, zone: UInt32, now: UInt64) -> Bool {
        storage.withUnsafeBufferPointer { slots in
            guard let (key, _) = Self.trackingKey(tuple), let slot = probe(key, hash: key.tableHash, zone: zone, slots.baseAddress!)
            else { return false }
            return slots[slot].refused && !isExpired(slots[slot], now: now)
        }
    }

    /// The longest probe sequence a lookup of a present entry walks (slots from its home slot to
    /// it, inclusive): the structural measure of the hash's spread the tests bound.
    var longestProbe: Int {
        var longest = 0
        for (slot, entry) in storage.enumerated() where entry.occupied {
            longest = max(longest, (slot - entry.key.tableHash & slotMask) & slotMask + 1)
        }
        return longest
    }

    // MARK: Internals

    private func isExpired(_ entry: Entry, now: UInt64) -> Bool {
        now > entry.lastSeen && now - entry.lastSeen > timeout(entry.state, ipProtocol: entry.key.ipProtocol)
    }

    /// The slot holding `key` in `zone`, expired or not.
    private func probe(_ key: FiveTuple, hash: Int, zone: UInt32, _ slots: UnsafePointer<Entry>) -> Int? {
        var slot = hash & slotMask
        while slots[slot].occupied {
            if slots[slot].zone == zone, slots[slot].key == key { return slot }
            slot = (slot + 1) & slotMask
        }
        return nil
    }

    /// The slot of the live entry for `key`; an expired one is removed on the way.
    private mutating func find(_ key: FiveTuple, hash: Int, zone: UInt32, now: UInt64, _ slots: UnsafeMutablePointer<Entry>) -> Int? {
        guard let slot = probe(key, hash: hash, zone: zone, slots) else { return nil }
        guard !isExpired(slots[slot], now: now) else {
            remove(at: slot, slots)
            statistics.expired &+= 1
            return nil
        }
        return slot
    }

    /// Backward-shift deletion: later entries of the probe run move up so lookups need no tombstones.
    private mutating func remove(at start: Int, _ slots: UnsafeMutablePointer<Entry>) {
        if slots[start].refused { refusedCount -= 1 } else { count -= 1 }
        var hole = start
        var next = (hole + 1) & slotMask
        while slots[next].occupied {
            let home = slots[next].key.tableHash & slotMask
            // Move the entry into the hole unless its home lies cyclically in (hole, next].
            let distanceToNext = (next - home) & slotMask
            let distanceToHole = (hole - home) & slotMask
            if distanceToHole < distanceToNext {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & slotMask
        }
        slots[hole] = .empty
    }

    /// The key a flow is stored under — the smaller of the tuple and its reverse, so both
    /// directions find one entry — and whether `tuple` is that key's direction. ICMP echo is
    /// keyed by addresses and identifier only; ICMP errors and protocols other than TCP, UDP
    /// and ICMP echo are not tracked (nil).
    static func trackingKey(_ tuple: FiveTuple) -> (FiveTuple, Bool)? {
        var tuple = tuple
        switch tuple.ipProtocol {
        case IPProtocolNumber.tcp, IPProtocolNumber.udp: break
        case IPProtocolNumber.icmp, IPProtocolNumber.icmpv6:
            let isRequest = isICMPEchoRequest(tuple)
            guard isRequest || isICMPEchoReply(tuple) else { return nil }
            let identifier = tuple.destinationPort
            tuple.scalars = FiveTuple.packScalars(sourcePort: identifier, destinationPort: identifier,
                                                  ipProtocol: tuple.ipProtocol, family: tuple.family)
            // An echo from an address to itself (an instance pinging its own address) has a key
            // that reads the same both ways; its type tells the direction: the request's is the original.
            if tuple == tuple.reversed { return (tuple, isRequest) }
        default: return nil
        }
        return orderedKey(tuple)
    }

    /// The smaller of `tuple` and its reverse, and whether that is `tuple`.
    @inline(__always) private static func orderedKey(_ tuple: FiveTuple) -> (FiveTuple, Bool) {
        let reversed = tuple.reversed
        return isOrdered(tuple, before: reversed) ? (tuple, true) : (reversed, false)
    }

    private static func isOrdered(_ a: FiveTuple, before b: FiveTuple) -> Bool {
        (a.sourceHigh, a.sourceLow, a.scalars) <= (b.sourceHigh, b.sourceLow, b.scalars)
    }

    private static func icmpType(_ tuple: FiveTuple) -> UInt8 { UInt8(truncatingIfNeeded: tuple.sourcePort >> 8) }

    static func isICMPEchoRequest(_ tuple: FiveTuple) -> Bool {
        (tuple.ipProtocol == IPProtocolNumber.icmp && icmpType(tuple) == 8) || (tuple.ipProtocol == IPProtocolNumber.icmpv6 && icmpType(tuple) == 128)
    }

    static func isICMPEchoReply(_ tuple: FiveTuple) -> Bool {
        (tuple.ipProtocol == IPProtocolNumber.icmp && icmpType(tuple) == 0) || (tuple.ipProtocol == IPProtocolNumber.icmpv6 && icmpType(tuple) == 129)
    }

    /// ICMP destination unreachable, source quench, redirect, time exceeded, parameter problem
    /// (RFC 792); ICMPv6 types 1–4 (RFC 4443). They quote the header of the packet that caused them.
    static func isICMPError(_ tuple: FiveTuple) -> Bool {
        let type = icmpType(tuple)
        return switch tuple.ipProtocol {
        case IPProtocolNumber.icmp: type == 3 || type == 4 || type == 5 || type == 11 || type == 12
        case IPProtocolNumber.icmpv6: (1...4).contains(type)
        default: false
        }
    }

    /// The next state after a packet with `tcpFlags` in the original (or reply) direction.
    static func advance(_ state: State, tcpFlags: TCPFlags, original: Bool) -> State {
        if tcpFlags.contains(.rst), state.isTCP { return .tcpClose }
        switch state {
        case .unreplied: return original ? .unreplied : .replied
        case .replied: return .replied
        case .tcpSynSent:
            return !original && tcpFlags.isSuperset(of: [.syn, .ack]) ? .tcpSynReceived : .tcpSynSent
        case .tcpSynReceived:
            return original && tcpFlags.contains(.ack) ? .tcpEstablished : .tcpSynReceived
        case .tcpEstablished:
            return tcpFlags.contains(.fin) ? .tcpFinWait : .tcpEstablished
        case .tcpFinWait:
            // The second FIN (or the ACK closing the exchange) moves to TIME_WAIT.
            return !tcpFlags.isDisjoint(with: [.fin, .ack]) ? .tcpTimeWait : .tcpFinWait
        case .tcpTimeWait, .tcpClose:
            return tcpFlags.intersection([.syn, .ack]) == .syn ? .tcpSynSent : state
        }
    }

}

extension ConnectionTracker.State {
    var isTCP: Bool { self != .unreplied && self != .replied }
}
