import Foundation

/// `metrics.csv`: one row per reported interval of each peering direction (`IntervalSeries.reportedIntervals`:
/// traffic, a limit change, an alert firing; idle intervals have no row), in interval order and, within an
/// interval, in the order the directions were registered; a `DenseSpan` adds a row for every interval of a
/// bounded span, idle ones included. Columns are documented in docs/report.md.
public enum MetricsCSV {
    /// A span of emulated time in which every interval gets a row, idle ones included (`replay
    /// --dense-metrics`): `START+LENGTH` or `LENGTH` from the first packet, at most `maximumIntervals` long.
    public struct DenseSpan: Hashable, Sendable, CustomStringConvertible {
        public static let maximumIntervals: Int64 = 1_000_000
        /// From the origin, ns.
        public var start: Int64
        public var length: Int64

        public init(start: Int64 = 0, length: Int64) {
            self.start = start
            self.length = length
        }

        /// `10m` (the first ten minutes) or `2h+10m`; nil when either part is not a duration or the length is 0.
        public init?(parsing text: String) {
            let parts = text.split(separator: "+", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard let length = EmulatedDuration(parsing: parts[parts.count - 1]), length.nanoseconds > 0,
                  let start = parts.count == 2 ? EmulatedDuration(parsing: parts[0]) : .init(nanoseconds: 0),
                  !start.nanoseconds.addingReportingOverflow(length.nanoseconds).overflow else { return nil }
            self.init(start: start.nanoseconds, length: length.nanoseconds)
        }

        public var description: String {
            (start == 0 ? "" : "\(EmulatedDuration(nanoseconds: start))+") + "\(EmulatedDuration(nanoseconds: length))"
        }

        /// The intervals it covers (`first...last`), from the origin.
        func intervals(_ interval: Int64) -> ClosedRange<Int64> { (start / interval)...((start + length - 1) / interval) }

        /// Refuses a span of more than `maximumIntervals` intervals, so the file stays bounded.
        public func validate(interval: Int64) throws(DenseSpanError) {
            let intervals = intervals(interval)
            guard intervals.upperBound - intervals.lowerBound < Self.maximumIntervals else {
                throw .tooLong(span: description, interval: EmulatedDuration(nanoseconds: interval).description)
            }
        }
    }

    public enum DenseSpanError: Error, Equatable, CustomStringConvertible {
        case tooLong(span: String, interval: String)

        public var description: String {
            switch self {
            case .tooLong(let span, let interval):
                "dense metrics span \(span) holds more than \(DenseSpan.maximumIntervals) intervals of \(interval): shorten it or raise --interval"
            }
        }
    }

    /// The metrics written per row, in column order after the identifying columns.
    public static let metricColumns: [Metric] = [
        .packets, .bytes, .bandwidth, .packetRate, .throttledPackets, .throttledBytes, .throttledPacketRate,
        .throttledPercent, .bandwidthUtilization, .maxShapingDelay,
    ]

    public static let header: String = (
        ["interval_start_ns", "interval_end_ns", "offset_seconds", "peering", "direction", "cloud_monitor_side",
         "bandwidth_limit_bps"] + metricColumns.map(\.rawValue)
    ).joined(separator: ",")

    /// The whole file, header first, rows separated by "\n".
    public static func render(_ series: IntervalSeries, dense: DenseSpan? = nil) -> String {
        var text = ""
        forEachLine(of: series, dense: dense) { text += $0 }
        return text
    }

    /// Writes the file to `path` atomically, streaming it in chunks (a long replay has many rows).
    public static func write(_ series: IntervalSeries, to path: String, dense: DenseSpan? = nil) throws(AtomicFileError) {
        var file = try AtomicFile(path: path)
        var chunk = ""
        var failure: AtomicFileError?
        forEachLine(of: series, dense: dense) { line in
            guard failure == nil else { return }
            chunk += line
            if chunk.utf8.count >= 1 << 16 {
                do throws(AtomicFileError) { try file.write(chunk) } catch { failure = error }
                chunk = ""
            }
        }
        // On any error, dropping `file` removes the temporary file.
        if let failure { throw failure }
        try file.write(chunk)
        try file.commit()
    }

    /// Calls `body` with the header line and then every row, each ending in "\n".
    static func forEachLine(of series: IntervalSeries, dense: DenseSpan?, _ body: (String) -> Void) {
        body(header + "\n")
        var rows: [(interval: Int64, direction: Int)] = []
        let span = dense.map { $0.intervals(series.interval).clamped(to: 0...max(0, series.intervalCount - 1)) }
        for direction in series.directions.indices {
            var listed = series.reportedIntervals(direction: direction)
            if let span, series.intervalCount > 0 { listed = listed.filter { !span.contains($0) } + span }
            rows += listed.map { ($0, direction) }
        }
        rows.sort { ($0.interval, $0.direction) < ($1.interval, $1.direction) }
        for (interval, index) in rows {
            let direction = series.directions[index]
            let start = series.start(ofInterval: interval)
            let counters = series.counters(interval: interval, direction: index)
            let limit = series.rateLimit(interval: interval, direction: index)
            var fields = [
                String(start), String(start &+ series.interval),
                formatMetricValue(Double(interval &* series.interval) / 1e9), escape(direction.key.peering),
                direction.key.direction.rawValue, direction.key.direction.cloudMonitorSide, limit.map(String.init) ?? "",
            ]
            for metric in metricColumns {
                let value = metric.value(of: counters, duration: series.interval, rateLimitBitsPerSecond: limit)
                fields.append(value.map(formatMetricValue) ?? "")
            }
            body(fields.joined(separator: ",") + "\n")
        }
    }

    /// RFC 4180 quoting for a field that holds a comma, a quote or a line break.
    static func escape(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
