import Testing
@testable import VPCEmu

/// A small hand-made replay: three directions, four 1 s intervals starting at 1,000 s.
func sampleSeries() throws -> IntervalSeries {
    let origin: Int64 = 1_000_000_000_000
    var meter = try TrafficMeter(directions: [
        MeteredDirection(PeeringDirectionKey(peering: "hz-sg", direction: .requesterToAccepter), rateLimitBitsPerSecond: 8_000_000),
        MeteredDirection(PeeringDirectionKey(peering: "hz-sg", direction: .accepterToRequester), rateLimitBitsPerSecond: 8_000_000),
        MeteredDirection(PeeringDirectionKey(peering: "hz,bj", direction: .requesterToAccepter)),
    ], interval: 1_000_000_000, origin: origin)
    meter.recordForwarded(direction: 0, bytes: 1_000, at: origin + 100_000_000)
    meter.recordForwarded(direction: 0, bytes: 1_500, at: origin + 200_000_000, shapingDelay: 2_000_000)
    meter.recordThrottled(direction: 0, bytes: 1_000, at: origin + 300_000_000)
    meter.recordForwarded(direction: 2, bytes: 100, at: origin + 500_000_000)
    meter.recordForwarded(direction: 1, bytes: 500, at: origin + 2_500_000_000)
    return meter.finish(through: origin + 3_200_000_000)
}

@Suite struct TrafficMeterTests {
    /// 10 Mbit/s, 20 Mbit/s from 120 s, unlimited from 200 s: exact inside one limit, the
    /// time-weighted mean across a change, undefined once any part is unlimited.
    @Test func aChangedLimitIsWeightedByTheTimeItHeld() {
        let second: Int64 = 1_000_000_000
        let direction = MeteredDirection(PeeringDirectionKey(peering: "p", direction: .requesterToAccepter), rateLimitBitsPerSecond: 10_000_000,
                                         rateLimitChanges: [.init(time: 120 * second, bitsPerSecond: 20_000_000), .init(time: 200 * second, bitsPerSecond: nil)])
        #expect(direction.rateLimit(from: 0, to: second) == 10_000_000)
        #expect(direction.rateLimit(from: 119 * second, to: 120 * second) == 10_000_000)
        #expect(direction.rateLimit(from: 120 * second, to: 121 * second) == 20_000_000)
        #expect(direction.rateLimit(from: 115 * second, to: 125 * second) == 15_000_000)
        #expect(direction.rateLimit(from: 112 * second, to: 122 * second) == 12_000_000)
        #expect(direction.rateLimit(from: 195 * second, to: 205 * second) == nil)
        #expect(direction.rateLimit(from: 300 * second, to: 301 * second) == nil)
    }

    @Test func countsLandInTheirIntervalsAndIdleIntervalsReadAsZero() throws {
        let series = try sampleSeries()
        #expect(series.intervalCount == 4)
        var first = DirectionCounters()
        first.packets = 2
        first.bytes = 2_500
        first.throttledPackets = 1
        first.throttledBytes = 1_000
        first.maxShapingDelay = 2_000_000
        #expect(series.counters(interval: 0, direction: 0) == first)
        #expect(series.counters(interval: 1, direction: 0) == DirectionCounters())
        #expect(series.counters(interval: 2, direction: 1).bytes == 500)
        #expect(series.counters(interval: 3, direction: 1).isEmpty)
        #expect(series.totals(direction: 0) == first)
        #expect(series.denseCounters(direction: 1).map(\.bytes) == [0, 0, 500, 0])
        // Stored: interval 0 of directions 0 and 2, interval 2 of direction 1; nothing for idle ones.
        #expect(series.storedSampleCount == 3)
        #expect(series.activeIntervals(direction: 1).map(\.index) == [2])
    }

    @Test func latePacketsCountInTheOpenIntervalAndTheSeriesCanEndEarly() throws {
        var meter = try TrafficMeter(
            directions: [MeteredDirection(PeeringDirectionKey(peering: "p", direction: .requesterToAccepter))],
            interval: 10, origin: 100)
        meter.recordForwarded(direction: 0, bytes: 1, at: 125)
        meter.recordForwarded(direction: 0, bytes: 2, at: 90)   // before the origin and before interval 2
        meter.recordThrottled(direction: 0, bytes: 4, at: 129)
        let series = meter.finish()
        #expect(series.intervalCount == 3)
        #expect(series.counters(interval: 2, direction: 0).bytes == 3)
        #expect(series.counters(interval: 2, direction: 0).throttledBytes == 4)
    }

