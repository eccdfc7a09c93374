import Foundation
import Testing
@testable import VPCEmu

/// A fresh directory for a replay's input and outputs, removed afterwards.
private func withReplayDirectory(_ body: (String) throws -> Void) throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vpcemu-long-span-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try body(directory)
}

private func fileSize(_ path: String) throws -> Int {
    try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber).intValue
}

@Suite struct LongSpanReplayTests {
    /// Six pings across the inter-region peering, 0.6 years (219 days) apart, metered per second: 94.6
    /// million intervals, of which the outputs list a handful. A "no packet for 30 days" rule fires in each
    /// gap, at the right day, and its firing is listed as a (zero) sample.
    @Test func aCaptureSpanningYearsReplaysWithSmallOutputs() throws {
        try withReplayDirectory { directory in
            let capture = (directory as NSString).appendingPathComponent("years.pcap")
            let writer = try PcapWriter(path: capture, linkType: .ethernet)
            let echo = PacketBuilder.frame(for: PacketSpec(ethernet: EthernetSpec(), source: address("172.16.1.10"),
                                                           destination: address("192.168.1.20"), transport: ping,
                                                           payload: [UInt8](repeating: 1, count: 100)))
            let year: Int64 = 365 * 86_400 * second, base: Int64 = 1_600_000_000 * second
            let times = (0..<6).map { base + Int64($0) * year * 3 / 5 }
            for time in times { echo.withUnsafeBytes { writer.write($0, timestamp: time) } }
            try writer.finish()

            let out = (directory as NSString).appendingPathComponent("out")
            var topology = try loadCapture("inter-region-bandwidth.yaml").topology
            let day = 86_400 * second
            topology.alerts.append(AlertRule(name: "silent", metric: .packets, period: day, comparison: .lessThan, threshold: 1,
                                             consecutivePeriods: 30, peering: "pcx-hz-sv", direction: .requesterToAccepter))
            let session = try ReplaySession(topology: topology, outputDirectory: out)
            #expect(try session.feed(.captures([capture])) == .completed)
            let report = try session.finish()

            #expect(report.totals.deliveredPackets == 6)
            #expect(report.intervals.intervalCount == 3 * year / second + 1)
            let forward = try #require(report.intervals.directions.first { $0.peering == "pcx-hz-sv" && $0.direction == .requesterToAccepter })
            let spans = times.map { ($0 - base) / second }
            #expect(forward.samples.filter { $0.packets > 0 }.map(\.index) == spans)
            // The timeline raises the limit at 120 s: an idle interval listed for its new limit.
            let raised = try #require(forward.sample(interval: 120))
            #expect(raised.packets == 0 && raised.bandwidthLimit == 20_000_000)
            // Packet k is on day 219k; days 219k + 1 … 219k + 30 complete the run.
            #expect(report.alerts.map(\.rule) == Array(repeating: "silent", count: 5))
            #expect(report.alerts.map(\.runStart) == (0..<5).map { (219 * $0 + 1) * day })
            #expect(report.alerts.map(\.periodStart) == (0..<5).map { (219 * $0 + 30) * day })
            for alert in report.alerts {
                let sample = try #require(forward.sample(interval: (alert.periodEnd - 1) / second))
                #expect(sample.packets == 0)
            }
            // Listed: the six packets' intervals, the bandwidth change of the example's timeline (at 120 s)
            // in both directions, the five firings.
            let listed = report.intervals.directions.reduce(0) { $0 + $1.samples.count }
            #expect(listed == 6 + 2 + 5)

            let path = { (name: String) in (out as NSString).appendingPathComponent(name) }
            #expect(try fileSize(path("report.json")) < 16 << 10)
            #expect(try fileSize(path("metrics.csv")) < 2 << 10)
            #expect(try fileSize(path("throughput.svg")) < 48 << 10)
            let rows = try String(contentsOfFile: path("metrics.csv"), encoding: .utf8).split(separator: "\n")
            #expect(rows.count == 1 + listed)
            let decoded = try JSONDecoder().decode(ReplayReport.self, from: Data(contentsOf: URL(fileURLWithPath: path("report.json"))))
            #expect(decoded == report)
        }
    }

