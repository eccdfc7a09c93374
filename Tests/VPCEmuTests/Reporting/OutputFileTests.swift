import Foundation
import Testing
@testable import VPCEmu

/// A fresh empty directory, removed afterwards.
private func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("vpcemu-reporting-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try body(directory)
}

private func contents(of directory: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
}

@Suite struct AtomicFileTests {
    @Test func aCommittedFileAppearsWholeAndNothingElseIsLeft() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/metrics.csv"
            var file = try AtomicFile(path: path)
            try file.write("a,b\n")
            // Until commit the destination does not exist; only the temporary file does.
            #expect(!FileManager.default.fileExists(atPath: path))
            #expect(try contents(of: directory) == [".metrics.csv.partial-\(getpid())-0"])
            try file.write([UInt8](repeating: 0x31, count: 3))
            try file.commit()
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "a,b\n111")
            #expect(try contents(of: directory) == ["metrics.csv"])
        }
    }

    @Test func anAbandonedOrDroppedFileLeavesThePreviousContent() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/report.json"
            try AtomicFile.write("old", to: path)
            var abandoned = try AtomicFile(path: path)
            try abandoned.write("new but unfinished")
            abandoned.abandon()
            do {
                var dropped = try AtomicFile(path: path)
                try dropped.write("also unfinished")
            }
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")
            #expect(try contents(of: directory) == ["report.json"])
            try AtomicFile.write("new", to: path)
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "new")
        }
    }

    @Test func errorsNameThePath() throws {
        #expect(throws: AtomicFileError.system(
            operation: "create a temporary file for", path: "/nonexistent-vpcemu-dir/out.svg", errno: ENOENT)) {
            try AtomicFile.write("x", to: "/nonexistent-vpcemu-dir/out.svg")
        }
        #expect(AtomicFileError.system(operation: "write", path: "/x/y", errno: ENOSPC).description
                == "cannot write '/x/y': No space left on device")
        #expect(throws: AtomicFileError.invalidPath("out/")) { try AtomicFile.write("x", to: "out/") }
    }

    @Test func theWritersGoThroughIt() throws {
        try withTemporaryDirectory { directory in
            let series = try sampleSeries()
            try MetricsCSV.write(series, to: directory + "/metrics.csv")
            try ThroughputPlot.write(series, to: directory + "/throughput.svg")
            try sampleReport().write(to: directory + "/report.json")
            #expect(try contents(of: directory) == ["metrics.csv", "report.json", "throughput.svg"])
            #expect(try String(contentsOfFile: directory + "/metrics.csv", encoding: .utf8) == MetricsCSV.render(series))
        }
    }

    @Test func aLongCSVIsStreamedInChunksAndStillWhole() throws {
        let key = PeeringDirectionKey(peering: "p", direction: .requesterToAccepter)
        var meter = try TrafficMeter(directions: [MeteredDirection(key, rateLimitBitsPerSecond: 1_000)],
                                     interval: 1_000, origin: 0)
        for interval in Int64(0)..<3_000 { meter.recordForwarded(direction: 0, bytes: Int(interval), at: interval * 1_000) }
        let series = meter.finish()
        let rendered = MetricsCSV.render(series)
        #expect(rendered.utf8.count > 3 << 16)
        try withTemporaryDirectory { directory in
            try MetricsCSV.write(series, to: directory + "/metrics.csv")
            #expect(try String(contentsOfFile: directory + "/metrics.csv", encoding: .utf8) == rendered)
        }
    }
}

func sampleReport() throws -> ReplayReport {
    var estimator = CostEstimator()
    estimator.addOutbound(account: "account-a", linkType: .gold, bytes: 2_500)
    let series = try sampleSeries()
    let rule = AlertRule(name: "any-throttling", metric: .throttledPackets, period: 1_000_000_000,
                         comparison: .greaterThan, threshold: 0)
    var totals = ReplayReport.Totals()
    totals.add(.delivered, captured: 1_514, ip: 1_500)
    totals.add(.dropped, captured: 60, ip: 0)
    return ReplayReport(
        emulatedStart: 1_000_100_000_000, emulatedEnd: 1_002_500_000_000, totals: totals,
        dropsByReason: ["throttled": 1, "no-route": 3, "malformed": 1],
        series: series, alerts: try AlertEvaluator.evaluate([rule], on: series),
        cost: estimator.estimate(prices: PriceTable()))
}

@Suite struct ReplayReportTests {
    @Test func jsonHasSortedSnakeCaseKeysAndRoundTrips() throws {
        let report = try sampleReport()
        let data = try report.jsonData()
        let text = String(decoding: data, as: UTF8.self)
        #expect(text == String(decoding: try sampleReport().jsonData(), as: UTF8.self))
        #expect(text.hasSuffix("}\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object.keys.sorted() == ["alerts", "connections_refused", "cost", "drops_by_reason", "emulated_end_ns", "emulated_start_ns",
                                         "format_version", "intervals", "peerings", "totals"])
        // Top-level keys appear in sorted order in the text, and so do the drop reasons.
        let positions = ["\"alerts\"", "\"cost\"", "\"drops_by_reason\"", "\"emulated_end_ns\""].map {
            text.range(of: $0)?.lowerBound
        }
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted() && !positions.contains(nil))
        #expect(text.contains(#""drops_by_reason" : {\#n    "malformed" : 1,\#n    "no-route" : 3,\#n    "throttled" : 1\#n  }"#))
        #expect(try JSONDecoder().decode(ReplayReport.self, from: data) == report)
    }

    @Test func sectionsCarryTheSeries() throws {
        let report = try sampleReport()
        #expect(report.peerings.map(\.peering) == ["hz-sg", "hz-sg", "hz,bj"])
        #expect(report.peerings[0].throttledPackets == 1 && report.peerings[0].bandwidthLimit == 8_000_000)
        #expect(report.peerings[2].bandwidthLimit == nil)
        #expect(report.intervals.intervalCount == 4)
        // Sparse: only the interval with traffic is listed, with its index.
        #expect(report.intervals.directions[1].samples.map(\.bandwidth) == [4_000])
        #expect(report.intervals.directions[1].samples.map(\.index) == [2])
        #expect(report.intervals.directions[1].sample(interval: 2)?.start == 1_002_000_000_000)
        #expect(report.intervals.directions[1].sample(interval: 1) == nil)
        #expect(report.intervals.directions[0].samples[0].bandwidthLimit == 8_000_000)
        #expect(report.intervals.directions[2].samples[0].bandwidthUtilization == nil)
        #expect(report.formatVersion == 2)
        #expect(report.totals == {
            var expected = ReplayReport.Totals()
            expected.packets = 2
            expected.capturedBytes = 1_574
            expected.ipBytes = 1_500
            expected.deliveredPackets = 1
            expected.deliveredCapturedBytes = 1_514
            expected.deliveredIPBytes = 1_500
            expected.droppedPackets = 1
            expected.droppedCapturedBytes = 60
            return expected
        }())
        #expect(report.alerts.map(\.periodStart) == [1_000_000_000_000])
        #expect(report.cost.lines.first?.outboundBytes == 2_500)
        let sample = String(decoding: try JSONEncoder().encode(report.intervals.directions[0].samples[0]), as: UTF8.self)
        for key in ["index", "start_ns", "bandwidth_limit_bps", "bandwidth_bps", "throttled_pps", "throttled_percent", "bandwidth_utilization_percent",
                    "max_shaping_delay_ns"] {
            #expect(sample.contains("\"\(key)\""), "\(key)")
        }
    }
}
