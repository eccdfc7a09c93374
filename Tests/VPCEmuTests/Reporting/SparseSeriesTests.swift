import Foundation
import Testing
@testable import VPCEmu

extension IntervalSeries {
    /// The series expanded to one entry per interval, zeros for idle ones (only for short spans).
    func denseCounters(direction: Int) -> [DirectionCounters] {
        var dense = [DirectionCounters](repeating: DirectionCounters(), count: Int(intervalCount))
        for sample in activeIntervals(direction: direction) { dense[Int(sample.index)] = sample.counters }
        return dense
    }
}

/// The slow, obviously-correct meter: one slot per interval and direction, idle ones included. A packet
/// stamped earlier than the interval being filled counts in that interval (the meter's documented rule).
struct DenseReferenceMeter {
    let directions: [MeteredDirection]
    let interval: Int64
    let origin: Int64
    /// slots[interval][direction]
    var slots: [[DirectionCounters]] = []
    var filling = 0

    private mutating func slot(at time: Int64) -> Int {
        let index = time < origin ? 0 : Int((time - origin) / interval)
        filling = max(filling, index)
        while slots.count <= filling { slots.append(Array(repeating: DirectionCounters(), count: directions.count)) }
        return filling
    }

    mutating func forwarded(_ direction: Int, bytes: Int64, at time: Int64, delay: Int64) {
        let index = slot(at: time)
        slots[index][direction].packets += 1
        slots[index][direction].bytes += bytes
        slots[index][direction].maxShapingDelay = max(slots[index][direction].maxShapingDelay, delay)
    }

    mutating func throttled(_ direction: Int, bytes: Int64, at time: Int64) {
        let index = slot(at: time)
        slots[index][direction].throttledPackets += 1
        slots[index][direction].throttledBytes += bytes
    }

    func intervalCount(through end: Int64) -> Int { max(slots.count, end >= origin ? Int((end - origin) / interval) + 1 : 0) }

    /// The counters of `direction` for each of `count` intervals.
    func column(_ direction: Int, count: Int) -> [DirectionCounters] {
        (0..<count).map { $0 < slots.count ? slots[$0][direction] : DirectionCounters() }
    }

    /// Alert evaluation walking every period of the dense series (what `AlertEvaluator` did before it was
    /// made sparse).
    func evaluate(_ rules: [AlertRule], count: Int) -> [FiredAlert] {
        var fired: [FiredAlert] = []
        for rule in rules {
            let intervalsPerPeriod = Int(rule.period / interval)
            for (index, direction) in directions.enumerated() where rule.watches(direction.key) {
                let dense = column(index, count: count)
                var run = 0
                var runStart: Int64 = 0
                var periodFirst = 0
                while periodFirst < dense.count {
                    let periodEnd = min(periodFirst + intervalsPerPeriod, dense.count)
                    var counters = DirectionCounters()
                    for interval in periodFirst..<periodEnd { counters.add(dense[interval]) }
                    let start = origin + Int64(periodFirst) * interval
                    let duration = Int64(periodEnd - periodFirst) * interval
                    let value = rule.metric.value(of: counters, duration: duration,
                                                  rateLimitBitsPerSecond: direction.rateLimit(from: start, to: start + duration))
                    if let value, rule.comparison.holds(value, rule.threshold) {
                        if run == 0 { runStart = start }
                        run += 1
                        if run == rule.consecutivePeriods {
                            fired.append(FiredAlert(
                                rule: rule.name, peering: direction.key.peering, direction: direction.key.direction,
                                metric: rule.metric, comparison: rule.comparison, threshold: rule.threshold,
                                consecutivePeriods: rule.consecutivePeriods, runStart: runStart,
                                periodStart: start, periodEnd: start + duration, value: value))
                        }
                    } else {
                        run = 0
                    }
                    periodFirst = periodEnd
                }
            }
        }
        return fired
    }
}

/// A seeded random workload: bursts, long idle gaps, packets out of order, limits that change.
struct RandomMeterWorkload {
    let directions: [MeteredDirection]
    let interval: Int64 = 1_000
    let origin: Int64
    let end: Int64
    let series: IntervalSeries
    let reference: DenseReferenceMeter

