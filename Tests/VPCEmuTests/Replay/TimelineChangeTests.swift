import Foundation
import Testing
@testable import VPCEmu

/// A timeline `modify_peering` (the inter-region example raises pcx-hz-sv from 10 to 20 Mbit/s at
/// 120 s) is followed by the token buckets, the metering's limit, metrics.csv and the cost.
@Suite struct TimelineChangeTests {
    /// The example with the 120 s change also moving the link from Gold to Platinum.
    static func platinumAt120s() throws -> Topology {
        let path = packageRoot.appendingPathComponent("captures/inter-region-bandwidth.yaml").path
        let original = "{at: 120s, action: modify_peering, peering: pcx-hz-sv, bandwidth: 20}"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains(original))
        return try TopologyLoader.load(
            yaml: text.replacingOccurrences(of: original, with: "{at: 120s, action: modify_peering, peering: pcx-hz-sv, bandwidth: 20, link_type: platinum}"),
            file: "platinum.yaml").topology
    }

    @Test func theScheduleHoldsEveryChangeByName() throws {
        let schedule = PeeringTermsSchedule(topology: try loadCapture("inter-region-bandwidth.yaml").topology)
        #expect(schedule.termsByPeering["pcx-hz-sv"] == [
            .init(from: 0, rateLimitBitsPerSecond: 10_000_000, linkType: .gold),
            .init(from: 120 * second, rateLimitBitsPerSecond: 20_000_000, linkType: .gold),
        ])
        #expect(schedule.termsByPeering["pcx-hz-db"] == [.init(from: 0, rateLimitBitsPerSecond: nil, linkType: nil)])
        #expect(schedule.terms(of: "pcx-hz-sv", at: 119 * second)?.rateLimitBitsPerSecond == 10_000_000)
        #expect(schedule.terms(of: "pcx-hz-sv", at: 120 * second)?.rateLimitBitsPerSecond == 20_000_000)
        #expect(schedule.rateLimitChanges(of: "pcx-hz-sv") == [.init(time: 120 * second, bitsPerSecond: 20_000_000)])
        #expect(schedule.terms(of: "pcx-nope", at: 0) == nil)
        let platinum = PeeringTermsSchedule(topology: try Self.platinumAt120s())
        #expect(platinum.terms(of: "pcx-hz-sv", at: 200 * second)?.linkType == .platinum)
    }

    /// 16 Mbit/s of 1,000-byte packets from 118 s to 122 s: throttled to the 10 Mbit/s limit before
    /// the change (utilisation 100 %), all forwarded after it (16 of 20 Mbit/s: 80 %).
    @Test func metricsMeasureEachIntervalAgainstTheLimitInEffect() throws {
        // Emulated time 0 is the first packet's: a ping opens the replay.
        let run = try ScenarioRun("inter-region-bandwidth.yaml", flows: [
            "ping client-hz web-sv count=1", "udp web-sv client-hz 5000 mbps=16 size=1000 duration=4s start=118s",
        ])
        defer { run.remove() }
        let rows = try #require(String(data: try run.file("metrics.csv"), encoding: .utf8)).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = try #require(rows.first)
        func value(_ column: String, second offset: Int) throws -> String {
            let row = try #require(rows.first { $0[2] == "\(offset)" && $0[3] == "pcx-hz-sv" && $0[4] == "accepter-to-requester" })
            return row[try #require(header.firstIndex(of: column))]
        }
        #expect(try value("bandwidth_limit_bps", second: 119) == "10000000")
        #expect(try value("bandwidth_limit_bps", second: 121) == "20000000")
        let before = try #require(Double(try value("bandwidth_utilization_percent", second: 119)))
        #expect(abs(before - 100) <= 0.1)  // within one packet of the limit
        #expect(try value("throttled_packets", second: 119) != "0")
        #expect(try value("bandwidth_utilization_percent", second: 121) == "80")
        #expect(try value("throttled_packets", second: 121) == "0")
        let summary = try #require(run.report.peerings.first { $0.peering == "pcx-hz-sv" && $0.direction == .accepterToRequester })
        #expect(summary.bandwidthLimit == 10_000_000)
        #expect(summary.bandwidthLimitChanges == [.init(time: 120 * second, bitsPerSecond: 20_000_000)])
        let sample = try #require(run.report.intervals.directions.first { $0.peering == "pcx-hz-sv" && $0.direction == .accepterToRequester }?.sample(interval: 121))
        #expect(sample.bandwidthUtilization == 80)
        let svg = try #require(String(data: try run.file("throughput.svg"), encoding: .utf8))
        #expect(svg.contains("<path class=\"limit\""))
        #expect(svg.contains("limit 10 Mbit/s, 20 Mbit/s from 120 s"))
    }

    /// 4 Mbit/s for 2 s before and after a change from Gold to Platinum within the first hour, and
    /// 2 s in the second hour: the first hour changed link type, so each of its bytes is billed at the
    /// higher price (Platinum's 0.09 USD/GB against Gold's 0.072); the second hour is Platinum's alone.
    /// (Before the hourly rule, the first hour's bytes were split at the change.)
    @Test func aLinkTypeChangeBillsItsWholeHourAtTheHigherPrice() throws {
        let run = try ScenarioRun(try Self.platinumAt120s(), flows: [
            "ping client-hz web-sv count=1",
            "udp web-sv client-hz 5000 mbps=4 size=1000 duration=2s start=100s",
            "udp web-sv client-hz 5000 mbps=4 size=1000 duration=2s start=130s",
            "udp web-sv client-hz 5000 mbps=4 size=1000 duration=2s start=3700s",
        ])
        defer { run.remove() }
        #expect(run.report.dropsByReason.isEmpty)
        let lines = run.report.cost.lines.filter { $0.outboundBytes > 0 }
        #expect(lines.allSatisfy { $0.account == "alice" })
        // The ping and its reply (84 bytes each) and three million bytes of streams, all Platinum.
        let bytes = Dictionary(uniqueKeysWithValues: lines.map { ($0.linkType, $0.outboundBytes) })
        #expect(bytes == [.platinum: 3_000_168])
        let prices = try Self.platinumAt120s().pricing
        let platinum = try #require(prices.pricePerGB[.platinum])
        #expect(run.report.cost.totalUSD == prices.cost(bytes: 3_000_168, price: platinum).usd)
        let cycles = run.report.cost.cycles.filter { $0.peering == "pcx-hz-sv" }
        #expect(cycles.map(\.index) == [0, 1])
        #expect(cycles.map(\.start) == [0, 3_600 * second])
        #expect(cycles.map(\.linkTypes) == [[.gold, .platinum], [.platinum]])
        #expect(cycles.map(\.billedLinkType) == [.platinum, .platinum])
        #expect(cycles.map { $0.senders.map(\.outboundBytes).reduce(0, +) } == [2_000_168, 1_000_000])
        #expect(cycles[0].senders.map(\.direction) == [.requesterToAccepter, .accepterToRequester])
    }

    /// Platinum to Gold at 120 s: the first hour is still billed at Platinum, the higher price; the
    /// second hour, Gold's alone, at Gold.
    @Test func aDowngradeBillsItsHourAtThePriceBeforeIt() throws {
        let path = packageRoot.appendingPathComponent("captures/inter-region-bandwidth.yaml").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: "bandwidth: 10, link_type: gold", with: "bandwidth: 10, link_type: platinum")
            .replacingOccurrences(of: "{at: 120s, action: modify_peering, peering: pcx-hz-sv, bandwidth: 20}",
                                  with: "{at: 120s, action: modify_peering, peering: pcx-hz-sv, bandwidth: 20, link_type: gold}")
        let topology = try TopologyLoader.load(yaml: text, file: "downgrade.yaml").topology
        let run = try ScenarioRun(topology, flows: [
            "ping client-hz web-sv count=1",
            "udp web-sv client-hz 5000 mbps=4 size=1000 duration=2s start=130s",
            "udp web-sv client-hz 5000 mbps=4 size=1000 duration=2s start=3700s",
        ])
        defer { run.remove() }
        let lines = run.report.cost.lines.filter { $0.outboundBytes > 0 }
        #expect(Dictionary(uniqueKeysWithValues: lines.map { ($0.linkType, $0.outboundBytes) }) == [.platinum: 1_000_168, .gold: 1_000_000])
        #expect(run.report.cost.cycles.map(\.billedLinkType) == [.platinum, .gold])
    }
}
