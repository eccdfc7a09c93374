/// A threshold alert on a peering-direction metric, shaped like a CloudMonitor alert rule: the metric is
/// aggregated over each `period`, compared with `threshold`, and the alert fires when the comparison holds
/// for `consecutivePeriods` periods in a row (CloudMonitor's "consecutive times", e.g. PutResourceMetricRule's
/// `Times`). It fires once per run of periods and re-arms when the comparison stops holding.
public struct AlertRule: Hashable, Sendable, Codable {
    public var name: String
    public var metric: Metric
    /// Period length in emulated ns; a whole multiple of the metrics interval.
    public var period: Int64
    public var comparison: Comparison
    public var threshold: Double
    public var consecutivePeriods: Int
    /// Restricts the rule to one peering (and optionally one direction); nil watches every direction.
    public var peering: String?
    public var direction: PeeringDirectionKey.Direction?

    public init(name: String, metric: Metric, period: Int64, comparison: Comparison, threshold: Double,
                consecutivePeriods: Int = 1, peering: String? = nil, direction: PeeringDirectionKey.Direction? = nil) {
        self.name = name
        self.metric = metric
        self.period = period
        self.comparison = comparison
        self.threshold = threshold
        self.consecutivePeriods = consecutivePeriods
        self.peering = peering
        self.direction = direction
    }

    public enum Comparison: String, Hashable, Sendable, Codable, CaseIterable {
        case greaterThan = ">"
        case greaterThanOrEqual = ">="
        case lessThan = "<"
        case lessThanOrEqual = "<="
        case equal = "=="

        /// Accepts the symbols and CloudMonitor's operator names (`GreaterThanOrEqualToThreshold`, …).
        public init?(parsing text: String) {
            switch text {
            case ">", "GreaterThanThreshold": self = .greaterThan
            case ">=", "GreaterThanOrEqualToThreshold": self = .greaterThanOrEqual
            case "<", "LessThanThreshold": self = .lessThan
            case "<=", "LessThanOrEqualToThreshold": self = .lessThanOrEqual
            case "==", "=", "EqualToThreshold": self = .equal
            default: return nil
            }
        }

        public func holds(_ value: Double, _ threshold: Double) -> Bool {
            switch self {
            case .greaterThan: value > threshold
            case .greaterThanOrEqual: value >= threshold
            case .lessThan: value < threshold
            case .lessThanOrEqual: value <= threshold
            case .equal: value == threshold
            }
        }
    }

    /// Checks the rule against the metrics interval; the error names the rule and the field, with
    /// durations in units (`5s`, `1h`) as the topology file and `--interval` take them.
    public func validate(interval: Int64) throws(AlertRuleError) {
        guard !name.isEmpty else { throw .invalid(rule: name, field: "name", problem: "is empty") }
        let periodText = EmulatedDuration(nanoseconds: period), intervalText = EmulatedDuration(nanoseconds: interval)
        guard period > 0 else { throw .invalid(rule: name, field: "period", problem: "\(periodText) is not positive") }
        guard interval > 0, period >= interval else {
            throw .invalid(rule: name, field: "period", problem: "\(periodText) is shorter than the metrics interval \(intervalText) (--interval)")
        }
        guard period % interval == 0 else {
            throw .invalid(rule: name, field: "period",
                           problem: "\(periodText) is not a whole multiple of the metrics interval \(intervalText) (--interval)")
        }
        guard consecutivePeriods >= 1 else {
            throw .invalid(rule: name, field: "consecutive_periods", problem: "\(consecutivePeriods) is less than 1")
        }
        guard threshold.isFinite else {
            throw .invalid(rule: name, field: "threshold", problem: "\(threshold) is not a finite number")
        }
    }

    enum CodingKeys: String, CodingKey {
        case name, metric, period = "period_ns", comparison, threshold
        case consecutivePeriods = "consecutive_periods", peering, direction
    }

    /// Whether the rule watches `key`.
    public func watches(_ key: PeeringDirectionKey) -> Bool {
        (peering == nil || peering == key.peering) && (direction == nil || direction == key.direction)
    }
}

public enum AlertRuleError: Error, Equatable, CustomStringConvertible {
    case invalid(rule: String, field: String, problem: String)
    case watchesNothing(rule: String)

    public var description: String {
        switch self {
        case .invalid(let rule, let field, let problem): "alert rule '\(rule)': \(field) \(problem)"
        case .watchesNothing(let rule): "alert rule '\(rule)' names a peering or direction that is not metered"
        }
    }
}

/// An alert that fired: which rule, on which direction, when, and the value that completed the run.
public struct FiredAlert: Hashable, Sendable, Codable {
    public var rule: String
    public var peering: String
    public var direction: PeeringDirectionKey.Direction
    public var metric: Metric
    public var comparison: AlertRule.Comparison
    public var threshold: Double
    public var consecutivePeriods: Int
    /// Start of the first period of the run, emulated ns.
    public var runStart: Int64
    /// The period that completed the run: the alert fires at its end.
    public var periodStart: Int64
    public var periodEnd: Int64
    /// The metric's value in that period.
    public var value: Double

    /// One line for the terminal summary, with times in seconds since `origin` (the replay's start).
    public func summary(origin: Int64) -> String {
        func seconds(_ time: Int64) -> String { formatMetricValue(Double(time &- origin) / 1e9) }
        return "alert '\(rule)': \(peering) \(direction.rawValue) \(metric.rawValue) \(comparison.rawValue) "
            + "\(formatMetricValue(threshold)) for \(consecutivePeriods) period(s) from \(seconds(runStart)) s, "
            + "fired at \(seconds(periodEnd)) s (value \(formatMetricValue(value)))"
    }

