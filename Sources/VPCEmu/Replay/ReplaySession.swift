import Foundation

/// A replay with its outputs (docs/forwarding.md, "Replay outputs"): feeds batches through a
/// `ForwardingPipeline` and writes, each atomically when `finish` is called, one pcap per
/// instance with what it received, `dropped.pcapng` (reason and hop trail as each packet's
/// comment), `verdicts.jsonl` when asked, then `report.json`, `metrics.csv` and
/// `throughput.svg` from the interval series. Until `finish`, nothing is in place, so an
/// interrupted run that calls `finish` between batches leaves complete files for what it read.
public final class ReplaySession {
    public struct Options: Sendable {
        public var pipeline: ForwardingPipeline.Options
        public var writeVerdicts: Bool
        /// Metering interval, ns.
        public var interval: Int64
        /// Address mapping and the order of several captures.
        public var input: InputOptions
        /// A span in which metrics.csv has a row for every interval, idle ones included.
        public var denseMetrics: MetricsCSV.DenseSpan?

        public init(pipeline: ForwardingPipeline.Options = .init(), writeVerdicts: Bool = false, interval: Int64 = 1_000_000_000,
                    input: InputOptions = .init(), denseMetrics: MetricsCSV.DenseSpan? = nil) {
            self.pipeline = pipeline
            self.writeVerdicts = writeVerdicts
            self.interval = interval
            self.input = input
            self.denseMetrics = denseMetrics
        }
    }

    public enum ReplayError: Error, CustomStringConvertible {
        case pipeline(ForwardingPipeline.OptionError)
        case meter(TrafficMeter.MeterError)
        case capture(CaptureError)
        case output(String, any Error)
        case alerts(AlertRuleError)
        case denseMetrics(MetricsCSV.DenseSpanError)

        /// Metering options that do not fit together or with the topology (reported before any output).
        public var isUsageError: Bool {
            switch self {
            case .alerts, .denseMetrics: true
            case .meter, .pipeline, .capture, .output: false
            }
        }

        public var description: String {
            switch self {
            case .pipeline(let error): "\(error)"
            case .meter(let error): "\(error)"
            case .capture(let error): "\(error)"
            case .output(let path, let error): "\(path): \(error)"
            case .alerts(let error): "\(error)"
            case .denseMetrics(let error): "\(error)"
            }
        }
    }

    public private(set) var pipeline: ForwardingPipeline
    public let outputDirectory: String
    public let options: Options
    private let topology: Topology
    private var meter: TrafficMeter
    private var instanceWriters: [PcapWriter?]
    private var linkType: LinkType?
    private let dropped: PcapngWriter
    private var droppedInterfaces: [LinkType: Int] = [:]
    private var verdictsFile: AtomicFile?
    private var verdicts = ContiguousArray<ForwardingPipeline.Verdict>()
    private var totals = ReplayReport.Totals()
    private var dropCodes: [String: Int64] = [:]
    private struct DropTextKey: Hashable {
        var reason: DropReason
        var steps: ForwardingPipeline.HopTrail
    }
    /// `dropText`'s memory, emptied when the topology changes.
    private var dropTexts: [DropTextKey: DropText] = [:]
    private static let dropTextLimit = 4096
    private var lastDeparture: Int64 = 0
    /// Per peering id, its bandwidth and link type through the replay.
    private let peeringTerms: [[PeeringTermsSchedule.Terms]]
    /// Forwarded IP bytes per peering direction and link type in effect when they were sent
    /// (`direction × linkTypes.count + position in linkTypes`): what the cost estimate prices.
    private var billedBytes: [Int64]
    private static let linkTypes = InterRegionLinkType.allCases

