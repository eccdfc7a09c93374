import Foundation

/// A replay with its outputs (docs/forwarding.md, "Replay outputs"): the loop that feeds batches
/// through a `ForwardingPipeline` and shows each packet, with what the pipeline parsed and decided,
/// to the outputs (`ReplayOutput`): one pcap per instance with what it received (`InstanceCaptures`),
/// `dropped.pcapng` (`DroppedCapture`), `verdicts.jsonl` when asked (`VerdictsFile`), and the
/// measurements behind `report.json`, `metrics.csv` and `throughput.svg` (`ReportFiles`). Each file
/// is written atomically when `finish` is called: until then nothing is in place, so an
/// interrupted run that calls `finish` between batches leaves complete files for what it read.
/// Every output path comes from `outputPaths(of:in:options:)`, which refuses a name that could
/// leave the directory.
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
    private var verdicts = ContiguousArray<ForwardingPipeline.Verdict>()
    /// Runs the outputs; nil once `finish` has taken them back.
    private var outputs: ReplayOutputThread?

    public init(topology: Topology, outputDirectory: String, options: Options = .init()) throws(ReplayError) {
        self.topology = topology
        self.outputDirectory = outputDirectory
        self.options = options
        outputPaths = try Self.outputPaths(of: topology, in: outputDirectory, options: options)
        do { pipeline = try ForwardingPipeline(topology: topology, options: options.pipeline) } catch { throw .pipeline(error) }
        let compiled = pipeline.topology
        // Timeline changes of bandwidth and link type are known in advance: the meter measures each
        // interval against the limit then in effect, and the billing prices by the link type.
        let schedule = PeeringTermsSchedule(topology: topology)
        var directions: [MeteredDirection] = []
        var billed: [PeeringBilling.Peering] = []
        for peering in compiled.peerings {
            let limit = schedule.terms(of: peering.name, at: 0)?.rateLimitBitsPerSecond
            let changes = schedule.rateLimitChanges(of: peering.name)
            for direction in PeeringDirectionKey.Direction.allCases {
                directions.append(MeteredDirection(PeeringDirectionKey(peering: peering.name, direction: direction),
                                                   rateLimitBitsPerSecond: limit, rateLimitChanges: changes))
            }
            billed.append(PeeringBilling.Peering(
                name: peering.name, requesterAccount: topology.vpcs[Int(peering.requesterVPC)].account, accepterAccount: topology.vpcs[Int(peering.accepterVPC)].account,
                linkTypes: (schedule.termsByPeering[peering.name] ?? []).map { ($0.from, $0.linkType) }))
        }
        // The series starts with the first packet, at `--start` on the timeline.
        let meter: TrafficMeter
        do { meter = try TrafficMeter(directions: directions, interval: options.interval, origin: options.pipeline.start) } catch { throw .meter(error) }
        let measurements = ReplayMeasurements(meter: meter, billing: PeeringBilling(peerings: billed), start: options.pipeline.start)
        // Alert rules that do not fit the interval fail here, before any output exists.
        do { try AlertEvaluator.validate(topology.alerts, directions: directions, interval: options.interval) } catch { throw .alerts(error) }
        do { try options.denseMetrics?.validate(interval: options.interval) } catch { throw .denseMetrics(error) }
        do {
            try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        } catch { throw .output(outputDirectory, error) }
        func path(_ name: String) -> String { outputDirectory.hasSuffix("/") ? outputDirectory + name : outputDirectory + "/" + name }
        let stage = ReplayOutputStage(
            descriptions: ReplayDescriptions(topology: compiled), measurements: measurements,
            instances: InstanceCaptures(paths: Array(outputPaths.prefix(compiled.instanceNames.count)), linkType: options.instanceLinkType),
            dropped: try DroppedCapture(path: path("dropped.pcapng")),
            verdictsFile: options.writeVerdicts ? try VerdictsFile(path: path("verdicts.jsonl"), instanceNames: compiled.instanceNames) : nil,
            reportFiles: ReportFiles(directory: outputDirectory, report: path("report.json"), metrics: path("metrics.csv"),
                                     plot: path("throughput.svg"), dense: options.denseMetrics))
        outputs = ReplayOutputThread(stage: stage)
    }

    deinit { outputs?.close() }

    /// Forwards one batch and hands it to the outputs.
    public func process(_ batch: PacketBatch) throws(ReplayError) {
        var batch = batch
        try process(owned: &batch)
    }

    /// Forwards `batch` and hands it to the outputs' thread; `batch` is replaced with a batch to refill.
    private func process(owned batch: inout PacketBatch) throws(ReplayError) {
        guard let outputs else { preconditionFailure("process after finish") }
        // The outputs read the pipeline's parse: a batch the reader did not parse is parsed here, once.
        if batch.parsedLinkType != batch.linkType { batch.parseForForwarding() }
        var failure: ReplayError?
        // On a throw, `verdicts` holds the packets forwarded before it: they are recorded.
        do { try pipeline.forward(batch, linkType: batch.linkType, into: &verdicts) } catch { failure = .pipeline(error) }
        try outputs.submit(&batch, &verdicts, changes: pipeline.appliedChanges)
        if let failure { throw failure }
    }

    /// Waits for the outputs, writes the report, metrics and plot and moves every output into
    /// place; returns the report.
    public func finish() throws(ReplayError) -> ReplayReport {
        guard let outputs = outputs.take() else { preconditionFailure("finish called twice") }
        let stage = try outputs.drain()
        return try stage.finish(alerts: topology.alerts, prices: topology.pricing,
                                connectionsRefused: Int64(pipeline.connectionStatistics.refused))
    }

    /// What is done to the input before it is forwarded.
    public struct InputOptions: Sendable {
        /// `--map`: addresses rewritten in every packet before it is parsed for forwarding.
        public var addressMap: AddressMap?
        /// How several captures are combined (`--concatenate`: file order; default: timestamp order).
        public var order: MergedCaptureReader.Order

        public init(addressMap: AddressMap? = nil, order: MergedCaptureReader.Order = .timestamp) {
            self.addressMap = addressMap?.isEmpty == false ? addressMap : nil
            self.order = order
        }
    }

    /// How feeding an input ended.
    public enum FeedEnd: Equatable, Sendable {
        case completed
        /// `shouldStop` returned true between two batches.
        case stopped
        /// A capture could not be opened or is damaged; the packets before the damage were processed.
        case readFailed(CaptureError)
    }

    /// The replay loop: processes every batch of `input`. Between batches, `shouldStop` is asked
    /// whether to stop early (SIGINT) and `progress` is told how far the replay has got. Call
    /// `finish()` afterwards, whatever the end: the outputs then cover exactly the packets processed.
    public func feed(_ input: ReplayInput, shouldStop: () -> Bool = { false },
                     progress: (Progress) -> Void = { _ in }) throws(ReplayError) -> FeedEnd {
        var packets = 0
        switch input {
        case .captures(let paths):
            let totalBytes = input.totalBytes
            var batch = ReadAheadPcapReader.makeBatch()
            var rewrite: ReadAheadPcapReader.Stage?
            if let map = options.input.addressMap { rewrite = { map.rewrite(&$0) } }
            // Read, rewrite and parse on a thread per file while this one forwards.
            let reader: MergedCaptureReader
            do { reader = try MergedCaptureReader(paths: paths, order: options.input.order, prepare: rewrite) } catch { return .readFailed(error) }
            while true {
                let more: Bool
                do { more = try reader.nextBatch(into: &batch) } catch { return .readFailed(error) }
                guard more else { break }
                packets += batch.count
                try process(owned: &batch)
                progress(Progress(packets: packets, bytesRead: reader.bytesRead, totalBytes: totalBytes))
                if shouldStop() { return .stopped }
            }
        case .generated(let generator):
            var stream = generator.stream()
            return try feedBuilt(total: stream.totalPackets, shouldStop: shouldStop, progress: progress) { stream.nextBatch(into: &$0) }
        case .flowLog(let traffic):
            var stream = traffic.stream()
            return try feedBuilt(total: stream.totalPackets, shouldStop: shouldStop, progress: progress) { stream.nextBatch(into: &$0) }
        }
        return .completed
    }

    /// Feeds packets built in memory (generated, or from flow-log records), `total` in all:
    /// `next` refills the batch, false at the end.
    private func feedBuilt(total: Int, shouldStop: () -> Bool, progress: (Progress) -> Void,
                           next: (inout PacketBatch) -> Bool) throws(ReplayError) -> FeedEnd {
        var packets = 0
        var batch = PacketBatch()
        while next(&batch) {
            options.input.addressMap?.rewrite(&batch)
            packets += batch.count
            try process(owned: &batch)
            progress(Progress(packets: packets, totalPackets: total))
            if shouldStop() { return .stopped }
        }
        return .completed
    }
}
