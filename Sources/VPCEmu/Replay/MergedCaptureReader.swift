/// Several captures read as one stream of batches (docs/forwarding.md, "Several captures"):
///
/// - `.timestamp` (the default, as mergecap does): packets in timestamp order, ties in file order
///   (then record order). Each file is read as it is; a file whose own timestamps go back keeps
///   its order, as in mergecap.
/// - `.concatenate`: file after file, each rebased so that its first packet is at the latest
///   timestamp of the files before it (zero gap), keeping the packets' spacing inside each file.
///
/// Every file is opened in `init` (an unreadable one throws there, before any packet is read),
/// each on its own `ReadAheadPcapReader`, which reads, rewrites and parses ahead on its thread.
/// One file, or concatenation, hands the readers' batches through (timestamps shifted in place);
/// a timestamp merge of several files copies runs of packets from the readers' batches into the
/// caller's, so memory is the readers' batches plus one, and nothing is allocated per batch.
/// A batch delivered holds packets of one link type (`PacketBatch.linkType`): a merged batch ends where the
/// next packet comes from a file of another link type.
public final class MergedCaptureReader {
    public enum Order: Sendable {
        case timestamp, concatenate
    }

    private struct Input {
        let reader: ReadAheadPcapReader
        var batch: PacketBatch
        var cursor = 0
        var done = false
    }

    public let order: Order
    private var inputs: [Input]
    /// The input being read (concatenation and a single file).
    private var current = 0
    /// Concatenation: the latest rebased timestamp delivered so far, and the offset of the current file.
    private var latest: Int64?
    private var offset: Int64 = 0
    private var offsetFixed = false
    /// An error met while a merged batch was being filled, thrown after the batch is delivered.
    private var pendingError: CaptureError?
    private var finished = false

    /// Opens every file; `prepare` and `parsesForForwarding` as `ReadAheadPcapReader` takes them.
    public init(paths: [String], order: Order = .timestamp, parsesForForwarding: Bool = true,
                prepare: ReadAheadPcapReader.Stage? = nil) throws(CaptureError) {
        precondition(!paths.isEmpty, "nothing to read")
        self.order = order
        var inputs: [Input] = []
        // A merge holds one batch per file besides the read-ahead one; one file or concatenation reads ahead by two.
        let spares = order == .timestamp && paths.count > 1 ? 1 : 2
        for path in paths {
            let reader = try ReadAheadPcapReader(path: path, spareBatches: spares, parsesForForwarding: parsesForForwarding, prepare: prepare)
            let batch = order == .timestamp && paths.count > 1 ? ReadAheadPcapReader.makeBatch() : PacketBatch(packetCapacity: 1, byteCapacity: 1)
            inputs.append(Input(reader: reader, batch: batch))
        }
        self.inputs = inputs
    }

    /// Bytes of the files consumed so far (for progress reports).
    public var bytesRead: Int64 { inputs.reduce(0) { $0 + $1.reader.bytesRead } }

    /// Replaces `batch` with the next batch; false at the end of every file. A damaged file
    /// throws once the packets delivered before its damage are out (for a merge: the merged
    /// packets that precede it).
    public func nextBatch(into batch: inout PacketBatch) throws(CaptureError) -> Bool {
        guard !finished else { return false }
        if let error = pendingError {
            finished = true
            throw error
        }
        do {
            let more = try order == .timestamp && inputs.count > 1 ? merge(into: &batch) : passThrough(into: &batch)
            if !more { finished = true }
            return more
        } catch {
            finished = true
            throw error
        }
    }

    private func passThrough(into batch: inout PacketBatch) throws(CaptureError) -> Bool {
        while current < inputs.count {
            let reader = inputs[current].reader
            guard try reader.nextBatch(into: &batch) else {
                current += 1
                offsetFixed = false
                continue
            }
            if order == .concatenate {
                if !offsetFixed {
                    offsetFixed = true
                    offset = latest.map { $0 &- batch.timestamps[0] } ?? 0
                }
                if offset != 0 { batch.shiftTimestamps(by: offset) }
                let newest = batch.timestamps.prefix(batch.count).max()!
                latest = max(latest ?? newest, newest)
            }
            return true
        }
        return false
    }

    /// Fills `batch` from the inputs in (timestamp, file) order, a run of one input at a time.
    private func merge(into batch: inout PacketBatch) throws(CaptureError) -> Bool {
        batch.reset(firstRecordIndex: 0)
        var batchLinkType: LinkType?
        while true {
            // The input with the earliest head packet, and the best head among the others.
            var best = -1, runnerUp = -1
            for index in inputs.indices {
                guard refill(index) else {
                    if let error = pendingError {
                        // Deliver what precedes the damage first; `nextBatch` throws the error next time.
                        if !batch.isEmpty { return true }
                        pendingError = nil
                        throw error
                    }
                    continue
                }
                if best < 0 || head(index) < head(best) {
                    runnerUp = best
                    best = index
                } else if runnerUp < 0 || head(index) < head(runnerUp) {
                    runnerUp = index
                }
            }
            guard best >= 0 else { return !batch.isEmpty }
            let inputLinkType = inputs[best].batch.linkType
            if let batchLinkType, batchLinkType != inputLinkType { return true }
            // Its packets up to the runner-up's head (ties go to the earlier file).
            let start = inputs[best].cursor
            var end = start + 1
            let source = inputs[best].batch
            if runnerUp >= 0 {
                let limit = head(runnerUp)
                while end < source.count, (source.timestamps[end], best) < limit { end += 1 }
            } else {
                end = source.count
            }
            let appended = batch.append(start ..< end, of: source)
            if appended == 0 { return true }  // full
            batchLinkType = inputLinkType
            inputs[best].cursor += appended
        }
    }

    /// (timestamp, file index) of input `index`'s next packet.
    private func head(_ index: Int) -> (Int64, Int) { (inputs[index].batch.timestamps[inputs[index].cursor], index) }

    /// Whether input `index` has a packet at its cursor, reading its next batch when needed.
    private func refill(_ index: Int) -> Bool {
        while !inputs[index].done, inputs[index].cursor >= inputs[index].batch.count {
            do {
                if try inputs[index].reader.nextBatch(into: &inputs[index].batch) {
                    inputs[index].cursor = 0
                } else {
                    inputs[index].done = true
                }
            } catch {
                inputs[index].done = true
                pendingError = error
            }
        }
        return !inputs[index].done
    }
}
