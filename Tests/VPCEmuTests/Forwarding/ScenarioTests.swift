import Foundation
import Testing
@testable import VPCEmu

/// One example of captures/ with the generated traffic that exercises what its header comment
/// says it demonstrates (timeline events included).
struct Scenario: Sendable, CustomTestStringConvertible {
    var example: String
    var flows: [String]
    var seed: UInt64 = 7

    var testDescription: String { example }
    var goldenPath: String {
        packageRoot.appendingPathComponent("Tests/VPCEmuTests/Fixtures/Scenarios")
            .appendingPathComponent(example.replacingOccurrences(of: ".yaml", with: ".json")).path
    }

    static let all: [Scenario] = [
        Scenario(example: "two-vpcs-same-account.yaml", flows: [
            "ping ecs-a ecs-b count=5",
            "tcp ecs-b ecs-a 443 bytes=20000 mbps=50 start=1s",
            "mix ecs-a ecs-b count=200 pps=1000 start=2s",
            "ping ecs-a 10.9.9.9 count=2 start=3s",  // no route
        ]),
        // Dropped as not active while Accepting and Updating (until 61 s), delivered after.
        Scenario(example: "cross-account-acceptance.yaml", flows: [
            "ping ecs-a ecs-b count=10 interval=10s",
            "tcp ecs-b ecs-a 8080 bytes=5000 start=65s",
        ]),
        Scenario(example: "three-vpcs-partial.yaml", flows: [
            "ping ecs-1a ecs-2c count=3",
            "ping ecs-1a ecs-2a count=3",  // no route from vpc1
            "ping ecs-1a ecs-3a count=3",
            "ping ecs-1a ecs-3b count=3",  // no route: only 10.3.1.10/32
            "ping ecs-2a ecs-3b count=3",
            "tcp ecs-3a ecs-2a 80 bytes=5000 start=1s",
        ]),
        Scenario(example: "hub-and-spoke.yaml", flows: [
            "ping ecs-b1 ecs-hub count=3",
            "ping ecs-b1 ecs-b2 count=3",  // non-transitive in the hub
            "ping ecs-hub ecs-b2 count=3",
            "mix ecs-hub ecs-b1 count=100 pps=100 start=1s",
        ]),
        Scenario(example: "overlapping-cidrs.yaml", flows: [
            "ping ecs-a1 ecs-b1 count=3",
            "ping ecs-a2 ecs-b1 count=3",
            "ping ecs-b2 ecs-a1 count=3",  // the request arrives, the reply has no route back
            "ping ecs-a1 ecs-a2 count=3",  // local in vpc-a
        ]),
        Scenario(example: "inter-region-bandwidth.yaml", flows: [
            "ping client-hz web-sv count=4 interval=500ms",
            "tcp client-hz web-sv 80 bytes=100000 mbps=8 start=1s",
            "syn client-hz web-sv 22 count=3 start=2s",  // sg-web's no-ssh rule
            "udp web-sv client-hz 5000 mbps=20 size=1000 duration=2s start=3s",  // 2x the 10 Mbit/s limit
            "udp web-sv client-hz 5001 mbps=20 size=1000 duration=2s start=125s",  // at the 20 Mbit/s limit after 120 s
            "ping client-hz 10.99.0.1 count=2 start=4s",  // no route
            "tcp client-hz db-hz 3306 bytes=20000 start=5s",  // intra-region pcx-hz-db, not limited
            "ping web-sv db-hz count=3 start=6s",  // would transit vpc-hz: non-transitive
        ]),
        Scenario(example: "dual-stack.yaml", flows: [
            "ping ecs-v6a ecs-v6b count=3",
            "ping 2408:4000:1000:1::10 2408:4000:2000:1::10 count=3",
            "ping 2408:4000:2000:1::10 2408:4000:1000:1::10 count=3",
            "tcp ecs-v6b ecs-v6a 22 bytes=3000 start=1s",
            "mix 2408:4000:1000:1::10 2408:4000:2000:1::10 count=50 pps=100 start=2s",
        ]),
        // Accepting, then Activated at 11 s, deleted at 600 s; SSH allowed from 300 s; a
        // blackhole route from 400 s; pcx-rejected rejected at 30 s; pcx-expired never answered.
        Scenario(example: "peering-lifecycle.yaml", flows: [
            "ping ecs-alice ecs-dave count=15 interval=50s",
            "ping ecs-alice 10.2.1.10 count=3 interval=10s start=20s",
            "ping ecs-alice 10.3.1.10 count=2 start=40s",
            "syn ecs-alice ecs-dave 22 count=1 start=200s",
            "syn ecs-alice ecs-dave 22 count=1 start=350s",
            "ping ecs-alice 10.9.0.1 count=2 interval=20s start=390s",
        ]),
    ]
}

/// What a scenario's golden file holds: where packets arrived, drops by reason, and per peering
/// direction what crossed and what its token bucket dropped. Keys are names, never positions.
struct ScenarioOutcome: Codable, Equatable {
    struct Direction: Codable, Equatable {
        var packets: Int64
        var bytes: Int64
        var throttled: Int64
    }

