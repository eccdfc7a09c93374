@testable import VPCEmu

/// `ConnectionTracker`'s table policy written the obvious way, for TCP and UDP: one Dictionary
/// entry per (key, zone), no hashing or probing of its own. At most `capacity` connections are
/// tracked; a new one beyond that is refused and remembered (at most `capacity` of those), its
/// packets get the refused verdict; idle entries expire by the Linux timeouts, are dropped when a
/// lookup meets them, and all at once by a sweep (at most once per emulated second, and when a
/// new connection finds the table full).
struct ReferenceConnectionTracker {
    struct Key: Hashable {
        var tuple: FiveTuple
        var zone: UInt32
    }

    struct Entry {
        var refused: Bool
        var originalIsKey: Bool
        var state: ConnectionTracker.State
        var lastSeen: UInt64
    }

    let capacity: Int
    let timeouts = ConnectionTracker.Timeouts.linux
    private(set) var entries: [Key: Entry] = [:]
    private(set) var trackedCount = 0
    private(set) var refusedCount = 0
    private(set) var refused: UInt64 = 0
    private(set) var unremembered: UInt64 = 0
    private var lastSweep: UInt64 = 0

    init(capacity: Int) { self.capacity = capacity }

    mutating func filter(_ tuple: FiveTuple, tcpFlags: TCPFlags, zone: UInt32, now: UInt64, rules: some StatelessFilter) -> FilterVerdict {
        precondition(tuple.ipProtocol == 6 || tuple.ipProtocol == 17, "the model covers TCP and UDP")
        let (keyTuple, isForward) = ConnectionTracker.trackingKey(tuple)!
        let key = Key(tuple: keyTuple, zone: zone)
        var ofRefused = false
        if var entry = find(key, now: now) {
            entry.state = ConnectionTracker.advance(entry.state, tcpFlags: tcpFlags, original: entry.originalIsKey == isForward)
            entry.lastSeen = now
            entries[key] = entry
            if !entry.refused { return ConnectionTracker.trackedVerdict }
            ofRefused = true
        }
        let verdict = rules.evaluate(tuple)
        if verdict.policy == .accept {
            return admit(key, isForward: isForward, tcpFlags: tcpFlags, now: now) ? verdict : ConnectionTracker.refusedVerdict
        }
        return ofRefused ? ConnectionTracker.refusedVerdict : verdict
    }

    mutating func sweepIfDue(now: UInt64) {
        guard now > lastSweep, now - lastSweep >= 1_000_000_000 else { return }
        lastSweep = now
        for (key, entry) in entries where isExpired(entry, key, now: now) { remove(key) }
    }

    private mutating func admit(_ key: Key, isForward: Bool, tcpFlags: TCPFlags, now: UInt64) -> Bool {
        if trackedCount >= capacity { sweepIfDue(now: now) }
        if var entry = find(key, now: now) {
            entry.lastSeen = now
            defer { entries[key] = entry }
            if !entry.refused { return true }
            if trackedCount >= capacity { return false }
            entry.refused = false
            refusedCount -= 1
            trackedCount += 1
            return true
        }
        let state: ConnectionTracker.State = key.tuple.ipProtocol == 17 ? .unreplied
            : tcpFlags.rawValue & 0x04 != 0 ? .tcpClose
            : tcpFlags.rawValue & 0x12 == 0x02 ? .tcpSynSent
            : tcpFlags.rawValue & 0x01 != 0 ? .tcpFinWait
            : .tcpEstablished
        let isRefused = trackedCount >= capacity
        if isRefused {
            refused += 1
            guard refusedCount < capacity else {
                unremembered += 1
                return false
            }
            refusedCount += 1
        } else {
            trackedCount += 1
        }
        entries[key] = Entry(refused: isRefused, originalIsKey: isForward, state: state, lastSeen: now)
        return !isRefused
    }

    private mutating func find(_ key: Key, now: UInt64) -> Entry? {
        guard let entry = entries[key] else { return nil }
        guard !isExpired(entry, key, now: now) else {
            remove(key)
            return nil
        }
        return entry
    }

    private mutating func remove(_ key: Key) {
        guard let entry = entries.removeValue(forKey: key) else { return }
        if entry.refused { refusedCount -= 1 } else { trackedCount -= 1 }
    }

    private func isExpired(_ entry: Entry, _ key: Key, now: UInt64) -> Bool {
        let udp = key.tuple.ipProtocol == 17
        let timeout = switch entry.state {
        case .tcpSynSent: timeouts.tcpSynSent
        case .tcpSynReceived: timeouts.tcpSynReceived
        case .tcpEstablished: timeouts.tcpEstablished
        case .tcpFinWait: timeouts.tcpFinWait
        case .tcpTimeWait: timeouts.tcpTimeWait
        case .tcpClose: timeouts.tcpClose
        case .unreplied: udp ? timeouts.udp : timeouts.icmp
        case .replied: udp ? timeouts.udpStream : timeouts.icmp
        }
        return now > entry.lastSeen && now - entry.lastSeen > timeout
    }
}
