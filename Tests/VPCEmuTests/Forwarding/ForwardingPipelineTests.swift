import Foundation
import Testing
@testable import VPCEmu

/// Drives a pipeline packet by packet with frames built by `PacketBuilder`. The first frame is
/// a truncated one at capture time 0, so emulated time equals the capture time in every test.
struct PipelineHarness {
    var pipeline: ForwardingPipeline
    var headers = PacketHeaders()

    init(_ file: String, yaml transform: (String) -> String = { $0 }, options: ForwardingPipeline.Options = .init()) throws {
        let path = packageRoot.appendingPathComponent("captures").appendingPathComponent(file).path
        let text = transform(try String(contentsOfFile: path, encoding: .utf8))
        pipeline = try ForwardingPipeline(topology: TopologyLoader.load(yaml: text, file: file).topology, options: options)
        #expect(send([0x00], at: 0).outcome == .dropped(.malformed(.truncatedEthernet)))
    }

    @discardableResult
    mutating func send(_ frame: [UInt8], at nanoseconds: Int64) -> ForwardingPipeline.Verdict {
        var verdict: ForwardingPipeline.Verdict?
        frame.withUnsafeBytes { bytes in
            verdict = try? pipeline.forward(bytes, linkType: .ethernet, timestamp: nanoseconds, headers: &headers)
        }
        guard let verdict else { Issue.record("forward threw"); return .init(outcome: .dropped(.unknownSource), departure: 0, ipLength: 0, trail: .init()) }
        return verdict
    }

    @discardableResult
    mutating func send(_ source: String, _ destination: String, _ transport: TransportSpec, ttl: UInt8 = 64,
                       payload: Int = 0, at nanoseconds: Int64) -> ForwardingPipeline.Verdict {
        let spec = PacketSpec(ethernet: EthernetSpec(), source: address(source), destination: address(destination), ttl: ttl,
                              transport: transport, payload: [UInt8](repeating: 0x5a, count: payload))
        return send(PacketBuilder.frame(for: spec), at: nanoseconds)
    }

    func instance(_ name: String) -> UInt32 { UInt32(pipeline.topology.instanceNames.firstIndex(of: name) ?? -1) }
    func peering(_ name: String) -> UInt32 { UInt32(pipeline.topology.peerings.firstIndex { $0.name == name } ?? -1) }
    func vpc(_ name: String) -> UInt32 { UInt32(pipeline.topology.vpcNames.firstIndex(of: name) ?? -1) }
    func drops(_ kind: DropReason.Kind) -> UInt64 { pipeline.counters.drops(kind) }
}

let ping = TransportSpec.icmpEcho(isRequest: true, identifier: 7, sequence: 1)
let second: Int64 = 1_000_000_000

@Suite struct ForwardingPipelineTests {
    /// The pipeline reads a packet's 5-tuple straight from the header fields; it is the tuple built
    /// the obvious way, through `IPAddress` values, for random headers of both families (IPv4 with
    /// junk above the address's 32 bits), ICMP, ICMPv6 (over either family), TCP, UDP and others.
    @Test func theTupleReadFromHeaderFieldsIsTheTupleBuiltFromAddresses() {
        var random = SeededGenerator(seed: 17)
        for _ in 0..<20_000 {
            var headers = PacketHeaders()
            headers.family = Bool.random(using: &random) ? .ipv4 : .ipv6
            (headers.sourceHigh, headers.sourceLow) = (random.next(), random.next())
            (headers.destinationHigh, headers.destinationLow) = (random.next(), random.next())
            headers.ipProtocol = [1, 6, 17, 58, 47, UInt8.random(in: 0...255, using: &random)].randomElement(using: &random)!
            headers.sourcePort = .random(in: 0...UInt16.max, using: &random)
            headers.destinationPort = .random(in: 0...UInt16.max, using: &random)
            headers.icmpType = .random(in: 0...255, using: &random)
            headers.icmpCode = .random(in: 0...255, using: &random)
            headers.icmpIdentifier = .random(in: 0...UInt16.max, using: &random)
            let source = headers.source, destination = headers.destination
            let reference = headers.ipProtocol == 1 || headers.ipProtocol == 58
                ? FiveTuple(icmpSource: source, destination: destination, type: headers.icmpType, code: headers.icmpCode,
                            identifier: headers.icmpIdentifier)
                : FiveTuple(source: source, destination: destination, sourcePort: headers.sourcePort,
                            destinationPort: headers.destinationPort, ipProtocol: headers.ipProtocol)
            #expect(ForwardingPipeline.tuple(headers) == reference, "\(headers.family) protocol \(headers.ipProtocol)")
        }
    }