    var flows: [String]
    var seed: UInt64
    var packets: Int64
    var receivedByInstance: [String: UInt64]
    var dropsByReason: [String: Int64]
    var peeringDirections: [String: Direction]

    enum CodingKeys: String, CodingKey {
        case flows, seed, packets, receivedByInstance = "received_by_instance", dropsByReason = "drops_by_reason"
        case peeringDirections = "peering_directions"
    }

    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }
}

/// A replay of generated traffic with its outputs in a temporary directory (removed by `remove`).
struct ScenarioRun {
    var report: ReplayReport
    var pipeline: ForwardingPipeline
    var directory: String

    var out: String { (directory as NSString).appendingPathComponent("out") }

    init(_ example: String, flows: [String], seed: UInt64 = 7) throws {
        try self.init(loadCapture(example).topology, flows: flows, seed: seed)
    }

    init(_ topology: Topology, flows: [String], seed: UInt64 = 7, options: ReplaySession.Options = .init()) throws {
        let parsed = try flows.map { spec throws(TrafficGenerator.SpecError) in try TrafficGenerator.parse(spec, topology: topology) }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("scenario-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let capture = (directory as NSString).appendingPathComponent("traffic.pcap")
        _ = try TrafficGenerator(flows: parsed, seed: seed).write(to: capture)
        let session = try ReplaySession(topology: topology, outputDirectory: (directory as NSString).appendingPathComponent("out"),
                                        options: options)
        let reader = try PcapReader(path: capture)
        var batch = PacketBatch()
        while try reader.nextBatch(into: &batch) { try session.process(batch) }
        report = try session.finish()
        pipeline = session.pipeline
    }

    func file(_ name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: (out as NSString).appendingPathComponent(name)))
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    func outcome(flows: [String], seed: UInt64) -> ScenarioOutcome {
        let counters = pipeline.counters
        var received: [String: UInt64] = [:]
        for (instance, name) in pipeline.topology.instanceNames.enumerated() { received[name] = counters.receivedByInstance[instance] }
        var directions: [String: ScenarioOutcome.Direction] = [:]
        for direction in report.peerings {
            directions["\(direction.peering) \(direction.direction.rawValue)"] =
                .init(packets: direction.packets, bytes: direction.bytes, throttled: direction.throttledPackets)
        }
        return ScenarioOutcome(flows: flows, seed: seed, packets: report.totals.packets, receivedByInstance: received,
                               dropsByReason: report.dropsByReason, peeringDirections: directions)
    }
}

/// Golden scenario tests. To regenerate the goldens after an intended change, run
/// `VPCEMU_UPDATE_GOLDEN=1 swift test --filter ScenarioTests` and review the diff.
@Suite struct ScenarioTests {
    static let updatingGoldens = ProcessInfo.processInfo.environment["VPCEMU_UPDATE_GOLDEN"] == "1"

    @Test func everyExampleHasAScenario() {
        #expect(Set(captureFiles()) == Set(Scenario.all.map(\.example)), "each captures/*.yaml needs a scenario here")
    }

    @Test(arguments: Scenario.all)
    func matchesTheGoldenAndIsIdenticalAcrossRuns(_ scenario: Scenario) throws {
        let first = try ScenarioRun(scenario.example, flows: scenario.flows, seed: scenario.seed)
        defer { first.remove() }
        let outcome = first.outcome(flows: scenario.flows, seed: scenario.seed)
        #expect(outcome.packets > 0)
        if Self.updatingGoldens {
            try outcome.json().write(to: URL(fileURLWithPath: scenario.goldenPath))
        } else {
            let golden = try JSONDecoder().decode(ScenarioOutcome.self, from: Data(contentsOf: URL(fileURLWithPath: scenario.goldenPath)))
            #expect(outcome == golden, "\(scenario.example): differs from \(scenario.goldenPath) (VPCEMU_UPDATE_GOLDEN=1 regenerates it)")
        }
        // A second run gives the same outcome and byte-identical outputs.
        let second = try ScenarioRun(scenario.example, flows: scenario.flows, seed: scenario.seed)
        defer { second.remove() }
        #expect(second.outcome(flows: scenario.flows, seed: scenario.seed) == outcome)
        for name in ["report.json", "metrics.csv", "throughput.svg", "dropped.pcapng"] + second.pipeline.topology.instanceNames.map({ "\($0).pcap" }) {
            #expect(try first.file(name) == second.file(name), "\(scenario.example): \(name) differs between runs")
        }
    }