    @Test func badSetupsAreRejected() {
        let key = PeeringDirectionKey(peering: "p", direction: .accepterToRequester)
        #expect(throws: TrafficMeter.MeterError.intervalNotPositive(0)) {
            try TrafficMeter(directions: [], interval: 0, origin: 0)
        }
        #expect(throws: TrafficMeter.MeterError.duplicateDirection(key)) {
            try TrafficMeter(directions: [MeteredDirection(key), MeteredDirection(key)], interval: 1, origin: 0)
        }
    }

    /// The flow of the token-bucket test — 160 Mbit/s of 1,000-byte packets into an 80 Mbit/s peering with
    /// a 100,000-byte burst — metered per second. Forwarded packets up to packet k number
    /// ⌊(B + R·t_k/8) / L⌋ (derived in TokenBucketPolicingTests), so each interval's count is the difference
    /// of that formula at the interval's last packet and at the previous interval's last packet.
    @Test func perSecondThrottlingOfATwiceTheBandwidthFlowMatchesTheArithmetic() throws {
        let rate: Int64 = 80_000_000, burst: Int64 = 100_000, packet: Int64 = 1_000, gap: Int64 = 50_000
        let perSecond: Int64 = 20_000
        let key = PeeringDirectionKey(peering: "hz-sg", direction: .requesterToAccepter)
        var meter = try TrafficMeter(directions: [MeteredDirection(key, rateLimitBitsPerSecond: rate)],
                                     interval: 1_000_000_000, origin: 0)
        var bucket = TokenBucket(try .init(rateBitsPerSecond: rate, burstBytes: burst), start: 0)
        for k in 0..<(10 * perSecond) {
            let time = k * gap
            switch bucket.offer(bytes: Int(packet), at: time) {
            case .forwarded: meter.recordForwarded(direction: 0, bytes: Int(packet), at: time)
            case .dropped: meter.recordThrottled(direction: 0, bytes: Int(packet), at: time)
            }
        }
        let series = meter.finish()
        func forwardedThrough(_ k: Int64) -> Int64 { (burst * 8 * 1_000_000_000 + rate * k * gap) / (packet * 8 * 1_000_000_000) }
        #expect(series.intervalCount == 10)
        for interval in 0..<10 {
            let last = Int64(interval + 1) * perSecond - 1
            let expected = forwardedThrough(last) - (interval == 0 ? 0 : forwardedThrough(last - perSecond))
            let counters = series.counters(interval: Int64(interval), direction: 0)
            #expect(counters.packets == expected, "interval \(interval)")
            #expect(counters.throttledPackets == perSecond - expected, "interval \(interval)")
        }
        #expect(series.counters(interval: 0, direction: 0).throttledPackets == 9_901)
        let steady = series.counters(interval: 5, direction: 0)
        #expect(Metric.bandwidth.value(of: steady, duration: series.interval, rateLimitBitsPerSecond: rate) == 80_000_000)
        #expect(Metric.throttledPercent.value(of: steady, duration: series.interval, rateLimitBitsPerSecond: rate) == 50)
        #expect(Metric.bandwidthUtilization.value(of: steady, duration: series.interval, rateLimitBitsPerSecond: rate) == 100)
    }
}

@Suite struct MetricsCSVTests {
    /// Rows only for intervals with traffic in their direction: the idle intervals 1 and 3, and the idle
    /// directions of intervals 0 and 2, have none.
    @Test func matchesTheGoldenFile() throws {
        let golden = """
            interval_start_ns,interval_end_ns,offset_seconds,peering,direction,cloud_monitor_side,bandwidth_limit_bps,packets,bytes,bandwidth_bps,packets_per_second,throttled_packets,throttled_bytes,throttled_pps,throttled_percent,bandwidth_utilization_percent,max_shaping_delay_ns
            1000000000000,1001000000000,0,hz-sg,requester-to-accepter,inbound,8000000,2,2500,20000,2,1,1000,1,33.333333,0.25,2000000
            1000000000000,1001000000000,0,"hz,bj",requester-to-accepter,inbound,,1,100,800,1,0,0,0,0,,0
            1002000000000,1003000000000,2,hz-sg,accepter-to-requester,outbound,8000000,1,500,4000,1,0,0,0,0,0.05,0

            """
        #expect(MetricsCSV.render(try sampleSeries()) == golden)
    }

