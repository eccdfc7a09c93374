import Foundation
import Testing
@testable import VPCEmu

@Suite struct ReplaySessionTests {
    /// A capture with delivered, SG-denied, throttled and malformed packets through the
    /// inter-region example: every output is written and agrees with the pipeline's counters.
    @Test func replayWritesEveryOutputConsistently() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("replay-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let capture = (directory as NSString).appendingPathComponent("in.pcap")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let writer = try PcapWriter(path: capture, linkType: .ethernet)
        func frame(_ source: String, _ destination: String, _ transport: TransportSpec, payload: Int = 0) -> [UInt8] {
            PacketBuilder.frame(for: PacketSpec(ethernet: EthernetSpec(), source: address(source), destination: address(destination),
                                                transport: transport, payload: [UInt8](repeating: 1, count: payload)))
        }
        let base: Int64 = 1_700_000_000 * second
        let ssh = frame("172.16.1.10", "192.168.1.20", .tcp(TCPSegmentSpec(sourcePort: 4000, destinationPort: 22, flags: .syn)))
        let echo = frame("172.16.1.10", "192.168.1.20", ping, payload: 972)
        ssh.withUnsafeBytes { writer.write($0, timestamp: base) }
        [UInt8](echo.prefix(20)).withUnsafeBytes { writer.write($0, timestamp: base) }
        for index in 0..<3_000 {  // 20 Mbit/s for 1.2 s from t = 2 s
            echo.withUnsafeBytes { writer.write($0, timestamp: base + 2 * second + Int64(index) * 400_000) }
        }
        try writer.finish()

        let out = (directory as NSString).appendingPathComponent("out")
        let session = try ReplaySession(topology: loadCapture("inter-region-bandwidth.yaml").topology, outputDirectory: out,
                                        options: .init(writeVerdicts: true))
        let reader = try PcapReader(path: capture)
        var batch = PacketBatch()
        while try reader.nextBatch(into: &batch) { try session.process(batch) }
        let report = try session.finish()
        let counters = session.pipeline.counters

        #expect(report.totals.packets == 3_002)
        #expect(report.totals.deliveredPackets == Int64(counters.delivered))
        #expect(report.dropsByReason["security-group-denied"] == 1)
        #expect(report.dropsByReason["malformed:truncated-ipv4"] == 1)
        #expect(report.dropsByReason["throttled"] == Int64(counters.drops(.throttled)))
        #expect(counters.drops(.throttled) > 1_000)
        let forward = try #require(report.peerings.first { $0.peering == "pcx-hz-sv" && $0.direction == .requesterToAccepter })
        // The denied SSH SYN crossed the peering before web-sv's group dropped it.
        #expect(forward.packets == Int64(counters.delivered) + 1 && forward.throttledPackets == Int64(counters.drops(.throttled)))

        func records(_ name: String) throws -> Int {
            let reader = try PcapReader(path: (out as NSString).appendingPathComponent(name))
            var batch = PacketBatch(), total = 0
            while try reader.nextBatch(into: &batch) { total += batch.count }
            return total
        }
        #expect(try records("web-sv.pcap") == Int(counters.delivered))
        #expect(try records("client-hz.pcap") == 0)
        #expect(try records("dropped.pcapng") == Int(counters.dropped))
        let verdictLines = try String(contentsOfFile: (out as NSString).appendingPathComponent("verdicts.jsonl"), encoding: .utf8)
            .split(separator: "\n")
        #expect(verdictLines.count == 3_002)
        #expect(verdictLines.first?.contains("\"reason\":\"security-group-denied\"") == true)
        for name in ["report.json", "metrics.csv", "throughput.svg"] {
            #expect(FileManager.default.fileExists(atPath: (out as NSString).appendingPathComponent(name)))
        }
    }

