import Testing
@testable import VPCEmu

@Suite struct ConnectionTrackerTests {
    static let instance = IPAddress("192.168.1.10")!
    static let server = IPAddress("203.0.113.5")!
    static let second: UInt64 = 1_000_000_000
    typealias Flag = TCPFlags

    /// An instance whose groups allow all egress (by default) and have no ingress rule at all.
    static let groups = [SecurityGroup(name: "sg-closed", vpc: "vpc-a", rules: [])]
    static let ingress = try! SecurityGroupFilter(groups: groups, direction: .ingress, members: [:])
    static let egress = try! SecurityGroupFilter(groups: groups, direction: .egress, members: [:])

    static let outbound = FiveTuple(source: instance, destination: server, sourcePort: 43210, destinationPort: 443, ipProtocol: 6)

    @Test func replyToOutboundTCPIsAcceptedWithoutIngressRule() {
        var tracker = ConnectionTracker(capacity: 16)
        let syn = tracker.filter(Self.outbound, tcpFlags: Flag.syn, zone: 1, now: 0, rules: Self.egress)
        #expect(syn.policy == .accept)
        #expect(ConnectionTracker.decider(of: syn, rules: Self.egress) == .securityGroupDefault(.egress))
        #expect(tracker.state(of: Self.outbound, zone: 1, now: 0) == .tcpSynSent)

        let synAck = tracker.filter(Self.outbound.reversed, tcpFlags: [Flag.syn, Flag.ack], zone: 1, now: Self.second, rules: Self.ingress)
        #expect(synAck == ConnectionTracker.trackedVerdict)
        #expect(ConnectionTracker.decider(of: synAck, rules: Self.ingress) == .trackedConnection)
        #expect(tracker.state(of: Self.outbound, zone: 1, now: Self.second) == .tcpSynReceived)
        _ = tracker.filter(Self.outbound, tcpFlags: Flag.ack, zone: 1, now: 2 * Self.second, rules: Self.egress)
        #expect(tracker.state(of: Self.outbound, zone: 1, now: 2 * Self.second) == .tcpEstablished)
        let verdict1 = tracker.filter(Self.outbound.reversed, tcpFlags: Flag.ack, zone: 1, now: 3 * Self.second, rules: Self.ingress)
        #expect(verdict1.policy == .accept)
        #expect(tracker.count == 1)
    }

    @Test func unsolicitedInboundIsDenied() {
        var tracker = ConnectionTracker(capacity: 16)
        let verdict = tracker.filter(Self.outbound.reversed, tcpFlags: Flag.syn, zone: 1, now: 0, rules: Self.ingress)
        #expect(verdict.policy == .drop)
        #expect(ConnectionTracker.decider(of: verdict, rules: Self.ingress) == .securityGroupDefault(.ingress))
        #expect(tracker.count == 0)
        // Another instance's state does not open this one: zones are separate.
        _ = tracker.filter(Self.outbound, tcpFlags: Flag.syn, zone: 2, now: 0, rules: Self.egress)
        let verdict2 = tracker.filter(Self.outbound.reversed, tcpFlags: Flag.ack, zone: 1, now: 0, rules: Self.ingress)
        #expect(verdict2.policy == .drop)
    }

