import Foundation
import Testing
@testable import VPCEmu

/// ping's text and JSON: the statistics arithmetic, the line formats, the JSON shape, and the
/// errors for flags and names that do not fit the topology.
@Suite struct PingReportTests {
    static func result(_ replies: [Ping.Reply]) throws -> Ping.Result {
        let topology = try loadCapture("hub-and-spoke.yaml").topology
        let endpoints = try DiagnosticEndpoints.probe(topology: topology, from: "ecs-b1", to: "ecs-hub", ipv6: false)
        var options = Ping.Options(source: "ecs-b1", destination: "ecs-hub")
        options.count = replies.count
        return Ping.Result(endpoints: endpoints, options: options, replies: replies)
    }

    static func reply(_ sequence: Int, milliseconds: Int64) -> Ping.Reply {
        Ping.Reply(sequence: sequence, sentAt: Int64(sequence - 1) * 1_000_000_000, status: .reply, ttl: 62,
                   rttNanoseconds: milliseconds * 1_000_000)
    }

    static let drop = ProbeDrop(code: "throttled", location: "pcx-x", description: "throttled on pcx-x", onAnswer: false)

    @Test func statisticsBlockArithmetic() throws {
        let replies = (1...4).map { Self.reply($0, milliseconds: Int64($0)) } + [
            Ping.Reply(sequence: 5, sentAt: 4_000_000_000, status: .dropped, drop: Self.drop),
            Ping.Reply(sequence: 6, sentAt: 5_000_000_000, status: .late, rttNanoseconds: 11_000_000_000),
        ]
        let statistics = PingStatistics(replies, interval: .seconds(1))
        #expect(statistics.transmitted == 6)
        #expect(statistics.received == 4)
        #expect(statistics.errors == 1)
        #expect(statistics.timeMilliseconds == 5_000)
        #expect(statistics.rttMinMilliseconds == 1)
        #expect(statistics.rttAvgMilliseconds == 2.5)
        #expect(statistics.rttMaxMilliseconds == 4)
        // sqrt((1 + 4 + 9 + 16) / 4 − 2.5²) = sqrt(1.25)
        #expect(abs((statistics.rttMdevMilliseconds ?? 0) - 1.25.squareRoot()) < 1e-12)
        let text = try Self.result(replies).text
        #expect(text.hasSuffix("""

            --- ecs-hub ping statistics ---
            6 packets transmitted, 4 received, +1 errors, 33.3333% packet loss, time 5000ms
            rtt min/avg/max/mdev = 1.000/2.500/4.000/1.118 ms

            """))
        #expect(text.contains("From pcx-x icmp_seq=5 throttled (throttled on pcx-x)\n"))
        #expect(text.contains("no answer yet for icmp_seq=6, reply after 11000.000 ms\n"))
    }

    @Test func noReplyLeavesOutTheRTTLine() throws {
        let replies = [Ping.Reply(sequence: 1, sentAt: 0, status: .dropped, drop: Self.drop)]
        let result = try Self.result(replies)
        #expect(result.statistics.rttAvgMilliseconds == nil)
        #expect(result.text.hasSuffix("1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms\n"))
        #expect(result.exitStatus == 1)
    }

    @Test func replyLineAndHeader() throws {
        let text = try Self.result([Self.reply(1, milliseconds: 3)]).text
        #expect(text.hasPrefix("""
            PING ecs-hub (10.0.1.10) from 10.1.1.10 ecs-b1: 56(84) bytes of data.
            64 bytes from ecs-hub (10.0.1.10): icmp_seq=1 ttl=62 time=3.000 ms

            """))
    }

    @Test func jsonShape() throws {
        var options = Ping.Options(source: "ecs-b1", destination: "ecs-b2")
        options.count = 1
        let result = try Ping.run(loadCapture("hub-and-spoke.yaml").topology, options)
        let object = try #require(JSONSerialization.jsonObject(with: Data(result.json().utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["endpoints", "payload_bytes", "interval_nanoseconds", "start_nanoseconds", "replies",
                                     "statistics", "exit_status"])
        let endpoints = try #require(object["endpoints"] as? [String: Any])
        #expect(endpoints["source_address"] as? String == "10.1.1.10")
        #expect(endpoints["destination_instance"] as? String == "ecs-b2")
        let reply = try #require((object["replies"] as? [[String: Any]])?.first)
        #expect(reply["status"] as? String == "dropped")
        let drop = try #require(reply["drop"] as? [String: Any])
        #expect(drop["code"] as? String == "non-transitive")
        #expect(drop["location"] as? String == "pcx-hub-b1")
        #expect(drop["on_answer"] as? Bool == false)
        let statistics = try #require(object["statistics"] as? [String: Any])
        #expect(statistics["transmitted"] as? Int == 1)
        #expect(statistics["loss_percent"] as? Double == 100)
        #expect(object["exit_status"] as? Int == 1)
    }

    @Test func badNamesAndFlagsAreErrors() throws {
        let topology = try loadCapture("hub-and-spoke.yaml").topology
        func error(_ source: String, _ destination: String, configure: (inout Ping.Options) -> Void = { _ in }) -> PingError? {
            var options = Ping.Options(source: source, destination: destination)
            configure(&options)
            do { _ = try Ping.run(topology, options) } catch { return error }
            return nil
        }
        #expect(error("ecs-nope", "ecs-hub") == .endpoint(.unknownInstance(flag: "--from", name: "ecs-nope", acceptsAddress: false)))
        #expect(error("10.1.1.10", "ecs-hub") == .endpoint(.addressNotAccepted(flag: "--from", address: address("10.1.1.10"))))
        #expect(error("ecs-b1", "nowhere") == .endpoint(.unknownInstance(flag: "DEST", name: "nowhere", acceptsAddress: true)))
        // Neither has an IPv6 address; the source is resolved first.
        #expect(error("ecs-b1", "ecs-hub") { $0.ipv6 = true } == .endpoint(.noAddress(flag: "--from", instance: "ecs-b1", family: .ipv6)))
        #expect(error("ecs-b1", "2001:db8::1") == .endpoint(.noAddress(flag: "--from", instance: "ecs-b1", family: .ipv6)))
        #expect(error("ecs-b1", "10.0.1.10") { $0.ipv6 = true } == .endpoint(.ipv6WithIPv4Address(flag: "DEST", address: address("10.0.1.10"))))
        #expect(error("ecs-nope", "ecs-hub")?.description == "--from 'ecs-nope': the topology declares no instance of that name")
        #expect(error("ecs-b1", "ecs-hub") { $0.count = 0 } == .invalidOption("-c must be between 1 and 1000000, not 0"))
        #expect(error("ecs-b1", "ecs-hub") { $0.payloadSize = 65_508 } == .invalidOption("-s must be between 0 and 65507 for IPv4, not 65508"))
        #expect(error("ecs-b1", "ecs-hub") { $0.timeout = .seconds(0) } == .invalidOption("-W must be longer than 0"))
        // count × interval (and the start and timeout) past Int64 nanoseconds: refused, not trapped or wrapped.
        #expect(error("ecs-b1", "ecs-hub") { $0.interval = EmulatedDuration(nanoseconds: 50_000 * 86_400_000_000_000) }
            == .invalidOption("the last request's timeout (--at 0s + 3 × -i 50000d + -W 10s) is too large (at most 106751 days)"))
        #expect(error("ecs-b1", "ecs-hub") {
            $0.count = 3
            $0.interval = EmulatedDuration(nanoseconds: 1_000 * 86_400_000_000_000)
            $0.start = EmulatedTime(nanoseconds: 106_000 * 86_400_000_000_000)
        } == .invalidOption("the last request's timeout (--at 106000d + 2 × -i 1000d + -W 10s) is too large (at most 106751 days)"))
        #expect(error("ecs-b1", "ecs-hub") { $0.start = EmulatedTime(nanoseconds: Int64.max - 5_000_000_000) }
            == .invalidOption("the last request's timeout (--at 9223372031854775807ns + 3 × -i 1s + -W 10s) is too large (at most 106751 days)"))
    }

    @Test func anIPv6DestinationIsNamedWithoutTheBracketsTyped() throws {
        // An address no instance has, so that the address names the destination.
        var options = Ping.Options(source: "ecs-v6a", destination: "[2408:4000:2000:1::99]")
        options.count = 1
        options.ipv6 = true
        let text = try Ping.run(loadCapture("dual-stack.yaml").topology, options).text
        #expect(text.hasPrefix("PING 2408:4000:2000:1::99 (2408:4000:2000:1::99) from "))
        #expect(text.contains("--- 2408:4000:2000:1::99 ping statistics ---\n"))
    }

    /// `From LOCATION`: the object each kind of drop names.
    @Test func dropLocationsNameTheObject() throws {
        let compiled = DataPlane(TopologyTimeline.state(of: try loadCapture("hub-and-spoke.yaml").topology, at: .zero))
        func id(_ names: [String], _ name: String) -> UInt32 { UInt32(names.firstIndex(of: name) ?? -1) }
        let peering = id(compiled.peerings.map(\.name), "pcx-hub-b2")
        let cases: [(DropReason, String)] = [
            (.unknownSource, "pipeline"),
            (.securityGroupDenied(.ingress, instance: id(compiled.instanceNames, "ecs-b2"), decider: 0), "ecs-b2"),
            (.aclDenied(.egress, vswitch: id(compiled.vswitchNames, "vsw-hub"), decider: 0), "vsw-hub"),
            (.noRoute(table: id(compiled.tables.map(\.name), "rt-b1")), "rt-b1"),
            (.peeringNotActive(peering: peering, state: .deleted), "pcx-hub-b2"),
            (.throttled(peering: peering, .accepterToRequester, .outOfTokens), "pcx-hub-b2"),
            (.noInstance(vpc: id(compiled.vpcNames, "branch-2")), "branch-2"),
        ]
        for (reason, location) in cases { #expect(reason.location(in: compiled) == location, "\(reason)") }
    }

    @Test func lateRepliesCountAsLost() throws {
        var options = Ping.Options(source: "client-hz", destination: "web-sv")
        options.count = 2
        options.timeout = .milliseconds(100)
        let result = try Ping.run(loadCapture("inter-region-bandwidth.yaml").topology, options)
        // The round trip is 160 ms: every reply comes too late.
        #expect(result.replies.map(\.status) == [.late, .late])
        #expect(result.statistics.received == 0)
        #expect(result.statistics.errors == 0)
        #expect(result.exitStatus == 1)
    }
}