    /// A timeline event that removes the rule ahead of the one a drop cites, in the middle of a
    /// batch: each drop is described with the rules in effect when it happened, before and after.
    @Test func dropsAreDescribedWithTheRulesInEffectWhenTheyHappened() throws {
        let yaml = try String(contentsOf: packageRoot.appendingPathComponent("captures/two-vpcs-same-account.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "          - {id: from-a, direction: ingress, protocol: all, cidr: 172.16.0.0/16}",
                                  with: "          - {id: no-ftp, direction: ingress, policy: drop, priority: 10, protocol: tcp, ports: 21, cidr: 0.0.0.0/0}\n"
                                      + "          - {id: no-telnet, direction: ingress, policy: drop, priority: 10, protocol: tcp, ports: 23, cidr: 0.0.0.0/0}\n"
                                      + "          - {id: from-a, direction: ingress, priority: 20, protocol: all, cidr: 172.16.0.0/16}")
            + """
            timeline:
              - {at: 1s, action: remove_security_group_rule, security_group: sg-b, id: no-ftp}

            """
        let topology = try TopologyLoader.load(yaml: yaml, file: "telnet.yaml").topology
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("described-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func syn(_ port: UInt16) -> [UInt8] {
            PacketBuilder.frame(for: PacketSpec(ethernet: EthernetSpec(), source: address("172.16.1.10"), destination: address("192.168.1.10"),
                                                transport: .tcp(TCPSegmentSpec(sourcePort: 4000, destinationPort: port, flags: .syn))))
        }
        // One batch: FTP and telnet before the event, telnet and FTP (now let in) after it.
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let capture = (directory as NSString).appendingPathComponent("in.pcap")
        let writer = try PcapWriter(path: capture, linkType: .ethernet)
        for (port, time) in [(21, 0), (23, second / 2), (23, 2 * second), (21, 3 * second)] as [(UInt16, Int64)] {
            syn(port).withUnsafeBytes { writer.write($0, timestamp: 1_700_000_000 * second + time) }
        }
        try writer.finish()
        var batch = PacketBatch()
        #expect(try PcapReader(path: capture).nextBatch(into: &batch) && batch.count == 4)
        let session = try ReplaySession(topology: topology, outputDirectory: (directory as NSString).appendingPathComponent("out"),
                                        options: .init(writeVerdicts: true))
        try session.process(batch)
        _ = try session.finish()
        let verdicts = try String(contentsOfFile: (directory as NSString).appendingPathComponent("out/verdicts.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { line in try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) }
        #expect(verdicts.map { $0["verdict"] as? String } == ["dropped", "dropped", "dropped", "delivered"])
        let details = verdicts.compactMap { $0["detail"] as? String }
        #expect(details.count == 3)
        #expect(details[0].contains("no-ftp"), "\(details)")
        #expect(details[1].contains("no-telnet") && details[2].contains("no-telnet"), "\(details)")
    }

    /// `replay --generate`: the generated stream fed straight into a session gives byte-identical
    /// outputs to `generate` writing a file that is then replayed.
    @Test func generatedTrafficReplaysExactlyAsItsFile() throws {
        let flows = ["ping client-hz web-sv count=5 interval=300us", "udp web-sv client-hz 5000 mbps=20 size=1000 duration=1s start=10ms",
                     "mix client-hz web-sv count=2000 pps=20000", "syn client-hz web-sv 22 count=2", "ping web-sv db-hz count=2"]
        let fromFile = try ScenarioRun("inter-region-bandwidth.yaml", flows: flows, seed: 3)
        defer { fromFile.remove() }
        let topology = try loadCapture("inter-region-bandwidth.yaml").topology
        let generator = TrafficGenerator(flows: try flows.map { try TrafficGenerator.parse($0, topology: topology) }, seed: 3)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("generated-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let session = try ReplaySession(topology: topology, outputDirectory: directory)
        var reported: [ReplaySession.Progress] = []
        #expect(try session.feed(.generated(generator), progress: { reported.append($0) }) == .completed)
        let report = try session.finish()
        #expect(report == fromFile.report)
        #expect(report.totals.packets > 4_000 && report.dropsByReason["throttled"] ?? 0 > 0)
        for name in ["report.json", "metrics.csv", "throughput.svg", "dropped.pcapng"] + topology.instances.map({ "\($0.name).pcap" }) {
            let direct = try Data(contentsOf: URL(fileURLWithPath: (directory as NSString).appendingPathComponent(name)))
            #expect(direct == (try fromFile.file(name)), "\(name) differs")
        }
        #expect(reported.last == ReplaySession.Progress(packets: Int(report.totals.packets), totalPackets: Int(report.totals.packets)))
        #expect(reported.last?.fraction == 1)
    }
}

/// Interrupting (SIGINT) stops the feed between batches; `finish` then leaves every output complete
/// and valid for exactly the packets processed, and nothing else in the directory.
@Suite struct InterruptedReplayTests {
    @Test func stoppingBetweenBatchesLeavesValidOutputsForWhatWasProcessed() throws {
        let topology = try loadCapture("inter-region-bandwidth.yaml").topology
        let flows = ["udp web-sv client-hz 5000 mbps=20 size=1000 duration=10s", "ping client-hz web-sv count=50 interval=100ms",
                     "syn client-hz web-sv 22 count=3"]
        let generator = TrafficGenerator(flows: try flows.map { try TrafficGenerator.parse($0, topology: topology) }, seed: 5)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("interrupted-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let session = try ReplaySession(topology: topology, outputDirectory: directory, options: .init(writeVerdicts: true))
        var batches = 0, processed = 0
        let end = try session.feed(.generated(generator), shouldStop: { batches += 1; return batches == 10 },
                                   progress: { processed = $0.packets })
        #expect(end == .stopped)
        #expect(processed == 10 * PacketBatch().packetCapacity)
        #expect(processed < generator.stream().totalPackets)
        let report = try session.finish()
        let counters = session.pipeline.counters

        let path = { (name: String) in (directory as NSString).appendingPathComponent(name) }
        let expected = Set(["report.json", "metrics.csv", "throughput.svg", "dropped.pcapng", "verdicts.jsonl"]
                           + topology.instances.map { "\($0.name).pcap" })
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: directory)) == expected, "no temporary files left")
        #expect(report.totals.packets == Int64(processed) && counters.packets == UInt64(processed))
        let decoded = try JSONDecoder().decode(ReplayReport.self, from: Data(contentsOf: URL(fileURLWithPath: path("report.json"))))
        #expect(decoded == report)
        func records(_ name: String) throws -> Int {
            let reader = try PcapReader(path: path(name))
            var batch = PacketBatch(), total = 0
            while try reader.nextBatch(into: &batch) { total += batch.count }
            return total
        }
        for (index, name) in topology.instances.map(\.name).enumerated() {
            let id = try #require(session.pipeline.topology.instanceNames.firstIndex(of: name))
            #expect(try records("\(name).pcap") == Int(counters.receivedByInstance[id]), "\(name) (\(index))")
        }
        #expect(try records("dropped.pcapng") == Int(counters.dropped))
        #expect(counters.dropped > 0 && counters.delivered > 0)
        let verdicts = try String(contentsOfFile: path("verdicts.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(verdicts.count == processed)
        #expect(verdicts.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })
        let rows = try String(contentsOfFile: path("metrics.csv"), encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 1 + report.intervals.directions.reduce(0) { $0 + $1.samples.count })
        #expect(try String(contentsOfFile: path("throughput.svg"), encoding: .utf8).hasSuffix("</svg>\n"))
    }
}

@Suite struct ReplayProgressTests {
    @Test func theLineShowsPacketsRateAndTheShareDone() {
        let capture = ReplaySession.Progress(packets: 1_234_567, bytesRead: 50, totalBytes: 200)
        #expect(capture.fraction == 0.25)
        #expect(capture.line(elapsed: 2) == "1,234,567 packets  0.62 Mpps  25.0 %")
        let generated = ReplaySession.Progress(packets: 999, totalPackets: 1_000)
        #expect(generated.line(elapsed: 0) == "999 packets  0.00 Mpps  99.9 %")
        #expect(ReplaySession.Progress(packets: 12).line(elapsed: 1) == "12 packets  0.00 Mpps")
    }

    /// Only a large input gets a progress line: 32 MiB of captures or a million generated packets
    /// (counted without generating them).
    @Test func onlyLargeInputsAreLarge() throws {
        let topology = try loadCapture("inter-region-bandwidth.yaml").topology
        func generated(_ spec: String) throws -> ReplayInput {
            .generated(TrafficGenerator(flows: [try TrafficGenerator.parse(spec, topology: topology)], seed: 1))
        }
        #expect(try generated("mix client-hz web-sv count=2000000").isLarge)
        #expect(try generated("mix client-hz web-sv count=2000000").totalPackets == 2_000_000)
        #expect(try !generated("udp web-sv client-hz 5000 mbps=8 duration=1s").isLarge)
        let sample = packageRoot.appendingPathComponent("captures/sample.pcapng").path
        let size = try #require(try FileManager.default.attributesOfItem(atPath: sample)[.size] as? NSNumber).int64Value
        #expect(ReplayInput.captures([sample, sample]).totalBytes == 2 * size)
        #expect(!ReplayInput.captures([sample]).isLarge)
    }
}
