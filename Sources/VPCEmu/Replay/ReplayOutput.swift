/// One output of a replay (docs/forwarding.md, "Replay outputs"): shown every packet in input
/// order, then finished once, when it completes its file and moves it into place (`AtomicFile`).
/// The session holds each output as its concrete type, so the per-packet call is static.
protocol ReplayOutput: ~Copyable {
    /// One packet and its verdict.
    mutating func record(_ packet: borrowing ReplayedPacket) throws(ReplaySession.ReplayError)
    /// After the last packet; `run` is what the replay measured.
    mutating func finish(_ run: borrowing ReplayRun) throws(ReplaySession.ReplayError)
}

extension ReplayOutput where Self: ~Copyable {
    /// An output built from the measurements alone (report, metrics, plot) records nothing per packet.
    mutating func record(_ packet: borrowing ReplayedPacket) throws(ReplaySession.ReplayError) {}
}

/// A packet as the outputs see it: the frame as read, what the pipeline parsed and decided, and
/// the texts that describe it in the topology then in effect.
struct ReplayedPacket {
    var frame: UnsafeRawBufferPointer
    var wireLength: UInt32
    var timestamp: Int64
    var linkType: LinkType
    /// The pipeline's parse of `frame` (`PacketBatch.parsed`).
    var headers: PacketHeaders
    var verdict: ForwardingPipeline.Verdict
    /// A dropped packet's texts.
    var drop: DropText?
    /// A delivered or departed packet's `,"trail":"…"` when verdicts.jsonl is written.
    var trailField: [UInt8]?
    /// `,"detail":"left the modelled network through …"` of a packet routed out of the model,
    /// when verdicts.jsonl is written.
    var leftDetail: [UInt8]?
}

/// What a drop's outputs say about it: built once per reason and trail (a replay drops the same
/// flows again and again, and building the text costs more than forwarding the packet).
struct DropText {
    var code: String
    var comment: String
    /// `,"reason":…,"detail":…,"trail":…` of its verdicts.jsonl line.
    var verdictFields: [UInt8]
}

/// What the outputs are finished with.
struct ReplayRun: ~Copyable {
    /// Of the per-instance captures and dropped.pcapng's first interface.
    var linkType: LinkType
    var series: IntervalSeries
    var report: ReplayReport
}

/// The texts of drops and delivered trails in the topology in effect, remembered per reason and
/// trail; forgotten when a timeline change gives the topology new names, rules or routes.
struct ReplayDescriptions {
    private(set) var topology: DataPlane
    private struct DropKey: Hashable {
        var reason: DropReason
        var steps: ForwardingPipeline.HopTrail
    }
    private var drops: [DropKey: DropText] = [:]
    private var trails: [ForwardingPipeline.HopTrail: [UInt8]] = [:]
    /// Per external gateway of `topology`, its `leftDetail` field once built.
    private var leftDetails: [[UInt8]?] = []
    /// The last text given out of each kind: consecutive packets are mostly of one flow, and
    /// comparing keys is cheaper than hashing them.
    private var lastDrop: (key: DropKey, text: DropText)?
    private var lastTrail: (steps: ForwardingPipeline.HopTrail, field: [UInt8])?
    /// Bounded, so that memory stays flat whatever the mix of reasons and trails.
    private static let limit = 4096

    init(topology: DataPlane) { self.topology = topology }

    mutating func change(to topology: DataPlane) {
        self.topology = topology
        drops.removeAll()
        trails.removeAll()
        leftDetails.removeAll()
        lastDrop = nil
        lastTrail = nil
    }

    mutating func leftDetail(_ gateway: UInt32) -> [UInt8] {
        if leftDetails.isEmpty { leftDetails = Array(repeating: nil, count: topology.externals.count) }
        if let field = leftDetails[Int(gateway)] { return field }
        let field = VerdictLine.field("detail", "left the modelled network through \(topology.externals[Int(gateway)])")
        leftDetails[Int(gateway)] = field
        return field
    }

    mutating func drop(_ reason: DropReason, _ trail: ForwardingPipeline.HopTrail) -> DropText {
        let key = DropKey(reason: reason, steps: trail.describedSteps)
        if let lastDrop, lastDrop.key == key { return lastDrop.text }
        if let text = drops[key] {
            lastDrop = (key, text)
            return text
        }
        let detail = reason.describe(in: topology), trailText = trail.describe(in: topology)
        let text = DropText(code: reason.code, comment: "\(reason.code): \(detail)" + (trailText.isEmpty ? "" : " | trail: \(trailText)"),
                            verdictFields: VerdictLine.field("reason", reason.code) + VerdictLine.field("detail", detail)
                                + VerdictLine.field("trail", trailText))
        if drops.count >= Self.limit { drops.removeAll(keepingCapacity: true) }
        drops[key] = text
        lastDrop = (key, text)
        return text
    }

    /// `,"trail":"…"` of a delivered packet.
    mutating func trailField(_ trail: ForwardingPipeline.HopTrail) -> [UInt8] {
        let steps = trail.describedSteps
        if let lastTrail, lastTrail.steps == steps { return lastTrail.field }
        if let field = trails[steps] {
            lastTrail = (steps, field)
            return field
        }
        let field = VerdictLine.field("trail", trail.describe(in: topology))
        if trails.count >= Self.limit { trails.removeAll(keepingCapacity: true) }
        trails[steps] = field
        lastTrail = (steps, field)
        return field
    }
}