    enum CodingKeys: String, CodingKey {
        case rule, peering, direction, metric, comparison, threshold, consecutivePeriods = "consecutive_periods"
        case runStart = "run_start_ns", periodStart = "period_start_ns", periodEnd = "period_end_ns", value
    }
}

public enum AlertEvaluator {
    /// Checks `rules` against the metrics interval and the metered directions, before any traffic: what
    /// `evaluate` would refuse at the end of a replay.
    public static func validate(_ rules: [AlertRule], directions: [MeteredDirection], interval: Int64) throws(AlertRuleError) {
        for rule in rules {
            try rule.validate(interval: interval)
            if rule.peering != nil, !directions.contains(where: { rule.watches($0.key) }) { throw .watchesNothing(rule: rule.name) }
        }
    }

    /// Evaluates `rules` on `series`, in rule order, then direction order, then time.
    ///
    /// Periods start at the series origin. The last period may be cut short by the end of the replay; its
    /// rates are computed over the part that was replayed. A metric that is undefined for a direction
    /// (utilisation without a limit) never satisfies a comparison. An idle interval is a zero sample.
    ///
    /// The cost grows with activity, not with the span: only periods that hold traffic, a limit change or
    /// the end of the series are computed one by one. Between two of them lies a stretch of idle periods
    /// under one unchanging limit, so each has the same value (the metric of zero counters over a full
    /// period); the stretch is taken in one step, and an alert that completes inside it is placed at the
    /// period where the run reaches `consecutivePeriods`.
    public static func evaluate(_ rules: [AlertRule], on series: IntervalSeries) throws(AlertRuleError) -> [FiredAlert] {
        try validate(rules, directions: series.directions, interval: series.interval)
        var fired: [FiredAlert] = []
        for rule in rules {
            for index in series.directions.indices where rule.watches(series.directions[index].key) {
                evaluate(rule, direction: index, on: series, into: &fired)
            }
        }
        return fired
    }

    private static func evaluate(_ rule: AlertRule, direction index: Int, on series: IntervalSeries, into fired: inout [FiredAlert]) {
        let direction = series.directions[index]
        let intervalsPerPeriod = rule.period / series.interval
        let periodCount = (series.intervalCount + intervalsPerPeriod - 1) / intervalsPerPeriod
        guard periodCount > 0 else { return }
        let active = series.activeIntervals(direction: index)
        let changes = series.limitChangeIntervals(direction: index)
        var nextActive = 0, nextChange = 0
        var run = 0
        var runStart: Int64 = 0
        var previous: Int64 = -1  // the last period computed

        func alert(_ period: Int64, duration: Int64, value: Double) -> FiredAlert {
            let start = series.start(ofInterval: period * intervalsPerPeriod)
            return FiredAlert(rule: rule.name, peering: direction.key.peering, direction: direction.key.direction,
                              metric: rule.metric, comparison: rule.comparison, threshold: rule.threshold,
                              consecutivePeriods: rule.consecutivePeriods, runStart: runStart,
                              periodStart: start, periodEnd: start + duration, value: value)
        }
        while previous < periodCount - 1 {
            // The next period that must be computed: traffic, a limit change, or the last period.
            var period = periodCount - 1
            if nextActive < active.count { period = min(period, active[nextActive].index / intervalsPerPeriod) }
            if nextChange < changes.count { period = min(period, changes[nextChange] / intervalsPerPeriod) }
            // The idle stretch before it: `idle` full periods with the value of zero counters.
            let idle = period - previous - 1
            if idle > 0 {
                let first = previous + 1
                let start = series.start(ofInterval: first * intervalsPerPeriod)
                let value = rule.metric.value(of: DirectionCounters(), duration: rule.period,
                                              rateLimitBitsPerSecond: direction.rateLimit(from: start, to: start + rule.period))
                if let value, rule.comparison.holds(value, rule.threshold) {
                    if run == 0 { runStart = start }
                    let missing = Int64(rule.consecutivePeriods - run)
                    if missing > 0, missing <= idle {
                        fired.append(alert(first + missing - 1, duration: rule.period, value: value))
                    }
                    run = Int(min(Int64(rule.consecutivePeriods), Int64(run) + idle))
                } else {
                    run = 0
                }
            }
            // The period itself, from the traffic of its intervals.
            let firstInterval = period * intervalsPerPeriod
            let endInterval = min(firstInterval + intervalsPerPeriod, series.intervalCount)
            var counters = DirectionCounters()
            while nextActive < active.count, active[nextActive].index < endInterval {
                counters.add(active[nextActive].counters)
                nextActive += 1
            }
            while nextChange < changes.count, changes[nextChange] < endInterval { nextChange += 1 }
            let start = series.start(ofInterval: firstInterval)
            let duration = (endInterval - firstInterval) * series.interval
            let value = rule.metric.value(of: counters, duration: duration,
                                          rateLimitBitsPerSecond: direction.rateLimit(from: start, to: start + duration))
            if let value, rule.comparison.holds(value, rule.threshold) {
                if run == 0 { runStart = start }
                if run < rule.consecutivePeriods {
                    run += 1
                    if run == rule.consecutivePeriods { fired.append(alert(period, duration: duration, value: value)) }
                }
            } else {
                run = 0
            }
            previous = period
        }
    }
}