    @Test func hubAndSpokeDeliversToTheHubButNeverTransits() throws {
        var net = try PipelineHarness("hub-and-spoke.yaml")
        let toHub = net.send("10.1.1.10", "10.0.1.10", ping, at: 5 * second)
        #expect(toHub.outcome == .delivered(instance: net.instance("ecs-hub"), arrival: 5 * second + 100_000))
        #expect(toHub.trail.describe(in: net.pipeline.topology) == "ecs-b1 > rt-b1[10.0.0.0/16 -> peering pcx-hub-b1] > pcx-hub-b1 > ecs-hub")
        #expect(toHub.trail.routerHops == 2)
        let toBranch = net.send("10.1.1.10", "10.2.1.10", ping, at: 5 * second)
        #expect(toBranch.outcome == .dropped(.nonTransitive(peering: net.peering("pcx-hub-b1"), vpc: net.vpc("hub"))))
        #expect(DropReason.nonTransitive(peering: net.peering("pcx-hub-b1"), vpc: net.vpc("hub")).describe(in: net.pipeline.topology)
                == "destination is not in hub; peering pcx-hub-b1 does not transit")
        #expect(net.send("10.0.1.10", "10.2.1.10", ping, at: 5 * second).outcome == .delivered(instance: net.instance("ecs-b2"), arrival: 5 * second + 100_000))
        #expect(net.pipeline.counters.delivered == 2)
        #expect(net.drops(.nonTransitive) == 1)
        #expect(net.pipeline.counters.receivedByInstance[Int(net.instance("ecs-hub"))] == 1)
    }

    @Test func crossAccountPeeringCarriesTrafficOnlyAfterItIsAccepted() throws {
        var net = try PipelineHarness("cross-account-acceptance.yaml")
        let peering = net.peering("pcx-alice-bob")
        #expect(net.send("10.1.1.10", "10.2.1.10", ping, at: 30 * second).outcome == .dropped(.peeringNotActive(peering: peering, state: .accepting)))
        #expect(DropReason.peeringNotActive(peering: peering, state: .accepting).code == "peering-not-active")
        // Accepted at 60 s, Activated after the one-second activation delay.
        #expect(net.send("10.1.1.10", "10.2.1.10", ping, at: 62 * second).outcome == .delivered(instance: net.instance("ecs-b"), arrival: 62 * second + 100_000))
        #expect(net.drops(.peeringNotActive) == 1)
        #expect(net.pipeline.counters.delivered == 1)
    }

    @Test func securityGroupDenyNamesTheRuleAndLatencyComesFromTheTopology() throws {
        var net = try PipelineHarness("inter-region-bandwidth.yaml")
        let ssh = net.send("172.16.1.10", "192.168.1.20", .tcp(TCPSegmentSpec(sourcePort: 40000, destinationPort: 22, flags: .syn)), at: 5 * second)
        guard case .dropped(let reason) = ssh.outcome else { Issue.record("ssh was delivered"); return }
        #expect(reason.code == "security-group-denied")
        #expect(reason.describe(in: net.pipeline.topology) == "ingress of web-sv denied by security group sg-web rule no-ssh")
        let http = net.send("172.16.1.10", "192.168.1.20", .tcp(TCPSegmentSpec(sourcePort: 40001, destinationPort: 80, flags: .syn)), at: 5 * second)
        #expect(http.outcome == .delivered(instance: net.instance("web-sv"), arrival: 5 * second + 80_000_000))
        // The reply is tracked return traffic; a new flow from the server to the client is allowed by sg-client.
        let reply = net.send("192.168.1.20", "172.16.1.10", .tcp(TCPSegmentSpec(sourcePort: 80, destinationPort: 40001, flags: [.syn, .ack])), at: 5 * second + 1)
        #expect(reply.outcome == .delivered(instance: net.instance("client-hz"), arrival: 5 * second + 1 + 80_000_000))
        #expect(net.drops(.securityGroupDenied) == 1)
    }

    @Test func networkACLDenyNamesTheEntry() throws {
        var net = try PipelineHarness("inter-region-bandwidth.yaml") {
            $0.replacingOccurrences(of: "          - {name: all-out, protocol: all, cidr: 0.0.0.0/0}",
                                    with: "          - {name: no-dns, policy: drop, protocol: udp, ports: 53, cidr: 0.0.0.0/0}\n          - {name: all-out, protocol: all, cidr: 0.0.0.0/0}")
        }
        let dns = net.send("172.16.1.10", "192.168.1.20", .udp(sourcePort: 5353, destinationPort: 53), at: 5 * second)
        guard case .dropped(let reason) = dns.outcome else { Issue.record("dns was delivered"); return }
        #expect(reason.code == "acl-denied")
        #expect(reason.describe(in: net.pipeline.topology) == "egress of vSwitch vsw-hz denied by network ACL acl-hz egress entry no-dns")
        #expect(net.drops(.aclDenied) == 1)
    }

    /// 1,000-byte packets at 20 Mbit/s through a 10 Mbit/s direction: the bucket starts full,
    /// drains by 500 bytes per packet, then passes every other packet.
    @Test func constantRateAtTwiceTheBandwidthIsThrottledAsTheBucketPredicts() throws {
        let (counters, verdicts) = try throttledFlow(shape: false)
        let harness = try PipelineHarness("inter-region-bandwidth.yaml")
        let burst = Int64(try #require(harness.pipeline.topology.peerings.first { $0.name == "pcx-hz-sv" }?.burstBytes))
        let forward = 2 * Int(harness.peering("pcx-hz-sv"))  // its requester-to-accepter direction
        // The reference: an integer token bucket in bytes, refilled 500 bytes per 400 µs gap.
        var tokens = burst, throttled: UInt64 = 0
        for index in 0..<2_500 {
            if index > 0 { tokens = min(burst, tokens + 500) }
            if tokens >= 1_000 { tokens -= 1_000 } else { throttled += 1 }
        }
        #expect(counters.drops(.throttled) == throttled)
        #expect(throttled == 1_250 - UInt64(burst / 1_000) + 1 || throttled == 1_250 - UInt64(burst / 1_000))
        #expect(counters.directions[forward].throttled == throttled)
        #expect(counters.directions[forward].packets == 2_500 - throttled)
        #expect(counters.delivered == 2_500 - throttled)
        // Identical across runs.
        let again = try throttledFlow(shape: false)
        #expect(again.counters == counters && again.verdicts == verdicts)
    }

    @Test func shapingDelaysInsteadOfDroppingUntilTheQueueIsFull() throws {
        let (counters, verdicts) = try throttledFlow(shape: true)
        // 50 ms of queue at 10 Mbit/s holds 62,500 bytes beyond the burst; the rest overflows.
        #expect(counters.drops(.queueFull) > 0)
        #expect(counters.drops(.throttled) == 0)
        let delays = verdicts.compactMap { verdict -> Int64? in
            guard case .delivered(_, let arrival) = verdict.outcome else { return nil }
            return arrival - verdict.departure - 80_000_000
        }
        #expect(delays.first == 0)
        #expect(delays.max().map { $0 > 0 && $0 <= 50_000_000 } == true)
    }

    func throttledFlow(shape: Bool) throws -> (counters: ForwardingPipeline.Counters, verdicts: [ForwardingPipeline.Verdict]) {
        var net = try PipelineHarness("inter-region-bandwidth.yaml", options: .init(shape: shape))
        let start = 5 * second
        var verdicts: [ForwardingPipeline.Verdict] = []
        // 20 bytes IPv4 + 8 ICMP + 972 payload = 1,000 bytes of IP; sg-web admits ping.
        for index in 0..<2_500 {
            verdicts.append(net.send("172.16.1.10", "192.168.1.20", ping, payload: 972, at: start + Int64(index) * 400_000))
        }
        #expect(verdicts.allSatisfy { $0.ipLength == 1_000 })
        var counters = net.pipeline.counters
        counters.dropsByKind[Int(DropReason.Kind.malformed.rawValue)] -= 1  // the harness's first frame
        counters.dropped -= 1
        counters.packets -= 1
        return (counters, verdicts)
    }

    @Test func malformedPacketsAreCountedAndTheRestIsForwarded() throws {
        var net = try PipelineHarness("hub-and-spoke.yaml")
        let good = PacketBuilder.frame(for: PacketSpec(ethernet: EthernetSpec(), source: address("10.1.1.10"), destination: address("10.0.1.10"), transport: ping))
        var bad = good
        bad[14 + 10] ^= 0xff  // IPv4 header checksum
        for index in 0..<10 {
            net.send(index % 3 == 0 ? bad : (index % 3 == 1 ? Array(good.prefix(30)) : good), at: 5 * second + Int64(index))
        }
        #expect(net.drops(.malformed) == 1 + 4 + 3)
        #expect(net.pipeline.counters.delivered == 3)
        #expect(net.send(Array(good.prefix(30)), at: 6 * second).outcome.droppedCode == "malformed:truncated-ipv4")
    }

    @Test func ttlExpiresAtEachVPCRouterWithATimeExceededAnswer() throws {
        var net = try PipelineHarness("hub-and-spoke.yaml")
        #expect(net.send("10.1.1.10", "10.0.1.10", ping, ttl: 1, at: 5 * second).outcome == .dropped(.ttlExpired(vpc: net.vpc("branch-1"))))
        #expect(net.send("10.1.1.10", "10.0.1.10", ping, ttl: 2, at: 5 * second).outcome == .dropped(.ttlExpired(vpc: net.vpc("hub"))))
        #expect(net.send("10.1.1.10", "10.0.1.10", ping, ttl: 3, at: 5 * second).outcome == .delivered(instance: net.instance("ecs-hub"), arrival: 5 * second + 100_000))
        #expect(net.pipeline.counters.timeExceededAnswers == 2)
        // The last answer is ICMP time exceeded back to the source from the hub's router, which
        // answers from the gateway of the destination's vSwitch (vsw-hub), not the source's.
        let answers = net.pipeline.answers, offsets = net.pipeline.answerOffsets
        #expect(offsets.count == 2)
        var headers = PacketHeaders()
        let outcome = answers.withUnsafeBytes { bytes in
            PacketParser.parse(UnsafeRawBufferPointer(rebasing: bytes[offsets[1]...]), linkType: .raw, into: &headers)
        }
        #expect(outcome == .ip)
        #expect(headers.icmpType == 11 && headers.destination == address("10.1.1.10"))
        #expect(headers.source == address("10.0.1.253"))
    }

    /// `Options.origin` fixes the timestamp of emulated time 0, so the first packet can leave at
    /// any time of the timeline (bob accepts at 60 s; the peering is Activated from 61 s).
    @Test func originPutsTheFirstPacketOnTheTimeline() throws {
        let topology = try loadCapture("cross-account-acceptance.yaml").topology
        for (time, delivered) in [(59 * second, false), (61 * second, true)] {
            var pipeline = try ForwardingPipeline(topology: topology, options: .init(origin: 0))
            var headers = PacketHeaders()
            let frame = PacketBuilder.frame(for: PacketSpec(source: address("10.1.1.10"), destination: address("10.2.1.10"), transport: ping))
            let verdict = try frame.withUnsafeBytes { bytes in
                try pipeline.forward(bytes, linkType: .raw, timestamp: time, headers: &headers)
            }
            #expect(verdict.departure == time)
            if case .delivered = verdict.outcome { #expect(delivered) } else { #expect(!delivered, "\(verdict.outcome)") }
        }
    }

    @Test func unknownSourcesDropUnlessBound() throws {
        var net = try PipelineHarness("hub-and-spoke.yaml")
        #expect(net.send("10.1.1.99", "10.0.1.10", ping, at: 5 * second).outcome == .dropped(.unknownSource))
        var bound = try PipelineHarness("hub-and-spoke.yaml", options: .init(bindings: [(IPNetwork(address: address("10.1.1.99"), prefixLength: 32), "ecs-b1")]))
        #expect(bound.send("10.1.1.99", "10.0.1.10", ping, at: 5 * second).outcome == .delivered(instance: bound.instance("ecs-hub"), arrival: 5 * second + 100_000))
        #expect(throws: ForwardingPipeline.OptionError.unknownInstance("nope", suggestion: nil)) {
            try ForwardingPipeline(topology: loadCapture("hub-and-spoke.yaml").topology, options: .init(bindings: [(IPNetwork(address: address("10.1.1.99"), prefixLength: 32), "nope")]))
        }
    }

    /// `--bind CIDR=INSTANCE`: the most specific block holding the source names the sender, before
    /// the topology's own owner of the address.
    @Test func boundBlocksAttributeByLongestMatch() throws {
        let bindings = [(try IPNetwork(parsing: "10.0.0.0/8"), "ecs-b2"), (try IPNetwork(parsing: "10.1.0.0/16"), "ecs-b1"),
                        (try IPNetwork(parsing: "10.1.1.99/32"), "ecs-b2"), (try IPNetwork(parsing: "fd00::/8"), "ecs-b1")]
        var net = try PipelineHarness("hub-and-spoke.yaml", options: .init(bindings: bindings))
        for (source, sender) in [("10.1.7.7", "ecs-b1"), ("10.1.1.99", "ecs-b2"), ("10.200.0.1", "ecs-b2"), ("10.1.1.10", "ecs-b1"),
                                 ("10.0.1.10", "ecs-b2"), ("fd12::1", "ecs-b1")] {
            let destination = source.contains(":") ? "fd00::99" : "10.0.1.10"
            #expect(net.send(source, destination, ping, at: 5 * second).trail.sourceInstance == net.instance(sender), "\(source)")
        }
        #expect(net.send("192.0.2.1", "10.0.1.10", ping, at: 5 * second).outcome == .dropped(.unknownSource))
        let error = #expect(throws: ForwardingPipeline.OptionError.self) {
            try ForwardingPipeline(topology: loadCapture("hub-and-spoke.yaml").topology, options: .init(bindings: [(bindings[0].0, "ecs-b3")]))
        }
        #expect(error?.description == "--bind names instance ecs-b3, which the topology does not declare: did you mean ecs-b1?")
    }

    /// `Options.start`: the first packet (the harness's, at timestamp 0) is at that emulated time,
    /// and the timeline's events are met accordingly (the peering is accepted at 60 s).
    @Test func startPlacesTheFirstPacketOnTheTimeline() throws {
        for start in [0, 61 * second] {
            var net = try PipelineHarness("cross-account-acceptance.yaml", options: .init(start: start))
            let verdict = net.send("10.1.1.10", "10.2.1.10", ping, at: second)
            #expect(verdict.departure == start + second)
            if start == 0 {
                guard case .dropped(let reason) = verdict.outcome else { Issue.record("\(verdict.outcome)"); continue }
                #expect(reason.kind == .peeringNotActive)
            } else {
                guard case .delivered(let instance, let arrival) = verdict.outcome else { Issue.record("\(verdict.outcome)"); continue }
                #expect(instance == net.instance("ecs-b") && arrival > start + second)
            }
        }
    }

    @Test func everyDropKindHasADistinctStableCode() {
        let codes = DropReason.Kind.allCases.map(\.code)
        #expect(Set(codes).count == codes.count)
        #expect(codes.allSatisfy { $0.allSatisfy { $0.isLowercase || $0 == "-" } })
    }
}

