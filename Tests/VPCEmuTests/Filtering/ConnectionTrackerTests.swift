import Testing
@testable import VPCEmu

@Suite struct ConnectionTrackerTests {
    static let instance = IPAddress("192.168.1.10")!
    static let server = IPAddress("203.0.113.5")!
    static let second: UInt64 = 1_000_000_000
    typealias Flag = ConnectionTracker.TCPFlag

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

        let synAck = tracker.filter(Self.outbound.reversed, tcpFlags: Flag.syn | Flag.ack, zone: 1, now: Self.second, rules: Self.ingress)
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
        #expect(tracker.filter(Self.outbound.reversed, tcpFlags: Flag.syn | Flag.ack, zone: 1,
                               now: timeouts.tcpSynSent + 1, rules: Self.ingress).policy == .drop)
        // removeExpired sweeps without a lookup.
        _ = tracker.filter(Self.outbound, tcpFlags: Flag.ack, zone: 1, now: 0, rules: Self.egress)
        #expect(tracker.state(of: Self.outbound, zone: 1, now: 0) == .tcpEstablished)
        tracker.removeExpired(now: timeouts.tcpEstablished + 1)
        #expect(tracker.count == 0)
        #expect(tracker.statistics.expired == 3)
    }

    @Test func boundIsRespectedAndEvictionsCounted() {
        var tracker = ConnectionTracker(capacity: 100)
        for port in 0..<1000 {
            let tuple = FiveTuple(source: Self.instance, destination: Self.server, sourcePort: UInt16(10000 + port), destinationPort: 80, ipProtocol: 6)
            _ = tracker.filter(tuple, tcpFlags: Flag.syn, zone: 1, now: UInt64(port), rules: Self.egress)
            #expect(tracker.count <= 100)
        }
        #expect(tracker.count == 100)
        #expect(tracker.statistics.inserted == 1000)
        #expect(tracker.statistics.evicted == 900)
        // The newest flow survives; every remaining entry is still found after all the shifting.
        let newest = FiveTuple(source: Self.instance, destination: Self.server, sourcePort: 10999, destinationPort: 80, ipProtocol: 6)
        #expect(tracker.contains(newest.reversed, zone: 1, now: 1000))
        var found = 0
        for port in 0..<1000 {
            let tuple = FiveTuple(source: Self.instance, destination: Self.server, sourcePort: UInt16(10000 + port), destinationPort: 80, ipProtocol: 6)
            if tracker.contains(tuple, zone: 1, now: 1000) { found += 1 }
        }
        #expect(found == 100)
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
        _ = tracker.filter(Self.outbound, tcpFlags: Flag.fin | Flag.ack, zone: 1, now: 1, rules: Self.egress)
        #expect(tracker.state(of: Self.outbound, zone: 1, now: 1) == .tcpFinWait)
        _ = tracker.filter(Self.outbound.reversed, tcpFlags: Flag.fin | Flag.ack, zone: 1, now: 2, rules: Self.ingress)
        #expect(tracker.state(of: Self.outbound, zone: 1, now: 2) == .tcpTimeWait)
        _ = tracker.filter(Self.outbound.reversed, tcpFlags: Flag.rst, zone: 1, now: 3, rules: Self.ingress)
        #expect(tracker.state(of: Self.outbound, zone: 1, now: 3) == .tcpClose)
        #expect(tracker.state(of: Self.outbound, zone: 1, now: 3 + ConnectionTracker.Timeouts.linux.tcpClose + 1) == nil)
    }
}