    init(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let origin = Int64.random(in: 0..<1_000_000, using: &random)
        self.origin = origin
        func changes(_ count: Int) -> [MeteredDirection.RateLimitChange] {
            (0..<count).map { _ in Int64.random(in: 0..<4_000_000, using: &random) }.sorted().map { time in
                .init(time: origin + time, bitsPerSecond: Bool.random(using: &random) ? nil : Int64.random(in: 1...20, using: &random) * 1_000_000_000)
            }
        }
        let directions = [
            MeteredDirection(PeeringDirectionKey(peering: "a", direction: .requesterToAccepter), rateLimitBitsPerSecond: 8_000_000_000,
                             rateLimitChanges: changes(3)),
            MeteredDirection(PeeringDirectionKey(peering: "a", direction: .accepterToRequester), rateLimitBitsPerSecond: 4_000_000_000),
            MeteredDirection(PeeringDirectionKey(peering: "b", direction: .requesterToAccepter), rateLimitChanges: changes(2)),
        ]
        self.directions = directions
        let interval = self.interval
        var meter = try TrafficMeter(directions: directions, interval: interval, origin: origin)
        var reference = DenseReferenceMeter(directions: directions, interval: interval, origin: origin)
        var time = origin
        for _ in 0..<2_000 {
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<70: time += Int64.random(in: 0..<400, using: &random)
            case 70..<88: time += Int64.random(in: 0..<20_000, using: &random)
            case 88..<97: time += Int64.random(in: 0..<400_000, using: &random)  // up to 400 idle intervals
            default: time -= Int64.random(in: 0..<3_000, using: &random)  // out of order
            }
            let direction = Int.random(in: 0..<directions.count, using: &random)
            let bytes = Int64.random(in: 0...1_500, using: &random)
            if Int.random(in: 0..<4, using: &random) == 0 {
                meter.recordThrottled(direction: direction, bytes: Int(bytes), at: time)
                reference.throttled(direction, bytes: bytes, at: time)
            } else {
                let delay = Bool.random(using: &random) ? 0 : Int64.random(in: 0..<5_000, using: &random)
                meter.recordForwarded(direction: direction, bytes: Int(bytes), at: time, shapingDelay: delay)
                reference.forwarded(direction, bytes: bytes, at: time, delay: delay)
            }
        }
        let end = time + Int64.random(in: 0..<300_000, using: &random)  // an idle tail
        self.end = end
        series = meter.finish(through: end)
        self.reference = reference
    }
}

@Suite struct SparseSeriesTests {
    /// The sparse series, expanded, is what the dense reference counted, interval by interval.
    @Test(arguments: 1...12 as ClosedRange<UInt64>)
    func sparseEqualsTheDenseReference(seed: UInt64) throws {
        let workload = try RandomMeterWorkload(seed: seed)
        let series = workload.series, reference = workload.reference
        let count = reference.intervalCount(through: workload.end)
        #expect(series.intervalCount == Int64(count))
        var busy = 0
        for direction in workload.directions.indices {
            let expected = reference.column(direction, count: count)
            #expect(series.denseCounters(direction: direction) == expected, "direction \(direction)")
            var total = DirectionCounters()
            for counters in expected { total.add(counters) }
            #expect(series.totals(direction: direction) == total)
            busy += expected.filter { !$0.isEmpty }.count
            // Point lookups agree with the expansion, idle intervals included.
            for index in stride(from: 0, to: count, by: 37) {
                #expect(series.counters(interval: Int64(index), direction: direction) == expected[index])
            }
            // The outputs list traffic and limit changes, nothing else.
            let changes = workload.directions[direction].rateLimitChanges.map { (($0.time - workload.origin) / workload.interval) }
                .filter { $0 < count }
            let listed = Set(expected.indices.filter { !expected[$0].isEmpty }.map(Int64.init) + changes)
            #expect(series.reportedIntervals(direction: direction) == listed.sorted())
        }
        // Stored: one sample per interval and direction with traffic, never one per interval of the span.
        #expect(series.storedSampleCount == busy)
        #expect(busy < count * workload.directions.count / 4, "the workload has idle stretches")
    }

    /// Random rules of every metric and comparison: the sparse evaluation fires exactly the alerts that
    /// walking every dense period fires.
    @Test(arguments: 1...12 as ClosedRange<UInt64>)
    func alertsOnSparseEqualAlertsOnTheDenseExpansion(seed: UInt64) throws {
        let workload = try RandomMeterWorkload(seed: seed)
        let count = workload.reference.intervalCount(through: workload.end)
        var random = SeededGenerator(seed: seed &* 7919)
        var rules: [AlertRule] = []
        for number in 0..<40 {
            let metric = Metric.allCases.randomElement(using: &random)!
            let period = workload.interval * Int64.random(in: 1...6, using: &random)
            // Thresholds around real values of the series, and the edges 0 and 1.
            let sample = workload.reference.slots.randomElement(using: &random)!.randomElement(using: &random)!
            let real = metric.value(of: sample, duration: workload.interval, rateLimitBitsPerSecond: 8_000_000_000) ?? 0
            let threshold = [0, 1, real, real / 2, real * 2].randomElement(using: &random)!
            let scope: (String?, PeeringDirectionKey.Direction?) = [(nil, nil), ("a", nil), ("a", .accepterToRequester), ("b", nil)]
                .randomElement(using: &random)!
            rules.append(AlertRule(name: "r\(number)", metric: metric, period: period,
                                   comparison: AlertRule.Comparison.allCases.randomElement(using: &random)!,
                                   threshold: threshold, consecutivePeriods: Int.random(in: 1...8, using: &random),
                                   peering: scope.0, direction: scope.1))
        }
        let sparse = try AlertEvaluator.evaluate(rules, on: workload.series)
        let dense = workload.reference.evaluate(rules, count: count)
        #expect(sparse == dense)
        #expect(!dense.isEmpty)
    }

