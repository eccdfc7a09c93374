import Foundation

/// A replay with its outputs (docs/forwarding.md, "Replay outputs"): feeds batches through a
/// `ForwardingPipeline` and writes, each atomically when `finish` is called, one pcap per
/// instance with what it received, `dropped.pcapng` (reason and hop trail as each packet's
/// comment), `verdicts.jsonl` when asked, then `report.json`, `metrics.csv` and
/// `throughput.svg` from the interval series. Until `finish`, nothing is in place, so an
/// interrupted run that calls `finish` between batches leaves complete files for what it read.
/// Every output path comes from `outputPaths(of:in:options:)`, which refuses a name that could
/// leave the directory; the instance captures have one link type (`Options.instanceLinkType`), and
/// a delivered frame of another is re-framed to it.
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
        /// The link type of every INSTANCE.pcap (`instanceLinkType(for:)`); nil: the first batch's.
        public var instanceLinkType: LinkType?

        public init(pipeline: ForwardingPipeline.Options = .init(), writeVerdicts: Bool = false, interval: Int64 = 1_000_000_000,
                    input: InputOptions = .init(), denseMetrics: MetricsCSV.DenseSpan? = nil, instanceLinkType: LinkType? = nil) {
            self.pipeline = pipeline
            self.writeVerdicts = writeVerdicts
            self.interval = interval
            self.input = input
            self.denseMetrics = denseMetrics
            self.instanceLinkType = instanceLinkType
        }
    }

    /// The link type of the per-instance captures for inputs of `linkTypes`: theirs when they share
    /// one (the frames are written as they came), raw IP (LINKTYPE_RAW) when they differ, so that
    /// every frame can be written validly with its link header stripped.
    public static func instanceLinkType(for linkTypes: [LinkType]) -> LinkType {
        guard let first = linkTypes.first else { return .ethernet }
        return linkTypes.allSatisfy { $0 == first } ? first : .raw
    }

    /// Every file a replay writes into `directory`: INSTANCE.pcap per instance (a name that is
    /// not one safe path component is refused: no output leaves `directory`), dropped.pcapng,
    /// verdicts.jsonl when asked, report.json, metrics.csv and throughput.svg.
    public static func outputPaths(of topology: Topology, in directory: String, options: Options) throws(ReplayError) -> [String] {
        do {
            var paths = try topology.instances.map { instance throws(OutputPaths.UnsafeName) in
                try OutputPaths.file(instance.name + ".pcap", in: directory)
            }
            for name in ["dropped.pcapng"] + (options.writeVerdicts ? ["verdicts.jsonl"] : []) + ["report.json", "metrics.csv", "throughput.svg"] {
                paths.append(try OutputPaths.file(name, in: directory))
            }
            return paths
        } catch { throw .unsafeName(error) }
    }

    public enum ReplayError: Error, CustomStringConvertible {
        case pipeline(ForwardingPipeline.OptionError)
        case meter(TrafficMeter.MeterError)
        case capture(CaptureError)
        case output(String, any Error)
        case alerts(AlertRuleError)
        case denseMetrics(MetricsCSV.DenseSpanError)
        case unsafeName(OutputPaths.UnsafeName)
        /// A frame of a link type the per-instance captures' link type cannot carry.
        case cannotReframe(from: LinkType, to: LinkType)

        /// Whether the options (not the disk or the inputs) are at fault: a usage error, reported
        /// before any output exists.
        public var isOptionError: Bool {
            switch self {
            case .pipeline, .meter, .alerts, .denseMetrics: true
            case .capture, .output, .unsafeName, .cannotReframe: false
            }
        }

        public var description: String {
            switch self {
            case .pipeline(let error): "\(error)"
            case .meter(let error): "\(error)"
            case .capture(let error): "\(error)"
            case .output(let path, let error):
                // A Foundation error in plain words (its POSIX cause), not its NSCocoaErrorDomain dump.
                if let cause = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError, cause.domain == NSPOSIXErrorDomain {
                    "\(path): \(String(cString: strerror(Int32(cause.code))))"
                } else {
                    "\(path): \(error)"
                }
            case .alerts(let error): "\(error)"
            case .denseMetrics(let error): "\(error)"
            case .unsafeName(let error): "instance \(error)"
            case .cannotReframe(let from, let to):
                "a delivered \(from) frame cannot be written to the \(to) instance captures (an IPv6 packet on LINKTYPE_IPV4 or the reverse, or a link type whose header VPCEmu does not invent: IEEE 802.11, radiotap, NFLOG)"
            }
        }
    }

    public private(set) var pipeline: ForwardingPipeline
    public let outputDirectory: String
    /// Every file the replay writes (`outputPaths(of:in:options:)`).
    public let outputPaths: [String]
    public let options: Options
    private let topology: Topology
    private var meter: TrafficMeter
    private var instanceWriters: [PcapWriter?]
    /// Of the per-instance captures; a delivered frame of another link type is re-framed to it.
    private var linkType: LinkType?
    private var reframed = ContiguousArray<UInt8>()
    private let dropped: PcapngWriter
    private var droppedInterfaces: [LinkType: Int] = [:]
    private var verdictsFile: AtomicFile?
    private var verdictLine = VerdictLine()
    /// `,"instance":"NAME"` per instance, escaped once.
    private let instanceFields: [[UInt8]]
    /// `,"trail":"…"` of delivered packets per trail, emptied with `dropTexts`.
    private var trailFields: [ForwardingPipeline.HopTrail: [UInt8]] = [:]
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
        outputPaths = try Self.outputPaths(of: topology, in: outputDirectory, options: options)
        linkType = options.instanceLinkType
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
        instanceFields = options.writeVerdicts ? compiled.instanceNames.map { VerdictLine.field("instance", $0) } : []
        do {
            try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        } catch { throw .output(outputDirectory, error) }
        do { dropped = try PcapngWriter(path: Self.join(outputDirectory, "dropped.pcapng")) } catch { throw .capture(error) }
        if options.writeVerdicts {
            let verdictsPath = Self.join(outputDirectory, "verdicts.jsonl")
            do { verdictsFile = try AtomicFile(path: verdictsPath) } catch { throw .output(verdictsPath, error) }
        }
    }

    /// The output named `name` (one of `outputPaths`, whose names were checked).
    private func path(_ name: String) -> String { Self.join(outputDirectory, name) }

    private static func join(_ directory: String, _ name: String) -> String { directory.hasSuffix("/") ? directory + name : directory + "/" + name }

    /// Forwards one batch and writes what the outputs need.
    ///
    /// A batch during which the topology changes is forwarded and recorded packet by packet, so
    /// that each drop is described with the rules, routes and names in effect when it happened (an
    /// event can insert a rule or a route before the one a drop cites).
    public func process(_ batch: PacketBatch) throws(ReplayError) {
        let linkType = batch.linkType
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
        if pipeline.runtime.nextChange != changesBefore {
            dropTexts.removeAll()
            trailFields.removeAll()
        }
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
            let writer = try instanceWriter(Int(instance))
            let stamp = timestamp &+ (arrival &- verdict.departure)
            if writer.linkType == linkType {
                copy.withUnsafeBytes { writer.write($0, wireLength: wireLength, timestamp: stamp) }
            } else {
                // Another link type than the instance captures' (mixed inputs, or one declared
                // mid-file): the IP packet (every delivered packet parsed as one) behind a header
                // of the captures' link type; the wire length changes by as much as the header.
                guard let header = writer.linkType.syntheticHeader(for: headers.family) else {
                    throw .cannotReframe(from: linkType, to: writer.linkType)
                }
                let ipStart = Int(headers.l3Offset)
                reframed.removeAll(keepingCapacity: true)
                reframed.append(contentsOf: header)
                reframed.append(contentsOf: copy[ipStart...])
                let wire = UInt32(clamping: max(0, Int(wireLength) - ipStart + header.count))
                reframed.withUnsafeBytes { writer.write($0, wireLength: wire, timestamp: stamp) }
            }
            do { try writer.checkWritten() } catch { throw .capture(error) }
            if verdictsFile != nil {
                verdictLine.delivered(time: verdict.departure, instance: instanceFields[Int(instance)], arrival: arrival, trail: trailField(trail))
                try writeVerdictLine()
            }
        case .left(let gateway):
            // Routed to a gateway outside the model: counted apart, written to no capture.
            totals.add(.left, captured: frame.count, ip: length)
            if verdictsFile != nil {
                let detail = VerdictLine.field("detail", "left the modelled network through \(pipeline.topology.externals[Int(gateway)])")
                verdictLine.left(time: verdict.departure, detail: detail, trail: trailField(trail))
                try writeVerdictLine()
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
                verdictLine.dropped(time: verdict.departure, fields: text.verdictFields)
                try writeVerdictLine()
            }
        }
    }

    /// `,"trail":"…"` of a verdict line, built once per trail.
    private func trailField(_ trail: ForwardingPipeline.HopTrail) -> [UInt8] {
        let steps = trail.describedSteps
        if let field = trailFields[steps] { return field }
        let field = VerdictLine.field("trail", trail.describe(in: pipeline.topology))
        if trailFields.count >= Self.dropTextLimit { trailFields.removeAll(keepingCapacity: true) }
        trailFields[steps] = field
        return field
    }

    /// What a drop's outputs say about it: built once per reason and trail (a replay drops the
    /// same flows again and again, and building the text cost more than forwarding the packet).
    private struct DropText {
        var code: String
        var comment: String
        /// `,"reason":…,"detail":…,"trail":…` of its verdicts.jsonl line.
        var verdictFields: [UInt8]
    }

    private func dropText(_ reason: DropReason, _ trail: ForwardingPipeline.HopTrail) -> DropText {
        let key = DropTextKey(reason: reason, steps: trail.describedSteps)
        if let text = dropTexts[key] { return text }
        let compiled = pipeline.topology
        let detail = reason.describe(in: compiled), trailText = trail.describe(in: compiled)
        let text = DropText(code: reason.code, comment: "\(reason.code): \(detail)" + (trailText.isEmpty ? "" : " | trail: \(trailText)"),
                            verdictFields: VerdictLine.field("reason", reason.code) + VerdictLine.field("detail", detail)
                                + VerdictLine.field("trail", trailText))
        // Bounded, so that memory stays flat whatever the mix of reasons and trails.
        if dropTexts.count >= Self.dropTextLimit { dropTexts.removeAll(keepingCapacity: true) }
        dropTexts[key] = text
        return text
    }

    private func instanceWriter(_ instance: Int) throws(ReplayError) -> PcapWriter {
        if let writer = instanceWriters[instance] { return writer }
        do {
            let writer = try PcapWriter(path: outputPaths[instance], linkType: linkType ?? .ethernet)
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

    private func writeVerdictLine() throws(ReplayError) {
        guard var file = verdictsFile.take() else { return }
        do { try file.write(verdictLine.bytes) } catch {
            file.abandon()
            throw .output(path("verdicts.jsonl"), error)
        }
        verdictsFile = consume file
    }

    /// Writes the report, metrics and plot and moves every output into place; returns the report.
    public func finish() throws(ReplayError) -> ReplayReport {
        let compiled = pipeline.topology
        let linkType = linkType ?? .ethernet
        // Every instance gets its capture, empty when it received nothing.
        for instance in compiled.instanceNames.indices { _ = try instanceWriter(instance) }
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
