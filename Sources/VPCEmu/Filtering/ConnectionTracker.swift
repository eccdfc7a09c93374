/// Connection tracking for stateful security groups, in emulated time.
///
/// A flow accepted by the rules of one direction is recorded; later packets of that flow in
/// either direction — above all the return traffic — are accepted whatever the rules say
/// (TCP and UDP by 5-tuple, ICMP echo by identifier). ICMP and ICMPv6 errors whose quoted
/// header belongs to a tracked flow are accepted as related. Entries are scoped by a `zone`
/// (the instance a security group guards), so one instance's egress state never opens another
/// instance's ingress.
///
/// The table is a preallocated open-addressing hash table (linear probing, backward-shift
/// deletion): no allocation per packet. Idle entries expire by per-state timeouts
/// (`Timeouts.linux`, Linux nf_conntrack defaults); when the table holds `capacity` entries,
/// inserting evicts the stalest entry near the new one's slot, and counts it.
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
        /// Live entries dropped to make room (the table was full).
        public var evicted: UInt64 = 0
        /// Entries removed because they were idle past their timeout.
        public var expired: UInt64 = 0
    }

    /// TCP flag bits as they appear in the header.
    public enum TCPFlag {
        public static let fin: UInt8 = 0x01
        public static let syn: UInt8 = 0x02
        public static let rst: UInt8 = 0x04
        public static let ack: UInt8 = 0x10
    }

    @usableFromInline struct Entry: Sendable {
        var key: FiveTuple
        var zone: UInt32
        var occupied: Bool
        /// Whether the flow's first packet went in the direction of `key` (else of `key.reversed`).
        var originalIsKey: Bool
        var state: State
        var lastSeen: UInt64

        static let empty = Entry(key: FiveTuple(ipv4Source: 0, destination: 0, sourcePort: 0, destinationPort: 0, ipProtocol: 0),
                                 zone: 0, occupied: false, originalIsKey: true, state: .unreplied, lastSeen: 0)
    }

    /// Most entries held at once.
    public let capacity: Int
    public let timeouts: Timeouts
    public private(set) var count = 0
    public private(set) var statistics = Statistics()
    /// The open-addressing table. The table's code reads and writes it through a pointer parameter
    /// named `slots` (a write through the array costs a uniqueness check): the public methods take
    /// the pointer per call (`withSlots`), `ForwardingPipeline` once per run of packets
    /// (`HotStorage.connections`), moving the array out of `self` meanwhile.
    var storage: ContiguousArray<Entry>
    private let slotMask: Int
    /// How many slots around a full table's target slot are searched for the stalest entry.
    private static let evictionWindow = 16

    public init(capacity: Int, timeouts: Timeouts = .linux) {
        precondition(capacity >= 1, "the connection table needs room for at least one flow")
        self.capacity = capacity
        self.timeouts = timeouts
        // At most half full, so probe sequences stay short.
        var size = 2
        while size < capacity * 2 { size <<= 1 }
        storage = ContiguousArray(repeating: .empty, count: size)
        slotMask = size - 1
    }

    /// Runs `body` with `storage` moved out of `self` (so it is unique and `self` stays free to
    /// mutate) and put back after; `body` must not read `storage`.
    private mutating func withSlots<R>(_ body: (inout Self, UnsafeMutablePointer<Entry>) -> R) -> R {
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
            if tuple.ipProtocol == 6 || tuple.ipProtocol == 17 {
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
    public mutating func filter(_ tuple: FiveTuple, tcpFlags: UInt8 = 0, quoted: FiveTuple? = nil, zone: UInt32,
                                now: UInt64, rules: some StatelessFilter) -> FilterVerdict {
        filter(Lookup(tuple), tcpFlags: tcpFlags, quoted: quoted, zone: zone, now: now, rules: rules)
    }

    /// `filter` for a flow already looked up (`Lookup`), so a packet checked in two zones derives
    /// its key and hash once.
    public mutating func filter(_ lookup: Lookup, tcpFlags: UInt8 = 0, quoted: FiveTuple? = nil, zone: UInt32,
                                now: UInt64, rules: some StatelessFilter) -> FilterVerdict {
        withSlots { $0.filter(lookup, tcpFlags: tcpFlags, quoted: quoted, zone: zone, now: now, rules: rules, $1) }
    }

    /// `filter` on `slots`, the storage of `storage` (moved out of `self` by the caller).
    @inline(__always)
    mutating func filter(_ lookup: Lookup, tcpFlags: UInt8 = 0, quoted: FiveTuple? = nil, zone: UInt32,
                         now: UInt64, rules: some StatelessFilter, _ slots: UnsafeMutablePointer<Entry>) -> FilterVerdict {
        if let quoted, Self.isICMPError(lookup.tuple) {
            if state(of: quoted, zone: zone, now: now, slots) != nil { return Self.trackedVerdict }
        } else if refresh(lookup, tcpFlags: tcpFlags, zone: zone, now: now, slots) {
            return Self.trackedVerdict
        }
        let verdict = rules.evaluate(lookup.tuple)
        if verdict.policy == .accept { admit(lookup, tcpFlags: tcpFlags, zone: zone, now: now, slots) }
        return verdict
    }

    /// The verdict `filter` gives tracked traffic; its decider is `trackedDecider`.
    public static let trackedVerdict = FilterVerdict(policy: .accept, decider: trackedDecider)
    public static let trackedDecider = UInt32.max

    /// What decided a verdict of `filter`: the tracker or the rules.
    public static func decider(of verdict: FilterVerdict, rules: SecurityGroupFilter) -> FilterDecider {
        verdict.decider == trackedDecider ? .trackedConnection : rules.decider(of: verdict)
    }

    // MARK: The table

    /// Whether `tuple` belongs to a live tracked flow of `zone` (either direction); no update.
    public func contains(_ tuple: FiveTuple, zone: UInt32, now: UInt64) -> Bool {
        state(of: tuple, zone: zone, now: now) != nil
    }

    /// Advances the flow of `tuple` if it is tracked in `zone`; returns whether it was.
    public mutating func refresh(_ tuple: FiveTuple, tcpFlags: UInt8, zone: UInt32, now: UInt64) -> Bool {
        withSlots { $0.refresh(Lookup(tuple), tcpFlags: tcpFlags, zone: zone, now: now, $1) }
    }

    private mutating func refresh(_ lookup: Lookup, tcpFlags: UInt8, zone: UInt32, now: UInt64,
                                  _ slots: UnsafeMutablePointer<Entry>) -> Bool {
        guard let key = lookup.key, let slot = find(key, hash: lookup.hash, zone: zone, now: now, slots) else { return false }
        let tuple = lookup.tuple
        let original = slots[slot].originalIsKey == lookup.isForward
        if tuple.ipProtocol == 1 || tuple.ipProtocol == 58, Self.isICMPEchoRequest(tuple) != original {
            // An echo request in the reply direction (or a reply from the originator) is not part of this flow.
            return false
        }
        slots[slot].state = Self.advance(slots[slot].state, tcpFlags: tcpFlags, original: original)
        slots[slot].lastSeen = now
        return true
    }

    /// Starts tracking the flow `tuple` opens (its first packet, accepted by the rules). ICMP
    /// messages other than echo requests open nothing.
    public mutating func admit(_ tuple: FiveTuple, tcpFlags: UInt8, zone: UInt32, now: UInt64) {
        withSlots { $0.admit(Lookup(tuple), tcpFlags: tcpFlags, zone: zone, now: now, $1) }
    }

    private mutating func admit(_ lookup: Lookup, tcpFlags: UInt8, zone: UInt32, now: UInt64, _ slots: UnsafeMutablePointer<Entry>) {
        guard let key = lookup.key else { return }
        let tuple = lookup.tuple
        if (tuple.ipProtocol == 1 || tuple.ipProtocol == 58), !Self.isICMPEchoRequest(tuple) { return }
        if let slot = find(key, hash: lookup.hash, zone: zone, now: now, slots) {
            slots[slot].lastSeen = now
            return
        }
        if count >= capacity { evict(near: lookup.hash, now: now, slots) }
        var slot = lookup.hash & slotMask
        while slots[slot].occupied { slot = (slot + 1) & slotMask }
        let state: State = switch tuple.ipProtocol {
        case 6: tcpFlags & TCPFlag.rst != 0 ? .tcpClose
            : tcpFlags & (TCPFlag.syn | TCPFlag.ack) == TCPFlag.syn ? .tcpSynSent
            : tcpFlags & TCPFlag.fin != 0 ? .tcpFinWait
            : .tcpEstablished  // picked up mid-stream, as Linux's nf_conntrack_tcp_loose allows
        default: .unreplied
        }
        slots[slot] = Entry(key: key, zone: zone, occupied: true, originalIsKey: lookup.isForward, state: state, lastSeen: now)
        count += 1
        statistics.inserted &+= 1
    }

    /// Removes every idle-expired entry (a full sweep; lookups also expire lazily).
    public mutating func removeExpired(now: UInt64) {
        withSlots { tracker, slots in
            var slot = 0
            while slot <= tracker.slotMask {
                if slots[slot].occupied, tracker.isExpired(slots[slot], now: now) {
                    tracker.remove(at: slot, slots)
                    tracker.statistics.expired &+= 1
                    continue  // backward shift may have moved another entry here
                }
                slot += 1
            }
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
        case .unreplied: ipProtocol == 17 ? timeouts.udp : timeouts.icmp
        case .replied: ipProtocol == 17 ? timeouts.udpStream : timeouts.icmp
        }
    }

    /// The state of the tracked flow of `tuple` in `zone`, nil when untracked.
    public func state(of tuple: FiveTuple, zone: UInt32, now: UInt64) -> State? {
        storage.withUnsafeBufferPointer { state(of: tuple, zone: zone, now: now, $0.baseAddress!) }
    }

    private func state(of tuple: FiveTuple, zone: UInt32, now: UInt64, _ slots: UnsafePointer<Entry>) -> State? {
        guard let (key, _) = Self.trackingKey(tuple), let slot = probe(key, hash: key.tableHash, zone: zone, slots),
              !isExpired(slots[slot], now: now) else { return nil }
        return slots[slot].state
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

    /// Makes room: removes the expired or else least recently seen entry among the occupied
    /// slots from the new key's home slot onwards.
    private mutating func evict(near hash: Int, now: UInt64, _ slots: UnsafeMutablePointer<Entry>) {
        var slot = hash & slotMask
        var victim: Int?
        var examined = 0
        while examined < Self.evictionWindow || victim == nil {
            if slots[slot].occupied {
                if isExpired(slots[slot], now: now) {
                    remove(at: slot, slots)
                    statistics.expired &+= 1
                    return
                }
                if victim.map({ slots[slot].lastSeen < slots[$0].lastSeen }) ?? true { victim = slot }
                examined += 1
            }
            slot = (slot + 1) & slotMask
        }
        if let victim {
            remove(at: victim, slots)
            statistics.evicted &+= 1
        }
    }

    /// Backward-shift deletion: later entries of the probe run move up so lookups need no tombstones.
    private mutating func remove(at start: Int, _ slots: UnsafeMutablePointer<Entry>) {
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
        count -= 1
    }

    /// The key a flow is stored under — the smaller of the tuple and its reverse, so both
    /// directions find one entry — and whether `tuple` is that key's direction. ICMP echo is
    /// keyed by addresses and identifier only; ICMP errors and protocols other than TCP, UDP
    /// and ICMP echo are not tracked (nil).
    static func trackingKey(_ tuple: FiveTuple) -> (FiveTuple, Bool)? {
        var tuple = tuple
        switch tuple.ipProtocol {
        case 6, 17: break
        case 1, 58:
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
        (tuple.ipProtocol == 1 && icmpType(tuple) == 8) || (tuple.ipProtocol == 58 && icmpType(tuple) == 128)
    }

    static func isICMPEchoReply(_ tuple: FiveTuple) -> Bool {
        (tuple.ipProtocol == 1 && icmpType(tuple) == 0) || (tuple.ipProtocol == 58 && icmpType(tuple) == 129)
    }

    /// ICMP destination unreachable, source quench, redirect, time exceeded, parameter problem
    /// (RFC 792); ICMPv6 types 1–4 (RFC 4443). They quote the header of the packet that caused them.
    static func isICMPError(_ tuple: FiveTuple) -> Bool {
        let type = icmpType(tuple)
        return switch tuple.ipProtocol {
        case 1: type == 3 || type == 4 || type == 5 || type == 11 || type == 12
        case 58: (1...4).contains(type)
        default: false
        }
    }

    /// The next state after a packet with `tcpFlags` in the original (or reply) direction.
    static func advance(_ state: State, tcpFlags: UInt8, original: Bool) -> State {
        if tcpFlags & TCPFlag.rst != 0, state.isTCP { return .tcpClose }
        switch state {
        case .unreplied: return original ? .unreplied : .replied
        case .replied: return .replied
        case .tcpSynSent:
            return !original && tcpFlags & (TCPFlag.syn | TCPFlag.ack) == TCPFlag.syn | TCPFlag.ack ? .tcpSynReceived : .tcpSynSent
        case .tcpSynReceived:
            return original && tcpFlags & TCPFlag.ack != 0 ? .tcpEstablished : .tcpSynReceived
        case .tcpEstablished:
            return tcpFlags & TCPFlag.fin != 0 ? .tcpFinWait : .tcpEstablished
        case .tcpFinWait:
            // The second FIN (or the ACK closing the exchange) moves to TIME_WAIT.
            return tcpFlags & (TCPFlag.fin | TCPFlag.ack) != 0 ? .tcpTimeWait : .tcpFinWait
        case .tcpTimeWait, .tcpClose:
            return tcpFlags & (TCPFlag.syn | TCPFlag.ack) == TCPFlag.syn ? .tcpSynSent : state
        }
    }

}

extension ConnectionTracker.State {
    var isTCP: Bool { self != .unreplied && self != .replied }
}