    /// An idle interval is a zero sample: "< 1 packet for 3 periods" fires inside an idle gap, and "> 0
    /// for 3 periods" does not bridge one.
    @Test func anIdleGapIsZeroSamples() throws {
        let key = PeeringDirectionKey(peering: "p", direction: .requesterToAccepter)
        var meter = try TrafficMeter(directions: [MeteredDirection(key)], interval: second, origin: 0)
        for interval: Int64 in [0, 1, 5, 6, 7, 8] { meter.recordForwarded(direction: 0, bytes: 100, at: interval * second) }
        let series = meter.finish(through: 9 * second)
        let quiet = AlertRule(name: "quiet", metric: .packets, period: second, comparison: .lessThan, threshold: 1, consecutivePeriods: 3)
        let busy = AlertRule(name: "busy", metric: .packets, period: second, comparison: .greaterThan, threshold: 0, consecutivePeriods: 3)
        let fired = try AlertEvaluator.evaluate([quiet, busy], on: series)
        #expect(fired.map(\.rule) == ["quiet", "busy"])
        // Idle 2, 3, 4: the run starts at 2 s and completes with the period [4 s, 5 s).
        #expect(fired[0].runStart == 2 * second && fired[0].periodStart == 4 * second && fired[0].value == 0)
        // 0–1 is two in a row; 5–8 completes at [7 s, 8 s).
        #expect(fired[1].runStart == 5 * second && fired[1].periodStart == 7 * second)
        // The alert firing inside the gap gets a (zero) sample in the outputs.
        #expect(series.marking(fired).reportedIntervals(direction: 0) == [0, 1, 4, 5, 6, 7, 8])
    }

    /// Two packets three years apart, metered per second (94.6 million intervals): two samples stored,
    /// and alerts over the gap are evaluated in a few steps, at the right periods.
    @Test func alertsOverAGapOfYears() throws {
        let day: Int64 = 86_400 * second, years = 3 * 365 * day
        let key = PeeringDirectionKey(peering: "p", direction: .requesterToAccepter)
        var meter = try TrafficMeter(directions: [MeteredDirection(key, rateLimitBitsPerSecond: 1_000_000,
                                                                   rateLimitChanges: [.init(time: 400 * day, bitsPerSecond: 2_000_000)])],
                                     interval: second, origin: 0)
        meter.recordForwarded(direction: 0, bytes: 1_000, at: second / 2)
        meter.recordForwarded(direction: 0, bytes: 1_000, at: years)
        #expect(meter.storedSampleCount == 1)  // the open interval is not stored yet
        let series = meter.finish(through: years)
        #expect(series.intervalCount == years / second + 1)
        #expect(series.storedSampleCount == 2)
        let rules = [
            AlertRule(name: "silent", metric: .packets, period: second, comparison: .lessThan, threshold: 1, consecutivePeriods: 10_000),
            AlertRule(name: "idle-year", metric: .bandwidthUtilization, period: day, comparison: .lessThanOrEqual, threshold: 0,
                      consecutivePeriods: 365),
            AlertRule(name: "busy", metric: .packets, period: second, comparison: .greaterThan, threshold: 0, consecutivePeriods: 2),
        ]
        let fired = try AlertEvaluator.evaluate(rules, on: series)
        #expect(fired.map(\.rule) == ["silent", "idle-year"])
        #expect(fired[0].runStart == second && fired[0].periodStart == 10_000 * second && fired[0].value == 0)
        // Day 0 had traffic; days 1–365 are idle (the run goes on through the limit change at day 400 and
        // ends with the packet on the last day, without a second firing).
        #expect(fired[1].runStart == day && fired[1].periodStart == 365 * day && fired[1].periodEnd == 366 * day)
        // The outputs list the two packets' intervals, the limit change's and the two firings'.
        let expected: [Int64] = [0, 10_000, 366 * 86_400 - 1, 400 * 86_400, years / second]
        #expect(series.marking(fired).reportedIntervals(direction: 0) == expected)
    }
}