    public init(topology: Topology, outputDirectory: String, options: Options = .init()) throws(ReplayError) {
        self.topology = topology
        self.outputDirectory = outputDirectory
        self.options = options
        do { pipeline = try ForwardingPipeline(topology: topology, options: options.pipeline) } catch { throw .pipeline(error) }
        let compiled = pipeline.topology
        // Timeline changes of bandwidth and link type are known in advance: the meter measures each
        // interval against the limit then in effect, and each byte is billed at its link type.
        let schedule = PeeringTermsSchedule(topology: topology)
        peeringTerms = compiled.peerings.map { schedule.termsByPeering[$0.name] ?? [] }
        billedBytes = Array(repeating: 0, count: 2 * compiled.peerings.count * Self.linkTypes.count)
        var directions: [MeteredDirection] = []
        for peering in compiled.peerings {
            let limit = schedule.terms(of: peering.name, at: 0)?.rateLimitBitsPerSecond
            let changes = schedule.rateLimitChanges(of: peering.name)
            for direction in PeeringDirectionKey.Direction.allCases {
                directions.append(MeteredDirection(PeeringDirectionKey(peering: peering.name, direction: direction),
                                                   rateLimitBitsPerSecond: limit, rateLimitChanges: changes))
            }
        }
        // The series starts with the first packet, at `--start` on the timeline.
        lastDeparture = options.pipeline.start
        do { meter = try TrafficMeter(directions: directions, interval: options.interval, origin: options.pipeline.start) } catch { throw .meter(error) }
        // Alert rules that do not fit the interval fail here, before any output exists.
        do { try AlertEvaluator.validate(topology.alerts, directions: directions, interval: options.interval) } catch { throw .alerts(error) }
        do { try options.denseMetrics?.validate(interval: options.interval) } catch { throw .denseMetrics(error) }
        instanceWriters = Array(repeating: nil, count: compiled.instanceNames.count)
        do {
            try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        } catch { throw .output(outputDirectory, error) }
        let directory = outputDirectory as NSString
        do { dropped = try PcapngWriter(path: directory.appendingPathComponent("dropped.pcapng")) } catch { throw .capture(error) }
        if options.writeVerdicts {
            let verdictsPath = directory.appendingPathComponent("verdicts.jsonl")
            do { verdictsFile = try AtomicFile(path: verdictsPath) } catch { throw .output(verdictsPath, error) }
        }
    }

    private func path(_ name: String) -> String { (outputDirectory as NSString).appendingPathComponent(name) }

    /// Forwards one batch and writes what the outputs need.
    ///
    /// A batch during which the topology changes is forwarded and recorded packet by packet, so
    /// that each drop is described with the rules, routes and names in effect when it happened (an
    /// event can insert a rule or a route before the one a drop cites).
    public func process(_ batch: PacketBatch, linkType: LinkType) throws(ReplayError) {
        if self.linkType == nil { self.linkType = linkType }
        let oneAtATime = reachesTimelineChange(batch)
        if !oneAtATime {
            do { try pipeline.forward(batch, linkType: linkType, into: &verdicts) } catch { throw .pipeline(error) }
        }
        var frameCopy = ContiguousArray<UInt8>()
        var headers = PacketHeaders()
        var failure: ReplayError?
        var lastForwarded: Int64?
        batch.withUnsafeBytes { bytes in
            for index in 0..<batch.count where failure == nil {
                let frame = batch.frame(index, in: bytes), wireLength = batch.wireLengths[index], timestamp = batch.timestamps[index]
                do throws(ReplayError) {
                    let verdict = oneAtATime
                        ? try forwardOne(frame, linkType: linkType, wireLength: wireLength, timestamp: timestamp, headers: &headers)
                        : verdicts[index]
                    lastForwarded = verdict.departure
                    try record(verdict, frame: frame, wireLength: wireLength, timestamp: timestamp,
                               linkType: linkType, copy: &frameCopy, headers: &headers)
                } catch { failure = error }
            }
        }
        // `forward(batch)` sweeps the connection table at its end; packet by packet, it is done here.
        if oneAtATime, let lastForwarded { pipeline.sweepIfDue(at: lastForwarded) }
        if let failure { throw failure }
    }

    /// Whether a packet of `batch` reaches the next timeline event (or the first packet has yet to
    /// fix the emulated clock's origin).
    private func reachesTimelineChange(_ batch: PacketBatch) -> Bool {
        guard let origin = pipeline.origin else { return true }
        let next = pipeline.runtime.nextChange.nanoseconds
        return batch.timestamps.prefix(batch.count).contains { $0 &- origin >= next }
    }

