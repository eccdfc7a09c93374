import Foundation

/// INSTANCE.pcap per instance: what it received, stamped with its arrival time, after the routers
/// it passed decremented the TTL. The captures have one link type; a delivered frame of another is
/// re-framed to it.
struct InstanceCaptures: ReplayOutput {
    private let paths: [String]
    /// Of the captures: the first batch's unless the session was given one.
    var linkType: LinkType?
    private var writers: [PcapWriter?]
    private var copy = ContiguousArray<UInt8>()
    private var reframed = ContiguousArray<UInt8>()

    init(paths: [String], linkType: LinkType?) {
        self.paths = paths
        self.linkType = linkType
        writers = Array(repeating: nil, count: paths.count)
    }

    mutating func record(_ packet: borrowing ReplayedPacket) throws(ReplaySession.ReplayError) {
        guard case .delivered(let instance, let arrival) = packet.verdict.outcome else { return }
        // The receiver sees the packet after the routers it passed decremented its TTL.
        var headers = packet.headers
        copy.removeAll(keepingCapacity: true)
        copy.append(contentsOf: packet.frame)
        let hops = packet.verdict.trail.routerHops
        copy.withUnsafeMutableBytes { mutable in
            for _ in 0..<hops { _ = HopLimit.decrement(mutable, headers: &headers) }
        }
        let writer = try writer(Int(instance))
        let stamp = packet.timestamp &+ (arrival &- packet.verdict.departure)
        if writer.linkType == packet.linkType {
            copy.withUnsafeBytes { writer.write($0, wireLength: packet.wireLength, timestamp: stamp) }
        } else {
            // Another link type than the captures' (mixed inputs, or one declared mid-file): the
            // IP packet (every delivered packet parsed as one) behind a header of the captures'
            // link type; the wire length changes by as much as the header.
            guard let header = writer.linkType.syntheticHeader(for: headers.family) else {
                throw .cannotReframe(from: packet.linkType, to: writer.linkType)
            }
            let ipStart = Int(headers.l3Offset)
            reframed.removeAll(keepingCapacity: true)
            reframed.append(contentsOf: header)
            reframed.append(contentsOf: copy[ipStart...])
            let wire = UInt32(clamping: max(0, Int(packet.wireLength) - ipStart + header.count))
            reframed.withUnsafeBytes { writer.write($0, wireLength: wire, timestamp: stamp) }
        }
        do { try writer.checkWritten() } catch { throw .capture(error) }
    }

    /// Every instance gets its capture, empty when it received nothing.
    mutating func finish(_ run: borrowing ReplayRun) throws(ReplaySession.ReplayError) {
        for instance in paths.indices { _ = try writer(instance) }
        do { for writer in writers { try writer?.finish() } } catch { throw .capture(error) }
    }

    private mutating func writer(_ instance: Int) throws(ReplaySession.ReplayError) -> PcapWriter {
        if let writer = writers[instance] { return writer }
        do {
            let writer = try PcapWriter(path: paths[instance], linkType: linkType ?? .ethernet)
            writers[instance] = writer
            return writer
        } catch { throw .capture(error) }
    }
}

/// dropped.pcapng: every dropped packet as read, its reason and hop trail as the packet's comment,
/// an interface per link type.
struct DroppedCapture: ReplayOutput {
    private let writer: PcapngWriter
    private var interfaces: [LinkType: Int] = [:]

    init(path: String) throws(ReplaySession.ReplayError) {
        do { writer = try PcapngWriter(path: path) } catch { throw .capture(error) }
    }

    mutating func record(_ packet: borrowing ReplayedPacket) throws(ReplaySession.ReplayError) {
        guard let text = packet.drop else { return }
        do {
            let interface = try interface(packet.linkType)
            try writer.write(interface: interface, packet.frame, wireLength: packet.wireLength, timestamp: packet.timestamp, comment: text.comment)
        } catch { throw .capture(error) }
    }

    /// A replay without drops still declares the interface of its link type.
    mutating func finish(_ run: borrowing ReplayRun) throws(ReplaySession.ReplayError) {
        do {
            if interfaces.isEmpty { _ = try interface(run.linkType) }
            try writer.finish()
        } catch { throw .capture(error) }
    }

    private mutating func interface(_ linkType: LinkType) throws(CaptureError) -> Int {
        if let interface = interfaces[linkType] { return interface }
        let interface = try writer.addInterface(name: "vpcemu-dropped", linkType: linkType)
        interfaces[linkType] = interface
        return interface
    }
}

/// verdicts.jsonl: a `VerdictRecord` per packet, one line each (`VerdictLine`), gathered into
/// writes of about a megabyte.
struct VerdictsFile: ReplayOutput, ~Copyable {
    private let path: String
    private var file: AtomicFile
    private var lines = VerdictLine(capacity: Self.writeSize + 4096)
    /// `,"instance":"NAME"` per instance, escaped once.
    private let instanceFields: [[UInt8]]
    /// Set when a write failed and the file was abandoned.
    private var failed = false
    private static let writeSize = 1 << 20

    init(path: String, instanceNames: [String]) throws(ReplaySession.ReplayError) {
        self.path = path
        do { file = try AtomicFile(path: path) } catch { throw .output(path, error) }
        instanceFields = instanceNames.map { VerdictLine.field("instance", $0) }
    }

    mutating func record(_ packet: borrowing ReplayedPacket) throws(ReplaySession.ReplayError) {
        guard !failed else { return }
        switch packet.verdict.outcome {
        case .delivered(let instance, let arrival):
            lines.delivered(time: packet.verdict.departure, instance: instanceFields[Int(instance)], arrival: arrival, trail: packet.trailField ?? [])
        case .dropped:
            lines.dropped(time: packet.verdict.departure, fields: packet.drop?.verdictFields ?? [])
        case .left:
            lines.left(time: packet.verdict.departure, detail: packet.leftDetail ?? [], trail: packet.trailField ?? [])
        }
        if lines.bytes.count >= Self.writeSize { try flush() }
    }

    private mutating func flush() throws(ReplaySession.ReplayError) {
        do { try file.write(lines.bytes) } catch {
            file.abandon()
            failed = true
            throw .output(path, error)
        }
        lines.removeAll()
    }

    mutating func finish(_ run: borrowing ReplayRun) throws(ReplaySession.ReplayError) {
        guard !failed else { return }
        try flush()
        do { try file.commit() } catch { throw .output(path, error) }
    }
}

/// report.json, metrics.csv and throughput.svg: written from the measurements at the end.
struct ReportFiles: ReplayOutput {
    let directory: String
    var report: String
    var metrics: String
    var plot: String
    var dense: MetricsCSV.DenseSpan?

    mutating func finish(_ run: borrowing ReplayRun) throws(ReplaySession.ReplayError) {
        do {
            try run.report.write(to: report)
            try MetricsCSV.write(run.series, to: metrics, dense: dense)
            try ThroughputPlot.write(run.series, to: plot)
        } catch { throw .output(directory, error) }
    }
}