    @Test func idleFlowsExpireByProtocolTimeout() {
        var tracker = ConnectionTracker(capacity: 16)
        let timeouts = ConnectionTracker.Timeouts.linux
        let udp = FiveTuple(source: Self.instance, destination: Self.server, sourcePort: 5000, destinationPort: 53, ipProtocol: 17)
        _ = tracker.filter(udp, zone: 1, now: 0, rules: Self.egress)
        let verdict3 = tracker.filter(udp.reversed, zone: 1, now: timeouts.udp, rules: Self.ingress)
        #expect(verdict3.policy == .accept)
        // Replied UDP now lives by the stream timeout, measured from the last packet.
        let lastSeen = timeouts.udp
        #expect(tracker.state(of: udp, zone: 1, now: lastSeen) == .replied)
        let verdict4 = tracker.filter(udp.reversed, zone: 1, now: lastSeen + timeouts.udpStream + 1, rules: Self.ingress)
        #expect(verdict4.policy == .drop)
        #expect(tracker.statistics.expired == 1)
        #expect(tracker.count == 0)

        // A half-open TCP connection expires after the SYN-sent timeout.
        _ = tracker.filter(Self.outbound, tcpFlags: Flag.syn, zone: 1, now: 0, rules: Self.egress)
        #expect(tracker.filter(Self.outbound.reversed, tcpFlags: [Flag.syn, Flag.ack], zone: 1,
                               now: timeouts.tcpSynSent + 1, rules: Self.ingress).policy == .drop)
        // removeExpired sweeps without a lookup.
        _ = tracker.filter(Self.outbound, tcpFlags: Flag.ack, zone: 1, now: 0, rules: Self.egress)
        #expect(tracker.state(of: Self.outbound, zone: 1, now: 0) == .tcpEstablished)
        tracker.removeExpired(now: timeouts.tcpEstablished + 1)
        #expect(tracker.count == 0)
        #expect(tracker.statistics.expired == 3)
    }

    /// A full table refuses new connections and never evicts a tracked one: the first `capacity`
    /// flows keep their state, the next `capacity` are refused and remembered (their replies get
    /// the refused verdict, not the rules'), and the rest are refused and only counted.
    @Test func fullTableRefusesNewConnectionsAndRemembersThem() {
        var tracker = ConnectionTracker(capacity: 100)
        func tuple(_ index: Int) -> FiveTuple {
            FiveTuple(source: Self.instance, destination: Self.server, sourcePort: UInt16(10000 + index), destinationPort: 80, ipProtocol: 6)
        }
        for index in 0..<1000 {
            let verdict = tracker.filter(tuple(index), tcpFlags: Flag.syn, zone: 1, now: UInt64(index), rules: Self.egress)
            #expect(verdict == (index < 100 ? Self.egress.evaluate(tuple(index)) : ConnectionTracker.refusedVerdict), "SYN \(index)")
        }
        #expect(tracker.count == 100 && tracker.refusedCount == 100)
        #expect(tracker.statistics.inserted == 100 && tracker.statistics.peak == 100)
        #expect(tracker.statistics.refused == 900 && tracker.statistics.refusedUnremembered == 800)
        for index in 0..<1000 {
            let reply = tracker.filter(tuple(index).reversed, tcpFlags: [Flag.syn, Flag.ack], zone: 1, now: 1000, rules: Self.ingress)
            let expected = index < 100 ? ConnectionTracker.trackedVerdict
                : index < 200 ? ConnectionTracker.refusedVerdict : Self.ingress.evaluate(tuple(index).reversed)
            #expect(reply == expected, "SYN-ACK \(index)")
        }
        #expect(ConnectionTracker.decider(of: ConnectionTracker.refusedVerdict, rules: Self.ingress) == .connectionTableFull)
        #expect(tracker.isRefused(tuple(150), zone: 1, now: 1000) && !tracker.isRefused(tuple(50), zone: 1, now: 1000))
    }

    /// Once a tracked connection expires (and the at-most-once-a-second sweep frees its slot), a
    /// refused connection's next accepted packet is tracked, and its reply accepted by state.
    @Test func refusedConnectionIsTrackedWhenRoomFreesUp() {
        var tracker = ConnectionTracker(capacity: 1)
        let first = Self.outbound
        let second = FiveTuple(source: Self.instance, destination: Self.server, sourcePort: 43211, destinationPort: 443, ipProtocol: 6)
        #expect(tracker.filter(first, tcpFlags: Flag.syn, zone: 1, now: 0, rules: Self.egress).policy == .accept)
        #expect(tracker.filter(second, tcpFlags: Flag.syn, zone: 1, now: 1, rules: Self.egress) == ConnectionTracker.refusedVerdict)
        // Still within SYN_SENT's 120 s: refused again, and the first flow's reply still passes.
        #expect(tracker.filter(second, tcpFlags: Flag.syn, zone: 1, now: 60 * Self.second, rules: Self.egress) == ConnectionTracker.refusedVerdict)
        #expect(tracker.filter(first.reversed, tcpFlags: [Flag.syn, Flag.ack], zone: 1, now: 61 * Self.second, rules: Self.ingress)
                == ConnectionTracker.trackedVerdict)
        // At 150 s the first flow (SYN_RECEIVED: 60 s) has been idle too long, the refused one
        // (SYN_SENT: 120 s) not: the retransmitted SYN takes the freed place.
        let now = 150 * Self.second
        #expect(tracker.filter(second, tcpFlags: Flag.syn, zone: 1, now: now, rules: Self.egress).policy == .accept)
        #expect(tracker.count == 1 && tracker.refusedCount == 0 && tracker.statistics.expired == 1)
        #expect(tracker.filter(second.reversed, tcpFlags: [Flag.syn, Flag.ack], zone: 1, now: now + 1, rules: Self.ingress)
                == ConnectionTracker.trackedVerdict)
        #expect(tracker.statistics.refused == 1 && tracker.statistics.inserted == 2)
    }

    /// The table against `ReferenceConnectionTracker` (a Dictionary with the same bound and
    /// policy), verdict by verdict, on seeded random TCP and UDP traffic over a few zones, small
    /// bounds (so the table is full most of the time) and time steps that let flows expire.
    @Test(arguments: [1, 7, 64]) func agreesWithTheDictionaryModel(capacity: Int) {
        var random = SeededGenerator(seed: UInt64(capacity))
        var tracker = ConnectionTracker(capacity: capacity)
        var model = ReferenceConnectionTracker(capacity: capacity)
        let servers = (0..<4).map { IPAddress("203.0.113.\(10 + $0)")! }
        let flagChoices = [Flag.syn, [Flag.syn, Flag.ack], Flag.ack, [Flag.fin, Flag.ack], Flag.rst, []]
        var now: UInt64 = 0
        for step in 0..<20_000 {
            now += [0, 1, 1_000_000, Self.second / 2, 5 * Self.second, 70 * Self.second].randomElement(using: &random)!
                * UInt64(random.next() % 3)
            let outbound = FiveTuple(source: Self.instance, destination: servers.randomElement(using: &random)!,
                                     sourcePort: UInt16(40000 + random.next() % UInt64(4 * capacity + 8)),
                                     destinationPort: Bool.random(using: &random) ? 443 : 53,
                                     ipProtocol: Bool.random(using: &random) ? 6 : 17)
            let isReply = random.next() % 3 == 0
            let tuple = isReply ? outbound.reversed : outbound
            let rules = isReply ? Self.ingress : Self.egress
            let flags = tuple.ipProtocol == 6 ? flagChoices.randomElement(using: &random)! : []
            let zone = UInt32(random.next() % 3)
            let verdict = tracker.filter(tuple, tcpFlags: flags, zone: zone, now: now, rules: rules)
            let expected = model.filter(tuple, tcpFlags: flags, zone: zone, now: now, rules: rules)
            #expect(verdict == expected, "step \(step): \(tuple) flags \(flags) zone \(zone)")
            if verdict != expected { break }
            if random.next() % 500 == 0 {
                tracker.sweepIfDue(now: now)
                model.sweepIfDue(now: now)
            }
        }
        #expect(tracker.count == model.trackedCount && tracker.refusedCount == model.refusedCount)
        #expect(tracker.statistics.refused == model.refused && tracker.statistics.refusedUnremembered == model.unremembered)
        #expect(tracker.statistics.refused > 0)
    }

    /// The hash spreads every shape of traffic over the slots: sequential source ports from one
    /// client to one server port (what the old hash put in one slot), random ports, and one client
    /// to many servers, each in two zones as the pipeline stores them. Asserted structurally: the
    /// longest probe sequence stays short, and home slots are nearly as distinct as random ones.
    @Test(arguments: ["sequential ports", "random ports", "one client, many servers"])
    func hashSpreadsFlowsOverTheSlots(shape: String) {
        var random = SeededGenerator(seed: 23)
        let flows = 100_000
        var tracker = ConnectionTracker(capacity: 2 * flows)
        var hashes: [Int] = []
        for index in 0..<flows {
            let tuple = switch shape {
            case "sequential ports":
                FiveTuple(ipv4Source: 0x0A00_000A, destination: 0x0A01_0005, sourcePort: UInt16(truncatingIfNeeded: 1024 + index),
                          destinationPort: 80, ipProtocol: index < 64_000 ? 6 : 17)
            case "random ports":
                FiveTuple(ipv4Source: 0x0A00_000A, destination: 0x0A01_0005, sourcePort: UInt16.random(in: 1024...65535, using: &random),
                          destinationPort: UInt16.random(in: 1...65535, using: &random), ipProtocol: 6)
            default:
                FiveTuple(ipv4Source: 0x0A00_000A, destination: 0x0A01_0000 + UInt32(index), sourcePort: 40000,
                          destinationPort: 443, ipProtocol: 6)
            }
            for zone: UInt32 in [0, 1] { tracker.admit(tuple, tcpFlags: Flag.syn, zone: zone, now: 0) }
            hashes.append(ConnectionTracker.Lookup(tuple).hash)
        }
        let homes = Set(hashes.map { $0 & (tracker.slotCount - 1) })
        // Random duplicates aside, every admit is a new flow of its zone.
        #expect(tracker.count == Int(tracker.statistics.inserted) && tracker.count > 2 * flows * 99 / 100)
        // 100k flows (two entries each) in 2^19 slots: a uniform hash gives 1 − e^(−0.19) ≈ 91% distinct home slots.
        #expect(tracker.slotCount == 1 << 19)
        #expect(homes.count > flows * 88 / 100, "\(homes.count) distinct home slots")
        #expect(tracker.longestProbe <= 48, "longest probe \(tracker.longestProbe)")
    }

    /// The table grows with the connections tracked, never past its bound's size.
    @Test func tableGrowsWithTheConnectionsTracked() {
        // docs/filtering.md states the table's memory from this size.
        #expect(MemoryLayout<ConnectionTracker.Entry>.stride == 56)
        // A small bound needs fewer slots than the table starts with: 4 × 1,000, rounded up.
        #expect(ConnectionTracker(capacity: 1000).slotCount == 4096)
        var tracker = ConnectionTracker(capacity: 40_000)
        #expect(tracker.slotCount == 1 << 16)
        func tuple(_ index: Int) -> FiveTuple {
            FiveTuple(ipv4Source: 0x0A00_000A, destination: 0x0A01_0005, sourcePort: UInt16(index % 65536),
                      destinationPort: UInt16(80 + index / 65536), ipProtocol: 6)
        }
        var mismatches = 0
        for index in 0..<100_000 {
            tracker.admit(tuple(index), tcpFlags: Flag.syn, zone: 1, now: 0)
            if 2 * (tracker.count + tracker.refusedCount) > tracker.slotCount { mismatches += 1 }
        }
        #expect(mismatches == 0)
        #expect(tracker.count == 40_000 && tracker.refusedCount == 40_000)
        // 80,000 entries at most half full; the bound's size (4 × 40,000 → 2^18) is never passed.
        #expect(tracker.slotCount == 1 << 18)
        for index in stride(from: 0, to: 100_000, by: 7) {
            #expect(tracker.contains(tuple(index), zone: 1, now: 1) == (index < 40_000))
            #expect(tracker.isRefused(tuple(index), zone: 1, now: 1) == (index >= 40_000 && index < 80_000))
        }
    }

    @Test func icmpEchoReplyMatchesByIdentifier() {
        var tracker = ConnectionTracker(capacity: 16)
        let request = FiveTuple(icmpSource: Self.instance, destination: Self.server, type: 8, code: 0, identifier: 77)
        let verdict5 = tracker.filter(request, zone: 1, now: 0, rules: Self.egress)
        #expect(verdict5.policy == .accept)
        let reply = FiveTuple(icmpSource: Self.server, destination: Self.instance, type: 0, code: 0, identifier: 77)
        let verdict6 = tracker.filter(reply, zone: 1, now: 1, rules: Self.ingress)
        #expect(verdict6 == ConnectionTracker.trackedVerdict)
        let otherIdentifier = FiveTuple(icmpSource: Self.server, destination: Self.instance, type: 0, code: 0, identifier: 78)
        let verdict7 = tracker.filter(otherIdentifier, zone: 1, now: 1, rules: Self.ingress)
        #expect(verdict7.policy == .drop)
        // An echo request from the peer is a new flow, not a reply.
        let reverseRequest = FiveTuple(icmpSource: Self.server, destination: Self.instance, type: 8, code: 0, identifier: 77)
        let verdict8 = tracker.filter(reverseRequest, zone: 1, now: 1, rules: Self.ingress)
        #expect(verdict8.policy == .drop)
        // ICMPv6 echo works the same way.
        let v6Instance = IPAddress("fd00::10")!, v6Server = IPAddress("2001:db8::5")!
        _ = tracker.filter(FiveTuple(icmpSource: v6Instance, destination: v6Server, type: 128, code: 0, identifier: 9), zone: 1, now: 0, rules: Self.egress)
        let v6Reply = FiveTuple(icmpSource: v6Server, destination: v6Instance, type: 129, code: 0, identifier: 9)
        let verdict9 = tracker.filter(v6Reply, zone: 1, now: 1, rules: Self.ingress)
        #expect(verdict9.policy == .accept)
    }

    /// An instance pinging its own address: request and reply share one key (source and
    /// destination are the same), and the echo type, not the key's direction, says which is which.
    @Test(arguments: [(Self.instance, UInt8(8), UInt8(0)), (IPAddress("fd00::10")!, UInt8(128), UInt8(129))])
    func selfPingReplyIsReturnTraffic(address: IPAddress, requestType: UInt8, replyType: UInt8) {
        var tracker = ConnectionTracker(capacity: 16)
        let request = FiveTuple(icmpSource: address, destination: address, type: requestType, code: 0, identifier: 7)
        let reply = FiveTuple(icmpSource: address, destination: address, type: replyType, code: 0, identifier: 7)
        #expect(tracker.filter(request, zone: 1, now: 0, rules: Self.egress).policy == .accept)
        #expect(tracker.state(of: request, zone: 1, now: 0) == .unreplied)
        // sg-closed has no ingress rule: only the tracker lets the request and the reply in.
        #expect(tracker.filter(request, zone: 1, now: 1, rules: Self.ingress) == ConnectionTracker.trackedVerdict)
        #expect(tracker.filter(reply, zone: 1, now: 2, rules: Self.egress) == ConnectionTracker.trackedVerdict)
        #expect(tracker.state(of: request, zone: 1, now: 2) == .replied)
        #expect(tracker.filter(reply, zone: 1, now: 3, rules: Self.ingress) == ConnectionTracker.trackedVerdict)
        #expect(tracker.count == 1)
        // A reply nobody asked for (no tracked request of this identifier) is judged by the rules.
        let unsolicited = FiveTuple(icmpSource: address, destination: address, type: replyType, code: 0, identifier: 8)
        #expect(tracker.filter(unsolicited, zone: 1, now: 3, rules: Self.ingress).policy == .drop)
    }

    @Test func icmpErrorQuotingATrackedFlowIsRelated() {
        var tracker = ConnectionTracker(capacity: 16)
        let udp = FiveTuple(source: Self.instance, destination: Self.server, sourcePort: 5000, destinationPort: 9999, ipProtocol: 17)
        _ = tracker.filter(udp, zone: 1, now: 0, rules: Self.egress)
        let router = IPAddress("198.51.100.1")!
        // Port unreachable from the server, time exceeded from a router: both quote the original datagram.
        let unreachable = FiveTuple(icmpSource: Self.server, destination: Self.instance, type: 3, code: 3)
        let verdict10 = tracker.filter(unreachable, quoted: udp, zone: 1, now: 1, rules: Self.ingress)
        #expect(verdict10 == ConnectionTracker.trackedVerdict)
        let timeExceeded = FiveTuple(icmpSource: router, destination: Self.instance, type: 11, code: 0)
        let verdict11 = tracker.filter(timeExceeded, quoted: udp, zone: 1, now: 1, rules: Self.ingress)
        #expect(verdict11.policy == .accept)
        let unrelated = FiveTuple(source: Self.instance, destination: Self.server, sourcePort: 5001, destinationPort: 9999, ipProtocol: 17)
        let verdict12 = tracker.filter(unreachable, quoted: unrelated, zone: 1, now: 1, rules: Self.ingress)
        #expect(verdict12.policy == .drop)
        // An error does not open state by itself.
        #expect(tracker.count == 1)
    }

    @Test func tcpTeardownShortensTheTimeout() {
        var tracker = ConnectionTracker(capacity: 16)
        _ = tracker.filter(Self.outbound, tcpFlags: Flag.ack, zone: 1, now: 0, rules: Self.egress)
        _ = tracker.filter(Self.outbound, tcpFlags: [Flag.fin, Flag.ack], zone: 1, now: 1, rules: Self.egress)
        #expect(tracker.state(of: Self.outbound, zone: 1, now: 1) == .tcpFinWait)
        _ = tracker.filter(Self.outbound.reversed, tcpFlags: [Flag.fin, Flag.ack], zone: 1, now: 2, rules: Self.ingress)
        #expect(tracker.state(of: Self.outbound, zone: 1, now: 2) == .tcpTimeWait)
        _ = tracker.filter(Self.outbound.reversed, tcpFlags: Flag.rst, zone: 1, now: 3, rules: Self.ingress)
        #expect(tracker.state(of: Self.outbound, zone: 1, now: 3) == .tcpClose)
        #expect(tracker.state(of: Self.outbound, zone: 1, now: 3 + ConnectionTracker.Timeouts.linux.tcpClose + 1) == nil)
    }
}