    /// One packet through the pipeline; the drop texts are forgotten when it applied a timeline event.
    private func forwardOne(_ frame: UnsafeRawBufferPointer, linkType: LinkType, wireLength: UInt32, timestamp: Int64,
                            headers: inout PacketHeaders) throws(ReplayError) -> ForwardingPipeline.Verdict {
        let changesBefore = pipeline.runtime.nextChange
        let verdict: ForwardingPipeline.Verdict
        do {
            verdict = try pipeline.forward(frame, linkType: linkType, wireLength: Int(wireLength), timestamp: timestamp, headers: &headers)
        } catch { throw .pipeline(error) }
        if pipeline.runtime.nextChange != changesBefore { dropTexts.removeAll() }
        return verdict
    }

    private func record(_ verdict: ForwardingPipeline.Verdict, frame: UnsafeRawBufferPointer, wireLength: UInt32, timestamp: Int64,
                        linkType: LinkType, copy: inout ContiguousArray<UInt8>, headers: inout PacketHeaders) throws(ReplayError) {
        let length = Int64(verdict.ipLength)
        lastDeparture = max(lastDeparture, verdict.departure)
        let trail = verdict.trail
        if trail.crossedDirection != .max {
            let direction = Int(trail.crossedDirection)
            meter.recordForwarded(direction: direction, bytes: Int(length), at: verdict.departure, shapingDelay: trail.shapingDelay)
            if let linkType = PeeringTermsSchedule.terms(in: peeringTerms[direction / 2], at: verdict.departure)?.linkType,
               let position = Self.linkTypes.firstIndex(of: linkType) {
                billedBytes[direction * Self.linkTypes.count + position] &+= length
            }
        }
        switch verdict.outcome {
        case .delivered(let instance, let arrival):
            totals.add(.delivered, captured: frame.count, ip: length)
            // The receiver sees the packet after the routers it passed decremented its TTL.
            copy.removeAll(keepingCapacity: true)
            copy.append(contentsOf: frame)
            copy.withUnsafeMutableBytes { mutable in
                _ = PacketParser.parse(UnsafeRawBufferPointer(mutable), linkType: linkType, wireLength: Int(wireLength), into: &headers)
                for _ in 0..<trail.routerHops { _ = HopLimit.decrement(mutable, headers: &headers) }
            }
            let writer = try instanceWriter(Int(instance), linkType: linkType)
            copy.withUnsafeBytes { writer.write($0, wireLength: wireLength, timestamp: timestamp &+ (arrival &- verdict.departure)) }
            if verdictsFile != nil {
                let compiled = pipeline.topology
                try writeVerdict("{\"time\":\(verdict.departure),\"verdict\":\"delivered\",\"instance\":\"\(compiled.instanceNames[Int(instance)])\",\"arrival\":\(arrival),\"trail\":\(json(trail.describe(in: compiled)))}\n")
            }
        case .dropped(let reason):
            totals.add(.dropped, captured: frame.count, ip: length)
            let text = dropText(reason, trail)
            dropCodes[text.code, default: 0] += 1
            switch reason {
            case .throttled(let peering, let direction, _), .queueFull(let peering, let direction):
                let index = 2 * Int(peering) + (direction == .requesterToAccepter ? 0 : 1)
                meter.recordThrottled(direction: index, bytes: Int(length), at: verdict.departure)
            default: break
            }
            do {
                let interface = try droppedInterface(linkType)
                try dropped.write(interface: interface, frame, wireLength: wireLength, timestamp: timestamp, comment: text.comment)
            } catch { throw .capture(error) }
            if verdictsFile != nil {
                try writeVerdict("{\"time\":\(verdict.departure),\"verdict\":\"dropped\",\"reason\":\(json(text.code)),\"detail\":\(json(text.detail)),\"trail\":\(json(text.trail))}\n")
            }
        }
    }

    /// What a drop's outputs say about it: built once per reason and trail (a replay drops the
    /// same flows again and again, and building the text cost more than forwarding the packet).
    private struct DropText {
        var code: String
        var detail: String
        var trail: String
        var comment: String
    }

