import Testing
@testable import VPCEmu

/// ping and traceroute on every example in captures/, against what its header comment predicts.
@Suite struct PingExamplesTests {
    static func ping(_ file: String, from source: String, to destination: String, count: Int = 2,
                     configure: (inout Ping.Options) -> Void = { _ in }) throws -> Ping.Result {
        var options = Ping.Options(source: source, destination: destination)
        options.count = count
        configure(&options)
        return try Ping.run(loadCapture(file).topology, options)
    }

    static func statuses(_ result: Ping.Result) -> [Ping.Reply.Status] { result.replies.map(\.status) }

    /// 1,000 requests of 1,472 payload bytes (1,500-byte IP packets), one per millisecond, client-hz → web-sv.
    static func floodOptions() -> Ping.Options {
        var options = Ping.Options(source: "client-hz", destination: "web-sv")
        options.count = 1_000
        options.interval = .milliseconds(1)
        options.payloadSize = 1_472
        return options
    }

    @Test func hubAndSpokeBranchReachesHub() throws {
        let result = try Self.ping("hub-and-spoke.yaml", from: "ecs-b1", to: "ecs-hub")
        #expect(Self.statuses(result) == [.reply, .reply])
        // One router in branch-1, one in the hub: the reply arrives with 64 − 2.
        #expect(result.replies.map(\.ttl) == [62, 62])
        // Intra-region peering: 100 µs each way.
        #expect(result.replies.map(\.rttNanoseconds) == [200_000, 200_000])
        #expect(result.exitStatus == 0)
    }

    @Test func hubAndSpokeBranchesDoNotReachEachOther() throws {
        let result = try Self.ping("hub-and-spoke.yaml", from: "ecs-b1", to: "ecs-b2")
        #expect(Self.statuses(result) == [.dropped, .dropped])
        let drop = try #require(result.replies.first?.drop)
        #expect(drop.code == "non-transitive")
        #expect(drop.location == "pcx-hub-b1")
        #expect(!drop.onAnswer)
        #expect(result.text.contains("From pcx-hub-b1 icmp_seq=1 non-transitive (destination is not in hub; peering pcx-hub-b1 does not transit)"))
        #expect(result.exitStatus == 1)
    }

    @Test func hubReachesBothBranches() throws {
        for branch in ["ecs-b1", "ecs-b2"] {
            #expect(Self.statuses(try Self.ping("hub-and-spoke.yaml", from: "ecs-hub", to: branch)) == [.reply, .reply], "\(branch)")
        }
    }

