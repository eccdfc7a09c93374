import Foundation

/// `metrics.csv`: one row per reported interval of each peering direction (`IntervalSeries.reportedIntervals`:
/// traffic, a limit change, an alert firing; idle intervals have no row), in interval order and, within an
/// interval, in the order the directions were registered. Columns are documented in docs/report.md.
public enum MetricsCSV {
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
    public static func render(_ series: IntervalSeries) -> String {
        var text = ""
        forEachLine(of: series) { text += $0 }
        return text
    }

    /// Writes the file to `path` atomically, streaming it in chunks (a long replay has many rows).
    public static func write(_ series: IntervalSeries, to path: String) throws(AtomicFileError) {
        var file = try AtomicFile(path: path)
        var chunk = ""
        var failure: AtomicFileError?
        forEachLine(of: series) { line in
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
    static func forEachLine(of series: IntervalSeries, _ body: (String) -> Void) {
        body(header + "\n")
        var rows: [(interval: Int64, direction: Int)] = []
        for direction in series.directions.indices {
            rows += series.reportedIntervals(direction: direction).map { ($0, direction) }
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