    /// A dense span adds the idle rows inside it: over the whole replay, every interval and direction.
    @Test func aDenseSpanWritesEveryIntervalInside() throws {
        let golden = """
            interval_start_ns,interval_end_ns,offset_seconds,peering,direction,cloud_monitor_side,bandwidth_limit_bps,packets,bytes,bandwidth_bps,packets_per_second,throttled_packets,throttled_bytes,throttled_pps,throttled_percent,bandwidth_utilization_percent,max_shaping_delay_ns
            1000000000000,1001000000000,0,hz-sg,requester-to-accepter,inbound,8000000,2,2500,20000,2,1,1000,1,33.333333,0.25,2000000
            1000000000000,1001000000000,0,"hz,bj",requester-to-accepter,inbound,,1,100,800,1,0,0,0,0,,0
            1001000000000,1002000000000,1,hz-sg,requester-to-accepter,inbound,8000000,0,0,0,0,0,0,0,0,0,0
            1001000000000,1002000000000,1,hz-sg,accepter-to-requester,outbound,8000000,0,0,0,0,0,0,0,0,0,0
            1001000000000,1002000000000,1,"hz,bj",requester-to-accepter,inbound,,0,0,0,0,0,0,0,0,,0
            1002000000000,1003000000000,2,hz-sg,requester-to-accepter,inbound,8000000,0,0,0,0,0,0,0,0,0,0
            1002000000000,1003000000000,2,hz-sg,accepter-to-requester,outbound,8000000,1,500,4000,1,0,0,0,0,0.05,0
            1002000000000,1003000000000,2,"hz,bj",requester-to-accepter,inbound,,0,0,0,0,0,0,0,0,,0

            """
        let span = try #require(MetricsCSV.DenseSpan(parsing: "1s+1500ms"))
        #expect(span == MetricsCSV.DenseSpan(start: 1_000_000_000, length: 1_500_000_000) && span.description == "1s+1500ms")
        #expect(MetricsCSV.render(try sampleSeries(), dense: span) == golden)
        // Past the end of the replay it stops at the last interval.
        let all = MetricsCSV.render(try sampleSeries(), dense: MetricsCSV.DenseSpan(length: 3_600_000_000_000))
        #expect(all.split(separator: "\n").count == 1 + 4 * 3)
        #expect(MetricsCSV.DenseSpan(parsing: "10m") == MetricsCSV.DenseSpan(length: 600_000_000_000))
        for bad in ["", "0s", "x", "1s+", "+1s", "1s+0"] { #expect(MetricsCSV.DenseSpan(parsing: bad) == nil, "\(bad)") }
        #expect(throws: MetricsCSV.DenseSpanError.tooLong(span: "30d", interval: "1s")) {
            try MetricsCSV.DenseSpan(parsing: "30d")!.validate(interval: 1_000_000_000)
        }
        #expect(throws: Never.self) { try MetricsCSV.DenseSpan(parsing: "30d")!.validate(interval: 3_600_000_000_000) }
    }

    @Test func theSameReplayGivesTheSameBytes() throws {
        #expect(MetricsCSV.render(try sampleSeries()) == MetricsCSV.render(try sampleSeries()))
    }

    @Test func fieldsAreQuotedOnlyWhenNeeded() {
        #expect(MetricsCSV.escape("plain") == "plain")
        #expect(MetricsCSV.escape("a,b") == "\"a,b\"")
        #expect(MetricsCSV.escape("say \"hi\"") == "\"say \"\"hi\"\"\"")
    }

    @Test func metricValuesPrintTheSameEverywhere() {
        #expect(formatMetricValue(20_000) == "20000")
        #expect(formatMetricValue(100.0 / 3) == "33.333333")
        #expect(formatMetricValue(0.05) == "0.05")
        #expect(formatMetricValue(0) == "0")
    }
}