extension ForwardingPipeline.Outcome {
    var droppedCode: String? { if case .dropped(let reason) = self { reason.code } else { nil } }
}

@Suite struct ForwardingPipelineBatchTests {
    /// The batch entry point over a capture file gives the same verdicts and counters as the
    /// packet-by-packet path, on a seeded random mix of good, malformed and unroutable packets.
    @Test func batchesAgreeWithSinglePackets() throws {
        let topology = try loadCapture("hub-and-spoke.yaml").topology
        var generator = SeededGenerator(seed: 6)
        let hosts = ["10.0.1.10", "10.1.1.10", "10.2.1.10", "10.2.1.77"]
        var frames: [[UInt8]] = []
        for _ in 0..<600 {
            let source = hosts[Int.random(in: 0..<3, using: &generator)], destination = hosts.randomElement(using: &generator) ?? hosts[0]
            var frame = PacketBuilder.frame(for: PacketSpec(ethernet: EthernetSpec(), source: address(source), destination: address(destination),
                                                            ttl: UInt8.random(in: 1...3, using: &generator),
                                                            transport: .udp(sourcePort: 1000, destinationPort: UInt16.random(in: 1...3, using: &generator))))
            if Int.random(in: 0..<10, using: &generator) == 0 { frame = Array(frame.prefix(Int.random(in: 1..<frame.count, using: &generator))) }
            frames.append(frame)
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-batch-\(UUID()).pcap").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try PcapWriter(path: path, linkType: .ethernet)
        for (index, frame) in frames.enumerated() {
            frame.withUnsafeBytes { writer.write($0, timestamp: 1_700_000_000 * second + Int64(index) * 1_000_000) }
        }
        try writer.finish()

        var single = try ForwardingPipeline(topology: topology)
        var headers = PacketHeaders()
        var expected: [ForwardingPipeline.Verdict] = []
        for (index, frame) in frames.enumerated() {
            try frame.withUnsafeBytes { bytes in
                expected.append(try single.forward(bytes, linkType: .ethernet, timestamp: 1_700_000_000 * second + Int64(index) * 1_000_000, headers: &headers))
            }
        }
        var batched = try ForwardingPipeline(topology: topology)
        let reader = try PcapReader(path: path)
        var batch = PacketBatch(packetCapacity: 64)
        var verdicts = ContiguousArray<ForwardingPipeline.Verdict>()
        var all: [ForwardingPipeline.Verdict] = []
        while try reader.nextBatch(into: &batch) {
            try batched.forward(batch, linkType: reader.linkType, into: &verdicts)
            all += verdicts
        }
        #expect(all == expected)
        #expect(batched.counters == single.counters)

        // Parsed ahead on the reader thread, as `replay` and `bench replay` read: the same verdicts.
        var preParsed = try ForwardingPipeline(topology: topology)
        let readAhead = try ReadAheadPcapReader(path: path, packetCapacity: 64, byteCapacity: 1 << 16, parsesForForwarding: true)
        var parsedBatch = PacketBatch(packetCapacity: 64)
        var parsedVerdicts: [ForwardingPipeline.Verdict] = []
        while try readAhead.nextBatch(into: &parsedBatch) {
            #expect(parsedBatch.parsedLinkType == readAhead.linkType)
            try preParsed.forward(parsedBatch, linkType: readAhead.linkType, into: &verdicts)
            parsedVerdicts += verdicts
        }
        #expect(parsedVerdicts == expected)
        #expect(preParsed.counters == single.counters)
        #expect(single.counters.delivered > 0 && single.drops(.malformed) > 0 && single.drops(.noInstance) > 0 && single.drops(.ttlExpired) > 0)
    }
}

extension ForwardingPipeline {
    func drops(_ kind: DropReason.Kind) -> UInt64 { counters.drops(kind) }
}
