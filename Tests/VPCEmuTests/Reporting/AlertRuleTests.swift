import Testing
@testable import VPCEmu

@Suite struct AlertRuleTests {
    static let second: Int64 = 1_000_000_000
    static let throttledKey = PeeringDirectionKey(peering: "hz-sg", direction: .requesterToAccepter)
    static let idleKey = PeeringDirectionKey(peering: "hz-sg", direction: .accepterToRequester)

    /// Ten 1 s intervals; the first direction is throttled (10 drops/s) in seconds 1–5 and 7–8.
    static func series() throws -> IntervalSeries {
        var meter = try TrafficMeter(directions: [
            MeteredDirection(throttledKey, rateLimitBitsPerSecond: 1_000_000), MeteredDirection(idleKey),
        ], interval: second, origin: 0)
        for interval in Int64(0)..<10 {
            meter.recordForwarded(direction: 0, bytes: 1_000, at: interval * second)
            if (1...5).contains(interval) || (7...8).contains(interval) {
                for drop in Int64(0)..<10 { meter.recordThrottled(direction: 0, bytes: 100, at: interval * second + drop) }
            }
        }
        return meter.finish(through: 10 * second - 1)
    }

    @Test func firesOnceWhenTheConditionHoldsForTheConsecutivePeriods() throws {
        let rule = AlertRule(name: "throttling", metric: .throttledPacketRate, period: Self.second,
                             comparison: .greaterThan, threshold: 0, consecutivePeriods: 3)
        let fired = try AlertEvaluator.evaluate([rule], on: try Self.series())
        // Seconds 1–5 hold: the alert fires at the end of second 3, once. Seconds 7–8 are only two in a row.
        #expect(fired == [FiredAlert(
            rule: "throttling", peering: "hz-sg", direction: .requesterToAccepter, metric: .throttledPacketRate,
            comparison: .greaterThan, threshold: 0, consecutivePeriods: 3, runStart: Self.second,
            periodStart: 3 * Self.second, periodEnd: 4 * Self.second, value: 10)])
        let twice = AlertRule(name: "twice", metric: .throttledPackets, period: Self.second,
                              comparison: .greaterThanOrEqual, threshold: 10, consecutivePeriods: 2)
        let rearmed = try AlertEvaluator.evaluate([twice], on: try Self.series())
        #expect(rearmed.map(\.periodStart) == [2 * Self.second, 8 * Self.second])
        #expect(rearmed.map(\.runStart) == [Self.second, 7 * Self.second])
        #expect(fired.first?.summary(origin: 0) == "alert 'throttling': hz-sg requester-to-accepter throttled_pps > 0 "
                + "for 3 period(s) from 1 s, fired at 4 s (value 10)")
    }

    @Test func periodsAggregateIntervalsAndTheLastPeriodMayBeShort() throws {
        // 3 s periods: [0,3) has 20 drops, [3,6) 30, [6,9) 20, [9,10) 0 → per second 6.67, 10, 6.67, 0.
        let rule = AlertRule(name: "pps", metric: .throttledPacketRate, period: 3 * Self.second,
                             comparison: .lessThanOrEqual, threshold: 0, consecutivePeriods: 1,
                             peering: "hz-sg", direction: .requesterToAccepter)
        let fired = try AlertEvaluator.evaluate([rule], on: try Self.series())
        #expect(fired.map(\.periodStart) == [9 * Self.second])
        #expect(fired.first?.periodEnd == 10 * Self.second)
        let high = AlertRule(name: "high", metric: .throttledPacketRate, period: 3 * Self.second,
                             comparison: .equal, threshold: 10, consecutivePeriods: 1, peering: "hz-sg")
        #expect(try AlertEvaluator.evaluate([high], on: try Self.series()).map(\.periodStart) == [3 * Self.second])
    }

    @Test func scopeAndUndefinedMetrics() throws {
        let idle = AlertRule(name: "idle", metric: .bandwidth, period: Self.second, comparison: .lessThan,
                             threshold: 1, consecutivePeriods: 10)
        let fired = try AlertEvaluator.evaluate([idle], on: try Self.series())
        #expect(fired.map(\.direction) == [.accepterToRequester])
        // Utilisation is undefined for the unlimited direction, so "< 1 %" never holds there.
        let utilisation = AlertRule(name: "util", metric: .bandwidthUtilization, period: Self.second,
                                    comparison: .lessThan, threshold: 1, consecutivePeriods: 1)
        #expect(try AlertEvaluator.evaluate([utilisation], on: try Self.series()).allSatisfy { $0.direction == .requesterToAccepter })
    }

    @Test func comparisonsParseSymbolsAndCloudMonitorNames() {
        #expect(AlertRule.Comparison(parsing: ">=") == .greaterThanOrEqual)
        #expect(AlertRule.Comparison(parsing: "GreaterThanOrEqualToThreshold") == .greaterThanOrEqual)
        #expect(AlertRule.Comparison(parsing: "LessThanThreshold") == .lessThan)
        #expect(AlertRule.Comparison(parsing: "==") == .equal)
        #expect(AlertRule.Comparison(parsing: "!=") == nil)
        #expect(AlertRule.Comparison.lessThanOrEqual.holds(2, 2) && !AlertRule.Comparison.lessThan.holds(2, 2))
    }

    @Test func invalidRulesNameTheRuleAndTheField() throws {
        let series = try Self.series()
        let base = AlertRule(name: "r", metric: .packets, period: Self.second, comparison: .greaterThan, threshold: 1)
        var rule = base
        rule.period = 1_500_000_000
        #expect(throws: AlertRuleError.invalid(
            rule: "r", field: "period",
            problem: "1500ms is not a whole multiple of the metrics interval 1s (--interval)")) {
            try AlertEvaluator.evaluate([rule], on: series)
        }
        rule = base
        rule.consecutivePeriods = 0
        #expect(throws: AlertRuleError.invalid(rule: "r", field: "consecutive_periods", problem: "0 is less than 1")) {
            try AlertEvaluator.evaluate([rule], on: series)
        }
        rule = base
        rule.peering = "nowhere"
        #expect(throws: AlertRuleError.watchesNothing(rule: "r")) { try AlertEvaluator.evaluate([rule], on: series) }
        #expect(AlertRuleError.watchesNothing(rule: "r").description
                == "alert rule 'r' names a peering or direction that is not metered")
    }
}