    /// `--interval 1h` with the example's 10 s alert period: refused when the session is created, in the
    /// units of the file and the flag, and no output (not even the directory) exists.
    @Test func anAlertPeriodShorterThanTheIntervalFailsBeforeAnyOutput() throws {
        try withReplayDirectory { directory in
            let out = (directory as NSString).appendingPathComponent("out")
            let topology = try loadCapture("inter-region-bandwidth.yaml").topology
            #expect(topology.alerts.map(\.period) == [10 * second])
            #expect {
                _ = try ReplaySession(topology: topology, outputDirectory: out, options: .init(interval: 3_600 * second))
            } throws: { error in
                "\(error)" == "alert rule 'throttling': period 10s is shorter than the metrics interval 1h (--interval)"
            }
            #expect(!FileManager.default.fileExists(atPath: out))
            #expect {
                _ = try ReplaySession(topology: topology, outputDirectory: out, options: .init(interval: 4 * second))
            } throws: { error in
                "\(error)" == "alert rule 'throttling': period 10s is not a whole multiple of the metrics interval 4s (--interval)"
            }
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    /// `totals` counts each packet's captured bytes (capinfos' "data size", ARP included) and its IP bytes
    /// (0 for ARP and for packets whose IP header is unreadable), delivered and dropped alike.
    @Test func totalsCountCapturedAndIPBytes() throws {
        let sample = packageRoot.appendingPathComponent("captures/sample.pcapng").path
        var capturedLengths: [Int] = []
        let reader = try PcapReader(path: sample)
        var batch = PacketBatch()
        while try reader.nextBatch(into: &batch) {
            batch.withUnsafeBytes { bytes in
                for index in 0..<batch.count { capturedLengths.append(batch.frame(index, in: bytes).count) }
            }
        }
        try withReplayDirectory { directory in
            let session = try ReplaySession(topology: loadCapture("two-vpcs-same-account.yaml").topology, outputDirectory: directory)
            #expect(try session.feed(.captures([sample])) == .completed)
            let totals = try session.finish().totals
            #expect(totals.packets == Int64(capturedLengths.count))
            #expect(totals.capturedBytes == Int64(capturedLengths.reduce(0, +)))
            #expect(totals.capturedBytes == totals.deliveredCapturedBytes + totals.droppedCapturedBytes)
            #expect(totals.ipBytes == totals.deliveredIPBytes + totals.droppedIPBytes)
            #expect(totals.ipBytes < totals.capturedBytes)
            if let tshark = TsharkTotals(sample) {
                #expect(totals.capturedBytes == tshark.capturedBytes)
                #expect(totals.ipBytes == tshark.ipBytes)
            }
        }
    }
}

/// What tshark counts in a capture: the captured length of every frame, and the IP bytes of each frame
/// whose IP header is sound (IPv4 with a good header checksum: total length; IPv6 under its EtherType:
/// 40 + payload length). Nil when tshark is not installed.
struct TsharkTotals {
    var capturedBytes: Int64 = 0
    var ipBytes: Int64 = 0

    init?(_ path: String) {
        let executable = "/usr/bin/tshark"
        guard FileManager.default.isExecutableFile(atPath: executable) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-o", "ip.check_checksum:TRUE", "-r", path, "-T", "fields", "-E", "separator=/t",
                             "-e", "frame.cap_len", "-e", "ip.len", "-e", "ip.checksum.status", "-e", "eth.type", "-e", "ipv6.plen"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 5, let captured = Int64(fields[0]) else { return nil }
            capturedBytes += captured
            if let length = Int64(fields[1].split(separator: ",").first ?? ""), fields[2].hasPrefix("1") {
                ipBytes += length
            } else if let payload = Int64(fields[4]), fields[3].split(separator: ",").last == "0x86dd" {
                ipBytes += 40 + payload
            }
        }
    }
}