    /// A constant-rate UDP stream at twice the peering's bandwidth, before and after the timeline
    /// raises it from 10 to 20 Mbit/s at 120 s: the throttled counts equal an independent
    /// byte-level token bucket (full at the start of each stream, refilled between packets).
    @Test func throttledCountsMatchTheTokenBucketArithmetic() throws {
        let run = try ScenarioRun("inter-region-bandwidth.yaml", flows: [
            "udp web-sv client-hz 5000 mbps=20 size=1000 duration=2s start=1s",
            "udp web-sv client-hz 5001 mbps=40 size=1000 duration=2s start=130s",
        ])
        defer { run.remove() }
        let burst = try #require(run.pipeline.topology.peerings.first { $0.name == "pcx-hz-sv" }?.burstBytes)
        /// Packets of `size` bytes every `gap` ns for `duration` ns into a bucket of `rate` bit/s.
        func predictedThrottled(rateBitsPerSecond rate: Int64, gap: Int64, duration: Int64, size: Int64) -> Int64 {
            var tokensMillibits = Int64(burst) * 8_000  // 10⁻³ bit: rate × gap stays exact
            var throttled: Int64 = 0
            for index in 0..<(duration / gap) {
                if index > 0 { tokensMillibits = min(Int64(burst) * 8_000, tokensMillibits + rate * gap / 1_000_000) }
                if tokensMillibits >= size * 8_000 { tokensMillibits -= size * 8_000 } else { throttled += 1 }
            }
            return throttled
        }
        let before = predictedThrottled(rateBitsPerSecond: 10_000_000, gap: 400_000, duration: 2 * second, size: 1_000)
        let after = predictedThrottled(rateBitsPerSecond: 20_000_000, gap: 200_000, duration: 2 * second, size: 1_000)
        // Half of each 5,000- or 10,000-packet stream conforms, less the burst's head start.
        #expect(before == 2_500 - Int64(burst) / 1_000 || before == 2_500 - Int64(burst) / 1_000 + 1)
        #expect(after == 5_000 - Int64(burst) / 1_000 || after == 5_000 - Int64(burst) / 1_000 + 1)
        let back = try #require(run.report.peerings.first { $0.peering == "pcx-hz-sv" && $0.direction == .accepterToRequester })
        #expect(back.throttledPackets == before + after)
        #expect(back.packets == 15_000 - before - after)
        #expect(run.report.dropsByReason == ["throttled": before + after])
        #expect(run.pipeline.counters.receivedByInstance[try #require(run.pipeline.topology.instanceNames.firstIndex(of: "client-hz"))]
                == UInt64(15_000 - before - after))
    }

    /// Generated traffic with a malformed record after every fourth packet (cut short, or with a
    /// damaged IPv4 header checksum): each is a counted drop with its reason, and every valid
    /// packet is delivered exactly as in the clean capture.
    @Test func malformedPacketsAreCountedDropsAndTheRestIsForwarded() throws {
        let flows = ["ping client-hz web-sv count=20 interval=100ms", "tcp client-hz web-sv 80 bytes=20000 start=1s"]
        let clean = try ScenarioRun("inter-region-bandwidth.yaml", flows: flows)
        defer { clean.remove() }

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("malformed-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let topology = try loadCapture("inter-region-bandwidth.yaml").topology
        let generator = TrafficGenerator(flows: try flows.map { spec throws(TrafficGenerator.SpecError) in try TrafficGenerator.parse(spec, topology: topology) }, seed: 7)
        let capture = (directory as NSString).appendingPathComponent("damaged.pcap")
        let writer = try PcapWriter(path: capture, linkType: .ethernet)
        var inserted = (truncated: 0, checksum: 0)
        for (index, packet) in generator.stream().enumerated() {
            let timestamp = 1_700_000_000 * second + packet.time
            packet.frame.withUnsafeBytes { writer.write($0, timestamp: timestamp) }
            guard index % 4 == 3 else { continue }
            var damaged = packet.frame
            if index % 8 == 3 {
                damaged = Array(damaged.prefix(14 + 12))  // inside the IPv4 header
                inserted.truncated += 1
            } else {
                damaged[14 + 10] ^= 0xff  // IPv4 header checksum
                inserted.checksum += 1
            }
            damaged.withUnsafeBytes { writer.write($0, timestamp: timestamp) }
        }
        try writer.finish()

        let session = try ReplaySession(topology: topology, outputDirectory: (directory as NSString).appendingPathComponent("out"))
        let reader = try PcapReader(path: capture)
        var batch = PacketBatch()
        while try reader.nextBatch(into: &batch) { try session.process(batch) }
        let report = try session.finish()
        #expect(inserted.truncated > 0 && inserted.checksum > 0)
        #expect(report.totals.packets == clean.report.totals.packets + Int64(inserted.truncated + inserted.checksum))
        #expect(report.dropsByReason["malformed:truncated-ipv4"] == Int64(inserted.truncated))
        #expect(report.dropsByReason["malformed:bad-checksum-ipv4"] == Int64(inserted.checksum))
        #expect(report.totals.deliveredPackets == clean.report.totals.deliveredPackets)
        #expect(session.pipeline.counters.receivedByInstance == clean.pipeline.counters.receivedByInstance)
        #expect(clean.report.totals.deliveredPackets > 0)
    }
}
