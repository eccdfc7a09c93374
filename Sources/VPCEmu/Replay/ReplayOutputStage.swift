import Foundation

/// Every output of a replay and what they share (the texts of the topology in effect, the
/// measurements): shown each forwarded batch in input order, on the output thread
/// (`ReplayOutputThread`), then finished. Its own type, not the session's, so that the per-packet
/// loop runs on a value the thread owns.
struct ReplayOutputStage: ~Copyable {
    var descriptions: ReplayDescriptions
    var measurements: ReplayMeasurements
    var instances: InstanceCaptures
    var dropped: DroppedCapture
    var verdictsFile: VerdictsFile?
    var reportFiles: ReportFiles

    /// Shows the first `verdicts.count` packets of `batch` (those forwarded) to the outputs. Each
    /// drop is described with the rules, routes and names in effect when it happened (an event can
    /// insert a rule or a route before the one a drop cites): from a change's packet on, the topology
    /// it applied.
    mutating func record(_ batch: borrowing PacketBatch, verdicts: borrowing ContiguousArray<ForwardingPipeline.Verdict>,
                         changes: borrowing ContiguousArray<(index: Int, topology: DataPlane)>) throws(ReplaySession.ReplayError) {
        if instances.linkType == nil { instances.linkType = batch.linkType }
        let writesVerdicts = verdictsFile != nil
        var nextChange = 0
        let linkType = batch.linkType
        try batch.withUnsafeBytes { (bytes) throws(ReplaySession.ReplayError) in
            for index in 0..<verdicts.count {
                while nextChange < changes.count, changes[nextChange].index == index {
                    descriptions.change(to: changes[nextChange].topology)
                    nextChange += 1
                }
                let verdict = verdicts[index]
                var packet = ReplayedPacket(frame: batch.frame(index, in: bytes), wireLength: batch.wireLengths[index],
                                            timestamp: batch.timestamps[index], linkType: linkType,
                                            headers: batch.parsed[index].headers, verdict: verdict)
                switch verdict.outcome {
                case .dropped(let reason): packet.drop = descriptions.drop(reason, verdict.trail)
                case .delivered: if writesVerdicts { packet.trailField = descriptions.trailField(verdict.trail) }
                case .left(let gateway):
                    if writesVerdicts {
                        packet.leftDetail = descriptions.leftDetail(gateway)
                        packet.trailField = descriptions.trailField(verdict.trail)
                    }
                }
                measurements.record(packet)
                try instances.record(packet)
                try dropped.record(packet)
                try verdictsFile?.record(packet)
            }
        }
    }

    /// Completes every output and moves it into place; returns the report.
    consuming func finish(alerts: [AlertRule], prices: PriceTable, connectionsRefused: Int64) throws(ReplaySession.ReplayError) -> ReplayReport {
        let (series, report): (IntervalSeries, ReplayReport)
        do { (series, report) = try measurements.finish(alerts: alerts, prices: prices, connectionsRefused: connectionsRefused) } catch {
            throw .alerts(error)
        }
        let run = ReplayRun(linkType: instances.linkType ?? .ethernet, series: series, report: report)
        try instances.finish(run)
        try dropped.finish(run)
        try verdictsFile?.finish(run)
        try reportFiles.finish(run)
        return report
    }
}

/// The output thread of a replay: the forwarding thread hands each forwarded batch (its packets,
/// verdicts and applied timeline changes) over in a slot of a bounded ring, and takes back a
/// recorded slot's batch and verdict buffers to refill, so nothing is copied or allocated per batch. One
/// consumer takes the slots in order: the outputs see the packets in input order, byte for byte as
/// on one thread. An output's error stops the recording; the forwarding thread learns it at its
/// next hand-over (`failure`) or at `finish`.
final class ReplayOutputThread: @unchecked Sendable {
    struct Slot {
        /// nil until the slot's first use.
        var batch: PacketBatch?
        var verdicts = ContiguousArray<ForwardingPipeline.Verdict>()
        var changes = ContiguousArray<(index: Int, topology: DataPlane)>()
    }

    /// Every field below is guarded by `condition`'s lock.
    private let condition = NSCondition()
    private var free: [Slot]
    private var filled: [Slot] = []
    /// Owned by the output thread while it runs; back here when it has ended.
    private var stage: ReplayOutputStage?
    private var failure: ReplaySession.ReplayError?
    private var closing = false
    /// Set by `close`: batches still waiting are not recorded.
    private var abandoning = false
    private var done = false

    /// Starts the thread; `slots` batches may wait between the two threads.
    init(stage: consuming ReplayOutputStage, slots: Int = 4) {
        self.stage = consume stage
        free = Array(repeating: Slot(), count: slots)
        filled.reserveCapacity(slots)
        let thread = Thread { [self] in run() }
        thread.name = "vpcemu-outputs"
        thread.start()
    }

    private func run() {
        condition.lock()
        var stage = self.stage.take()!
        var failed: ReplaySession.ReplayError?
        while true {
            while filled.isEmpty && !closing { condition.wait() }
            if filled.isEmpty { break }
            var slot = filled.removeFirst()
            let record = failed == nil && !abandoning
            condition.unlock()
            if record {
                do { try stage.record(slot.batch!, verdicts: slot.verdicts, changes: slot.changes) } catch { failed = error }
            }
            // Drop the topologies now rather than when the slot is reused.
            slot.changes.removeAll(keepingCapacity: true)
            condition.lock()
            if failure == nil { failure = failed }
            free.append(slot)
            condition.broadcast()
        }
        self.stage = consume stage
        done = true
        condition.broadcast()
        condition.unlock()
    }

    /// Hands `batch` and `verdicts` (the first `verdicts.count` packets forwarded) and `changes`
    /// over, and replaces them with buffers to refill; waits while every slot is taken. Throws the
    /// first error an output met.
    func submit(_ batch: inout PacketBatch, _ verdicts: inout ContiguousArray<ForwardingPipeline.Verdict>,
                changes: ContiguousArray<(index: Int, topology: DataPlane)>) throws(ReplaySession.ReplayError) {
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
        while free.isEmpty { condition.wait() }
        var slot = free.removeLast()
        // A slot's first use gives the caller a new batch of the same capacities, so batches
        // (and the packets each holds) are cut as without the hand-over.
        var refill = slot.batch.take() ?? PacketBatch(packetCapacity: batch.packetCapacity, byteCapacity: batch.bytes.count)
        swap(&refill, &batch)
        slot.batch = refill
        swap(&slot.verdicts, &verdicts)
        slot.changes.append(contentsOf: changes)
        filled.append(slot)
        condition.broadcast()
    }

    /// Waits for every batch handed over to be recorded, ends the thread and returns the stage, or
    /// throws the first error an output met. Called once.
    func drain() throws(ReplaySession.ReplayError) -> ReplayOutputStage {
        condition.lock()
        defer { condition.unlock() }
        closing = true
        condition.broadcast()
        while !done { condition.wait() }
        if let failure { throw failure }
        return stage.take()!
    }

    /// Ends the thread (a session dropped without `finish`, e.g. after an error) and removes its
    /// outputs' temporary files with the stage. Waits for the thread, so that no temporary file
    /// outlives the session when the process exits right after.
    func close() {
        condition.lock()
        closing = true
        abandoning = true
        condition.broadcast()
        while !done { condition.wait() }
        stage = nil
        condition.unlock()
    }
}