    @Test(arguments: [("ecs-2c", true), ("ecs-2a", false), ("ecs-3a", true), ("ecs-3b", false)])
    func threeVPCsPartial(destination: String, answers: Bool) throws {
        let result = try Self.ping("three-vpcs-partial.yaml", from: "ecs-1a", to: destination)
        #expect(Self.statuses(result) == (answers ? [.reply, .reply] : [.dropped, .dropped]))
        if !answers { #expect(result.replies.first?.drop?.code == "no-route") }
    }

    @Test func threeVPCsPartialVPC2AndVPC3ReachEachOther() throws {
        for (source, destination) in [("ecs-2a", "ecs-3b"), ("ecs-3b", "ecs-2a"), ("ecs-2c", "ecs-1a")] {
            let result = try Self.ping("three-vpcs-partial.yaml", from: source, to: destination)
            #expect(Self.statuses(result) == [.reply, .reply], "\(source) → \(destination)")
        }
    }

    /// An instance pinging its own address gets its replies: the stateful security group lets
    /// the reply of the request it allowed back in, even where no ingress rule admits the
    /// instance's own address (sg-a of cross-account-acceptance.yaml admits only 10.2.0.0/16).
    @Test func selfPingReplies() throws {
        let result = try Self.ping("cross-account-acceptance.yaml", from: "ecs-a", to: "ecs-a")
        #expect(Self.statuses(result) == [.reply, .reply])
        #expect(result.replies.allSatisfy { $0.drop == nil })
    }

    /// ping and analyze agree on every instance of every example pinging itself.
    @Test(arguments: captureFiles())
    func selfPingAgreesWithAnalyze(file: String) throws {
        let topology = try loadCapture(file).topology
        for instance in topology.instances {
            for address in instance.addresses {
                let result = try Self.ping(file, from: instance.name, to: "\(address)")
                let flow = try ReachabilityFlow(source: address, destination: address,
                                                ipProtocol: address.family == .ipv4 ? .icmp : .icmpv6)
                let analysis = ReachabilityAnalyzer(topology: topology).analyze(flow, reverse: true)
                #expect(Self.statuses(result) == [.reply, .reply], "\(file): \(instance.name) \(address)")
                #expect(analysis.isReachable == (result.statistics.received == 2), "\(file): \(instance.name) \(address)")
            }
        }
    }

    @Test func crossAccountWorksOnlyAfterAcceptance() throws {
        let before = try Self.ping("cross-account-acceptance.yaml", from: "ecs-a", to: "ecs-b")
        #expect(before.replies.first?.drop?.code == "peering-not-active")
        #expect(before.replies.first?.drop?.description == "peering pcx-alice-bob is Accepting, not Activated")
        // Bob accepts at 60 s; the peering is Updating until 61 s.
        let updating = try Self.ping("cross-account-acceptance.yaml", from: "ecs-a", to: "ecs-b") { $0.start = time("60s") }
        #expect(updating.replies.first?.drop?.description == "peering pcx-alice-bob is Updating, not Activated")
        let after = try Self.ping("cross-account-acceptance.yaml", from: "ecs-a", to: "ecs-b") { $0.start = time("61s") }
        #expect(Self.statuses(after) == [.reply, .reply])
        // Requests one second apart straddle the activation.
        let straddling = try Self.ping("cross-account-acceptance.yaml", from: "ecs-a", to: "ecs-b", count: 3) {
            $0.start = time("59s")
        }
        #expect(Self.statuses(straddling) == [.dropped, .dropped, .reply])
    }

    @Test func peeringLifecycleDeletionStopsTraffic() throws {
        let lifecycle = "peering-lifecycle.yaml"
        #expect(Self.statuses(try Self.ping(lifecycle, from: "ecs-alice", to: "ecs-dave") { $0.start = time("11s") }) == [.reply, .reply])
        let straddling = try Self.ping(lifecycle, from: "ecs-alice", to: "ecs-dave", count: 3) { $0.start = time("598s") }
        #expect(Self.statuses(straddling) == [.reply, .reply, .dropped])
        #expect(straddling.replies.last?.drop?.description == "peering pcx-deleted is Deleting, not Activated")
        let deleted = try Self.ping(lifecycle, from: "ecs-alice", to: "ecs-dave") { $0.start = time("601s") }
        #expect(deleted.replies.first?.drop?.description == "peering pcx-deleted is Deleted, not Activated")
        // The rejected peering never carries traffic (its routes stay installed, inactive).
        let rejected = try Self.ping(lifecycle, from: "ecs-alice", to: "10.2.1.10") { $0.start = time("31s") }
        #expect(rejected.replies.first?.drop?.description == "peering pcx-rejected is Rejected, not Activated")
    }

    @Test func dualStackPingsOverIPv6() throws {
        let result = try Self.ping("dual-stack.yaml", from: "ecs-v6a", to: "ecs-v6b") { $0.ipv6 = true }
        #expect(result.endpoints.sourceAddress == address("2408:4000:1000:1::10"))
        #expect(result.endpoints.destinationAddress == address("2408:4000:2000:1::10"))
        #expect(Self.statuses(result) == [.reply, .reply])
        #expect(result.replies.first?.ttl == 62)
        #expect(result.text.hasPrefix("PING ecs-v6b (2408:4000:2000:1::10) from 2408:4000:1000:1::10 ecs-v6a: 56(104) bytes of data.\n"))
        let version4 = try Self.ping("dual-stack.yaml", from: "ecs-v6a", to: "ecs-v6b")
        #expect(version4.endpoints.destinationAddress == address("10.20.1.10"))
        #expect(Self.statuses(version4) == [.reply, .reply])
    }

    @Test func overlappingCIDRs() throws {
        let file = "overlapping-cidrs.yaml"
        for (source, destination) in [("ecs-a1", "ecs-b1"), ("ecs-a2", "ecs-b1"), ("ecs-b1", "ecs-a1"), ("ecs-a1", "ecs-a2")] {
            #expect(Self.statuses(try Self.ping(file, from: source, to: destination)) == [.reply, .reply], "\(source) → \(destination)")
        }
        // vpc-a has no route back to 10.0.4.0/24: the request arrives, the reply is dropped.
        let noWayBack = try Self.ping(file, from: "ecs-b2", to: "ecs-a1")
        let drop = try #require(noWayBack.replies.first?.drop)
        #expect(drop.onAnswer)
        #expect(drop.code == "no-route")
        #expect(drop.location == "rt-a")
        #expect(noWayBack.text.contains("From rt-a icmp_seq=1 echo reply no-route (no route in rt-a)"))
    }

    @Test func twoVPCsSameAccount() throws {
        for (source, destination) in [("ecs-a", "ecs-b"), ("ecs-b", "ecs-a")] {
            let result = try Self.ping("two-vpcs-same-account.yaml", from: source, to: destination)
            #expect(Self.statuses(result) == [.reply, .reply])
        }
    }

    @Test func interRegionRoundTripIsTheTwoLatencies() throws {
        let result = try Self.ping("inter-region-bandwidth.yaml", from: "client-hz", to: "web-sv")
        // 80 ms one way; the return latency is the same when only one direction is declared.
        #expect(result.replies.map(\.rttNanoseconds) == [160_000_000, 160_000_000])
        // The web server accepts ICMP but not UDP: a web-sv → client-hz ping works, since
        // sg-client accepts everything from the peer.
        #expect(Self.statuses(try Self.ping("inter-region-bandwidth.yaml", from: "web-sv", to: "client-hz")) == [.reply, .reply])
    }

    /// 1,000 requests of 1,500-byte IP packets, one per millisecond (12 Mbit/s), into the
    /// 10 Mbit/s bucket of pcx-hz-sv: the losses are exactly what an integer token bucket
    /// of the peering's rate and burst predicts (the replies, spaced as the requests that got
    /// through, all pass the other direction's bucket).
    @Test func interRegionFloodLosesWhatTheTokenBucketPredicts() throws {
        let topology = try loadCapture("inter-region-bandwidth.yaml").topology
        var options = Self.floodOptions()
        options.flood = true
        let result = try Ping.run(topology, options)

        let peering = try #require(topology.peerings.first { $0.name == "pcx-hz-sv" })
        let rateBytesPerMillisecond = Int64(try #require(peering.bandwidthMbps)) * 1_000_000 / 8 / 1_000
        let burst = Int64(try #require(peering.burstBytes))
        var tokens = burst, predictedLosses = 0
        for request in 0..<1_000 {
            if request > 0 { tokens = min(burst, tokens + rateBytesPerMillisecond) }
            if tokens >= 1_500 { tokens -= 1_500 } else { predictedLosses += 1 }
        }
        let statistics = result.statistics
        #expect(predictedLosses > 0)
        #expect(statistics.transmitted - statistics.received == predictedLosses)
        #expect(statistics.errors == predictedLosses)
        #expect(result.replies.compactMap(\.drop).allSatisfy { $0.code == "throttled" && $0.location == "pcx-hz-sv" && !$0.onAnswer })
        #expect(result.text.contains("From pcx-hz-sv \(predictedLosses) requests throttled, first icmp_seq="))
    }

    /// With --shape the same flood queues instead: fewer losses (only when the 50 ms queue is
    /// full), and the queueing delay shows in the round trip.
    @Test func interRegionShapedFloodQueues() throws {
        var options = Self.floodOptions()
        options.shape = true
        let result = try Ping.run(loadCapture("inter-region-bandwidth.yaml").topology, options)
        let statistics = result.statistics
        #expect(statistics.received > 875)
        #expect(result.replies.compactMap(\.drop).allSatisfy { $0.code == "queue-full" })
        let maximum = try #require(statistics.rttMaxNanoseconds)
        #expect(maximum > 160_000_000)
        #expect(maximum <= (160 + 2 * 50) * 1_000_000)
    }

    /// Without the replies kept (a text flood), the running tally gives the same statistics and
    /// the same summary as the replies would, in the same order, even where queueing reorders
    /// when answers are forwarded.
    @Test func aFloodWithoutRepliesKeptReportsTheSame() throws {
        let topology = try loadCapture("inter-region-bandwidth.yaml").topology
        for shape in [false, true] {
            var options = Self.floodOptions()
            options.shape = shape
            options.flood = true
            let kept = try Ping.run(topology, options)
            options.recordsReplies = false
            let tallied = try Ping.run(topology, options)
            #expect(tallied.replies.isEmpty)
            #expect(kept.replies.map(\.sequence) == Array(1...options.count))
            #expect(tallied.statistics == kept.statistics)
            #expect(tallied.statistics == PingStatistics(kept.replies, interval: options.interval))
            #expect(tallied.text == kept.text)
            #expect(tallied.exitStatus == kept.exitStatus)
        }
    }

    @Test func ownGatewayAnswersPeerGatewayDoesNot() throws {
        // 10.1.1.253: the gateway of vsw-b1 (the third-to-last address on Alibaba Cloud).
        let own = try Self.ping("hub-and-spoke.yaml", from: "ecs-b1", to: "10.1.1.253")
        #expect(own.endpoints.gateway == DiagnosticEndpoints.Gateway(vswitch: "vsw-b1", isSourceVSwitch: true))
        #expect(Self.statuses(own) == [.reply, .reply])
        #expect(own.replies.first?.ttl == 64)
        #expect(own.note == nil)
        #expect(own.text.hasPrefix("""
            PING 10.1.1.253 (10.1.1.253) from 10.1.1.10 ecs-b1: 56(84) bytes of data.
            64 bytes from 10.1.1.253: icmp_seq=1 ttl=64 time=0.200 ms

            """))
        let peer = try Self.ping("hub-and-spoke.yaml", from: "ecs-b1", to: "10.0.1.253")
        #expect(peer.endpoints.gateway == DiagnosticEndpoints.Gateway(vswitch: "vsw-hub", isSourceVSwitch: false))
        #expect(peer.statistics.received == 0)
        #expect(peer.replies.first?.drop?.code == "no-instance")
        #expect(peer.text.contains("note: 10.0.1.253 is the gateway of vSwitch vsw-hub: a vSwitch gateway answers ping only from instances in that vSwitch"))
    }

    @Test func blackholeRouteDropsAtItsTable() throws {
        // A blackhole route to 10.9.0.0/16 is added to rt-alice at 400 s.
        let blackhole = try Self.ping("peering-lifecycle.yaml", from: "ecs-alice", to: "10.9.0.1") { $0.start = time("400s") }
        #expect(blackhole.replies.first?.drop?.code == "blackhole-route")
        #expect(blackhole.replies.first?.drop?.location == "rt-alice")
    }
}
