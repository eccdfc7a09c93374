/// What a replay measures per packet for report.json, metrics.csv and throughput.svg: totals, drops
/// per reason, the interval series of every peering direction (`TrafficMeter`) and the billed
/// traffic (`PeeringBilling`).
struct ReplayMeasurements {
    private var meter: TrafficMeter
    private var billing: PeeringBilling
    private var totals = ReplayReport.Totals()
    private var dropCodes: [String: Int64] = [:]
    private let start: Int64
    private var lastDeparture: Int64

    /// - Parameter start: emulated time of the first packet (`--start`), where the series begins.
    init(meter: TrafficMeter, billing: PeeringBilling, start: Int64) {
        self.meter = meter
        self.billing = billing
        self.start = start
        lastDeparture = start
    }

    mutating func record(_ packet: borrowing ReplayedPacket) {
        let verdict = packet.verdict
        let length = Int64(verdict.ipLength)
        lastDeparture = max(lastDeparture, verdict.departure)
        let trail = verdict.trail
        if trail.crossedDirection != .max {
            let direction = Int(trail.crossedDirection)
            meter.recordForwarded(direction: direction, bytes: Int(length), at: verdict.departure, shapingDelay: trail.shapingDelay)
            billing.record(direction: direction, bytes: length, at: verdict.departure)
        }
        switch verdict.outcome {
        case .delivered:
            totals.add(.delivered, captured: packet.frame.count, ip: length)
        case .left:
            totals.add(.left, captured: packet.frame.count, ip: length)
        case .dropped(let reason):
            totals.add(.dropped, captured: packet.frame.count, ip: length)
            if let code = packet.drop?.code { dropCodes[code, default: 0] += 1 }
            switch reason {
            case .throttled(let peering, let direction, _), .queueFull(let peering, let direction):
                let index = 2 * Int(peering) + (direction == .requesterToAccepter ? 0 : 1)
                meter.recordThrottled(direction: index, bytes: Int(length), at: verdict.departure)
            default: break
            }
        }
    }

    /// The series (alerts marked) and the report, once every packet is recorded.
    consuming func finish(alerts rules: [AlertRule], prices: PriceTable, connectionsRefused: Int64) throws(AlertRuleError) -> (IntervalSeries, ReplayReport) {
        let unmarked = meter.finish(through: lastDeparture)
        let alerts = try AlertEvaluator.evaluate(rules, on: unmarked)
        let series = unmarked.marking(alerts)
        let report = ReplayReport(emulatedStart: start, emulatedEnd: lastDeparture, totals: totals, dropsByReason: dropCodes,
                                  series: series, alerts: alerts, cost: billing.estimate(prices: prices),
                                  connectionsRefused: connectionsRefused)
        return (series, report)
    }
}
