import Foundation

/// Where a replay's packets come from: capture files (merged in timestamp order or concatenated,
/// `MergedCaptureReader`), generated traffic fed straight into the pipeline (`replay
/// --generate`) or flow-log records turned into packets (`replay --flow-log`), batch by batch in
/// every case, so memory does not grow with the packets.
public enum ReplayInput {
    case captures([String])
    /// Stamped from `TrafficGenerator.defaultEpoch`, as `generate` writes them: a replay of the
    /// generated stream and a replay of the file `generate` writes give the same outputs.
    case generated(TrafficGenerator)
    /// `--flow-log`: each record as packets stamped with its Unix time (docs/flow-logs.md).
    case flowLog(FlowLogTraffic)

    /// Opens every capture file and reads its header, so that a missing, unreadable or damaged
    /// file is reported before any output is written; returns their link types in order
    /// (Ethernet for generated traffic).
    public func linkTypes() throws(CaptureError) -> [LinkType] {
        guard case .captures(let paths) = self else { return [.ethernet] }
        return try paths.map { path throws(CaptureError) in try PcapReader(path: path).linkType }
    }

    /// Capture files' total size in bytes (nil for generated traffic; unreadable files count 0).
    public var totalBytes: Int64? {
        guard case .captures(let paths) = self else { return nil }
        return paths.reduce(Int64(0)) { total, path in
            total + ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0)
        }
    }

    /// Generated packets in all (nil for captures); counted without generating them.
    public var totalPackets: Int? {
        switch self {
        case .captures: nil
        case .generated(let generator): generator.stream().totalPackets
        case .flowLog(let traffic): traffic.stream().totalPackets
        }
    }

    /// Large enough for a progress line: 32 MiB of captures (about a second of reading and forwarding)
    /// or a million generated packets.
    public var isLarge: Bool { (totalBytes ?? 0) >= 32 << 20 || (totalPackets ?? 0) >= 1_000_000 }
}

extension ReplaySession {
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

    /// How far a replay has got, for a progress line.
    public struct Progress: Sendable, Equatable {
        public var packets: Int
        /// Of the capture files: bytes read so far and their total size; nil for generated traffic.
        public var bytesRead: Int64?
        public var totalBytes: Int64?
        /// Of generated traffic: the packets it holds in all; nil for captures.
        public var totalPackets: Int?

        public init(packets: Int, bytesRead: Int64? = nil, totalBytes: Int64? = nil, totalPackets: Int? = nil) {
            self.packets = packets
            self.bytesRead = bytesRead
            self.totalBytes = totalBytes
            self.totalPackets = totalPackets
        }

        /// Done so far, 0…1: file bytes read, or generated packets replayed.
        public var fraction: Double? {
            if let bytesRead, let totalBytes, totalBytes > 0 { return min(1, Double(bytesRead) / Double(totalBytes)) }
            if let totalPackets, totalPackets > 0 { return min(1, Double(packets) / Double(totalPackets)) }
            return nil
        }

        /// `1,234,567 packets  0.62 Mpps  25.0 %` after `elapsed` seconds of wall time.
        public func line(elapsed: Double) -> String {
            let rate = elapsed > 0 ? Double(packets) / elapsed / 1e6 : 0
            var digits = String(packets)
            var grouped = ""
            while digits.count > 3 {
                grouped = "," + digits.suffix(3) + grouped
                digits.removeLast(3)
            }
            var text = digits + grouped + " packets  " + String(format: "%.2f Mpps", rate)
            if let fraction { text += String(format: "  %.1f %%", fraction * 100) }
            return text
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

    /// Processes every batch of `input`. Between batches, `shouldStop` is asked whether to stop early
    /// (SIGINT) and `progress` is told how far the replay has got. Call `finish()` afterwards, whatever
    /// the end: the outputs then cover exactly the packets processed.
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
                try process(batch)
                packets += batch.count
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
            try process(batch)
            packets += batch.count
            progress(Progress(packets: packets, totalPackets: total))
            if shouldStop() { return .stopped }
        }
        return .completed
    }
}
