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
}