    private func dropText(_ reason: DropReason, _ trail: ForwardingPipeline.HopTrail) -> DropText {
        let key = DropTextKey(reason: reason, steps: trail.describedSteps)
        if let text = dropTexts[key] { return text }
        let compiled = pipeline.topology
        let detail = reason.describe(in: compiled), trailText = trail.describe(in: compiled)
        let text = DropText(code: reason.code, detail: detail, trail: trailText,
                            comment: "\(reason.code): \(detail)" + (trailText.isEmpty ? "" : " | trail: \(trailText)"))
        // Bounded, so that memory stays flat whatever the mix of reasons and trails.
        if dropTexts.count >= Self.dropTextLimit { dropTexts.removeAll(keepingCapacity: true) }
        dropTexts[key] = text
        return text
    }

    private func instanceWriter(_ instance: Int, linkType: LinkType) throws(ReplayError) -> PcapWriter {
        if let writer = instanceWriters[instance] { return writer }
        do {
            let writer = try PcapWriter(path: path("\(pipeline.topology.instanceNames[instance]).pcap"), linkType: linkType)
            instanceWriters[instance] = writer
            return writer
        } catch { throw .capture(error) }
    }

    private func droppedInterface(_ linkType: LinkType) throws(CaptureError) -> Int {
        if let interface = droppedInterfaces[linkType] { return interface }
        let interface = try dropped.addInterface(name: "vpcemu-dropped", linkType: linkType)
        droppedInterfaces[linkType] = interface
        return interface
    }

    private func writeVerdict(_ line: String) throws(ReplayError) {
        guard var file = verdictsFile.take() else { return }
        do { try file.write(line) } catch {
            file.abandon()
            throw .output(path("verdicts.jsonl"), error)
        }
        verdictsFile = consume file
    }

    private func json(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Writes the report, metrics and plot and moves every output into place; returns the report.
    public func finish() throws(ReplayError) -> ReplayReport {
        let compiled = pipeline.topology
        let linkType = linkType ?? .ethernet
        // Every instance gets its capture, empty when it received nothing.
        for instance in compiled.instanceNames.indices { _ = try instanceWriter(instance, linkType: linkType) }
        do {
            for writer in instanceWriters { try writer?.finish() }
            if droppedInterfaces.isEmpty { _ = try droppedInterface(linkType) }
            try dropped.finish()
        } catch { throw .capture(error) }
        if var file = verdictsFile.take() {
            do { try file.commit() } catch { throw .output(path("verdicts.jsonl"), error) }
        }
        let unmarked = meter.finish(through: lastDeparture)
        let alerts: [FiredAlert]
        do { alerts = try AlertEvaluator.evaluate(topology.alerts, on: unmarked) } catch { throw .alerts(error) }
        let series = unmarked.marking(alerts)
        // Each account pays for what its VPCs send over inter-region peerings, at the link type in
        // effect when it was sent; intra-region peerings (no link type) are free.
        var cost = CostEstimator()
        for (id, peering) in compiled.peerings.enumerated() {
            let linkTypes = Set(peeringTerms[id].compactMap(\.linkType))
            for (side, sender) in [peering.requesterVPC, peering.accepterVPC].enumerated() {
                for (position, linkType) in Self.linkTypes.enumerated() where linkTypes.contains(linkType) {
                    cost.addOutbound(account: topology.vpcs[Int(sender)].account, linkType: linkType,
                                     bytes: billedBytes[(2 * id + side) * Self.linkTypes.count + position])
                }
            }
        }
        let report = ReplayReport(
            emulatedStart: options.pipeline.start, emulatedEnd: lastDeparture, totals: totals,
            dropsByReason: dropCodes, series: series, alerts: alerts, cost: cost.estimate(prices: topology.pricing),
            connectionsRefused: Int64(pipeline.connectionStatistics.refused))
        do {
            try report.write(to: path("report.json"))
            try MetricsCSV.write(series, to: path("metrics.csv"), dense: options.denseMetrics)
            try ThroughputPlot.write(series, to: path("throughput.svg"))
        } catch { throw .output(outputDirectory, error) }
        return report
    }
}
