import Foundation
import Testing
@testable import VPCEmu

/// traceroute's hop lists on the examples: the routers a probe passes (each VPC router once,
/// the accepter VPC's router answering from the gateway of the destination's vSwitch), where
/// probes are dropped, and the output forms.
@Suite struct TracerouteTests {
    static func trace(_ file: String, from source: String, to destination: String,
                      configure: (inout Traceroute.Options) -> Void = { _ in }) throws -> Traceroute.Result {
        var options = Traceroute.Options(source: source, destination: destination)
        configure(&options)
        return try Traceroute.run(loadCapture(file).topology, options)
    }

    /// Per hop, the distinct addresses that answered, or the drop codes.
    static func hopList(_ result: Traceroute.Result) -> [String] {
        result.hops.map { hop in
            let addresses = hop.probes.compactMap(\.address)
            if !addresses.isEmpty { return Array(Set(addresses)).sorted().joined(separator: ",") }
            return "* " + Array(Set(hop.probes.compactMap { $0.drop?.code })).sorted().joined(separator: ",")
        }
    }

    @Test func hubAndSpokeBranchToHub() throws {
        let result = try Self.trace("hub-and-spoke.yaml", from: "ecs-b1", to: "ecs-hub")
        #expect(Self.hopList(result) == ["10.1.1.253", "10.0.1.253", "10.0.1.10"])
        #expect(result.reached)
        #expect(result.exitStatus == 0)
        #expect(result.text == """
            traceroute to ecs-hub (10.0.1.10) from ecs-b1 (10.1.1.10), 30 hops max, 60 byte packets
             1  branch-1 router (10.1.1.253)  0.200 ms  0.200 ms  0.200 ms
             2  hub router (10.0.1.253)  0.200 ms  0.200 ms  0.200 ms
             3  ecs-hub (10.0.1.10)  0.200 ms  0.200 ms  0.200 ms

            """)
    }

    @Test func hubAndSpokeBranchToBranchStopsAtTheHub() throws {
        let result = try Self.trace("hub-and-spoke.yaml", from: "ecs-b1", to: "ecs-b2")
        #expect(Self.hopList(result) == ["10.1.1.253", "* non-transitive"])
        #expect(!result.reached)
        #expect(result.text.hasSuffix(
            " 2  * * *  non-transitive at pcx-hub-b1 (destination is not in hub; peering pcx-hub-b1 does not transit)\n"))
    }

    /// The accepter VPC's router answers from the gateway of the destination's vSwitch (vsw-2c,
    /// 10.2.3.253), not from the source vSwitch nor from the VPC's first vSwitch (vsw-2a).
    @Test func accepterRouterAnswersFromTheDestinationVSwitch() throws {
        let result = try Self.trace("three-vpcs-partial.yaml", from: "ecs-1a", to: "ecs-2c") { $0.queries = 1 }
        #expect(Self.hopList(result) == ["10.1.1.253", "10.2.3.253", "10.2.3.10"])
        let noRoute = try Self.trace("three-vpcs-partial.yaml", from: "ecs-1a", to: "ecs-2a") { $0.queries = 1 }
        // The router answers TTL 1 before it looks the route up.
        #expect(Self.hopList(noRoute) == ["10.1.1.253", "* no-route"])
    }

    /// For an address of vsw-2c that no instance owns, the router of vsw-2c answers too, not the
    /// first vSwitch of the VPC (vsw-2a, 10.2.1.253).
    @Test func accepterRouterAnswersFromTheVSwitchHoldingAnUnownedAddress() throws {
        let result = try Self.trace("three-vpcs-partial.yaml", from: "ecs-1a", to: "10.2.3.99") { $0.queries = 1 }
        #expect(Array(Self.hopList(result).prefix(2)) == ["10.1.1.253", "10.2.3.253"])
        #expect(!result.reached)
    }

    @Test func sameVPCIsOneRouter() throws {
        let result = try Self.trace("overlapping-cidrs.yaml", from: "ecs-a1", to: "ecs-a2") { $0.queries = 1 }
        #expect(Self.hopList(result) == ["10.0.1.253", "10.0.2.10"])
    }

    /// sg-web accepts TCP 80 and ICMP from the peer: UDP probes are dropped at web-sv, ICMP ones
    /// (-I) reach it. Each crossing of the peering takes 80 ms.
    @Test func interRegionUDPBlockedICMPReaches() throws {
        let udp = try Self.trace("inter-region-bandwidth.yaml", from: "client-hz", to: "web-sv") { $0.queries = 1 }
        #expect(Self.hopList(udp) == ["172.16.1.253", "192.168.1.253", "* security-group-denied"])
        #expect(udp.hops.last?.probes.first?.drop?.location == "web-sv")
        let icmp = try Self.trace("inter-region-bandwidth.yaml", from: "client-hz", to: "web-sv") {
            $0.queries = 1
            $0.method = .icmp
        }
        #expect(Self.hopList(icmp) == ["172.16.1.253", "192.168.1.253", "192.168.1.20"])
        #expect(icmp.hops.map { $0.probes.first?.rttNanoseconds } == [200_000, 160_000_000, 160_000_000])
    }

    /// `-T`: SYN probes to -p (80 by default), answered with SYN-ACK; `-f` skips the first hops.
    @Test func tcpProbesAndTheFirstTTL() throws {
        let tcp = try Self.trace("inter-region-bandwidth.yaml", from: "client-hz", to: "web-sv") {
            $0.queries = 1
            $0.method = .tcp
            $0.firstTTL = 2
        }
        #expect(tcp.hops.map(\.ttl) == [2, 3])
        #expect(Self.hopList(tcp) == ["192.168.1.253", "192.168.1.20"])
        #expect(tcp.text.hasPrefix("traceroute to web-sv (192.168.1.20) from client-hz (172.16.1.10), 30 hops max, 60 byte packets\n 2  "))
        let closed = try Self.trace("inter-region-bandwidth.yaml", from: "client-hz", to: "web-sv") {
            $0.queries = 1
            $0.method = .tcp
            $0.port = 443
        }
        #expect(Self.hopList(closed) == ["172.16.1.253", "192.168.1.253", "* security-group-denied"])
        let syn = PacketSpec(source: IPAddress("10.0.0.1")!, destination: IPAddress("10.0.0.2")!,
                             transport: .tcp(TCPSegmentSpec(sourcePort: 44_444, destinationPort: 80, sequence: 7)))
        #expect(Traceroute.answer(to: syn)?.transport == .tcp(TCPSegmentSpec(sourcePort: 80, destinationPort: 44_444,
                                                                              acknowledgment: 8, flags: [.syn, .ack])))
    }

    /// `-w`: an answer slower than the wait is a `*`.
    @Test func waitTurnsSlowAnswersIntoStars() throws {
        let result = try Self.trace("inter-region-bandwidth.yaml", from: "client-hz", to: "web-sv") {
            $0.queries = 1
            $0.method = .icmp
            $0.wait = .milliseconds(100)
        }
        #expect(result.hops.count == 2)
        #expect(result.hops[1].probes.map(\.address) == [nil])
        #expect(!result.reached)
    }

    /// AWS's documentation is silent on whether the VPC router decrements the TTL, so the `aws`
    /// profile keeps the `alibaba` behaviour (docs/topology.md, "Profile differences"): each VPC
    /// router is a hop, answering from the profile's gateway address (the subnet's second).
    @Test func awsProfileRoutersAreHopsAtTheirGatewayAddresses() throws {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("captures/hub-and-spoke.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "profile: alibaba\n", with: "profile: aws\n")
        let topology = try TopologyLoader.load(yaml: text, file: "hub-and-spoke-aws.yaml").topology
        #expect(topology.profile == .aws)
        let result = try Traceroute.run(topology, Traceroute.Options(source: "ecs-b1", destination: "ecs-hub"))
        #expect(Self.hopList(result) == ["10.1.1.1", "10.0.1.1", "10.0.1.10"])
        let ping = try Ping.run(topology, Ping.Options(source: "ecs-b1", destination: "ecs-hub"))
        #expect(ping.replies.map(\.ttl) == [62, 62, 62, 62])
    }

    @Test func dualStackOverIPv6() throws {
        let result = try Self.trace("dual-stack.yaml", from: "ecs-v6a", to: "ecs-v6b") {
            $0.ipv6 = true
            $0.queries = 1
        }
        #expect(Self.hopList(result) == ["2408:4000:1000:1::", "2408:4000:2000:1::", "2408:4000:2000:1::10"])
        #expect(result.text.hasPrefix("traceroute to ecs-v6b (2408:4000:2000:1::10) from ecs-v6a (2408:4000:1000:1::10), "
            + "30 hops max, 80 byte packets\n"))
    }

    @Test func anAddressDestinationIsPrintedWithItsAddressAsPingDoes() throws {
        // The hub vSwitch's gateway: an address no instance has.
        let result = try Self.trace("hub-and-spoke.yaml", from: "ecs-b1", to: "10.0.1.253")
        #expect(result.text.hasPrefix("traceroute to 10.0.1.253 (10.0.1.253) from ecs-b1 (10.1.1.10), 30 hops max, 60 byte packets\n"))
    }

    @Test func aStartTooLateForTheLastProbeIsRefused() throws {
        #expect(throws: PingError.invalidOption("the last probe (--at 9223372036854775807ns + 90 × 1ms) is too large (at most 106751 days)")) {
            try Self.trace("hub-and-spoke.yaml", from: "ecs-b1", to: "ecs-hub") { $0.start = EmulatedTime(nanoseconds: Int64.max) }
        }
    }

    @Test func maxHopsLimitsTheTrace() throws {
        let result = try Self.trace("hub-and-spoke.yaml", from: "ecs-b1", to: "ecs-hub") { $0.maxHops = 2 }
        #expect(Self.hopList(result) == ["10.1.1.253", "10.0.1.253"])
        #expect(!result.reached)
        #expect(result.exitStatus == 0)
        let verdict = try Self.trace("hub-and-spoke.yaml", from: "ecs-b1", to: "ecs-hub") {
            $0.maxHops = 2
            $0.exitStatusIsVerdict = true
        }
        #expect(verdict.exitStatus == 1)
    }

    @Test func jsonShape() throws {
        let result = try Self.trace("hub-and-spoke.yaml", from: "ecs-b1", to: "ecs-b2") { $0.queries = 1 }
        let object = try #require(JSONSerialization.jsonObject(with: Data(result.json().utf8)) as? [String: Any])
        #expect(object["probe"] as? String == "udp")
        #expect(object["reached"] as? Bool == false)
        let hops = try #require(object["hops"] as? [[String: Any]])
        #expect(hops.map { $0["ttl"] as? Int } == [1, 2])
        let first = try #require((hops[0]["probes"] as? [[String: Any]])?.first)
        #expect(first["address"] as? String == "10.1.1.253")
        #expect(first["name"] as? String == "branch-1 router")
        let second = try #require((hops[1]["probes"] as? [[String: Any]])?.first)
        #expect((second["drop"] as? [String: Any])?["code"] as? String == "non-transitive")
    }

    @Test func badFlagsAreErrors() throws {
        #expect(throws: PingError.invalidOption("-q must be between 1 and 10, not 0")) {
            try Self.trace("hub-and-spoke.yaml", from: "ecs-b1", to: "ecs-hub") { $0.queries = 0 }
        }
        #expect(throws: PingError.invalidOption("-m must be between 1 and 255, not 256")) {
            try Self.trace("hub-and-spoke.yaml", from: "ecs-b1", to: "ecs-hub") { $0.maxHops = 256 }
        }
    }
}
