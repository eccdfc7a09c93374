import Foundation

/// `throughput.svg`: forwarded bandwidth (top panel, with each direction's limit dashed) and throttled
/// drops (bottom panel) per peering direction over emulated time. Plain SVG 1.1, no scripts, no external
/// fonts or styles, so browsers, rsvg-convert and image viewers all render it the same way.
///
/// However long the replay, each line has at most `maximumPoints` steps: adjacent intervals are grouped
/// into buckets and each bucket is drawn at the busiest interval in it (the maximum, so a one-second burst
/// in a day-long bucket stays visible and a line that reaches the limit still reaches it; a mean would
/// flatten both). Buckets are computed from the intervals with traffic only, so the cost grows with
/// activity, not with the span.
public enum ThroughputPlot {
    static let width = 960.0
    static let plotLeft = 90.0
    static let plotRight = 930.0
    /// Buckets per line at most (under one and a half per pixel of the 840-pixel plot).
    static let maximumPoints: Int64 = 1_200
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                          "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]
    /// Directions beyond the palette reuse its colours with these dash patterns.
    static let dashes = ["", "6 3", "2 2", "8 3 2 3"]

    public static func render(_ series: IntervalSeries, title: String = "Peering throughput") -> String {
        let directions = series.directions
        let legendRows = directions.count
        let panelHeight = 230.0
        let bandwidthTop = 70.0
        let dropsTop = bandwidthTop + panelHeight + 70
        let legendTop = dropsTop + panelHeight + 60
        let height = legendTop + Double(max(legendRows, 1)) * 22 + 20
        let intervalSeconds = Double(series.interval) / 1e9
        let duration = Double(series.intervalCount) * intervalSeconds
        let buckets = Buckets(intervalCount: series.intervalCount)

        // Per direction and panel, the busiest interval of each bucket (idle intervals are zeros).
        var bandwidth: [[Double]] = []
        var drops: [[Double]] = []
        for index in directions.indices {
            var bits = [Double](repeating: 0, count: Int(buckets.count))
            var throttled = bits
            for sample in series.activeIntervals(direction: index) {
                let bucket = Int(sample.index / buckets.size)
                bits[bucket] = max(bits[bucket], Double(sample.counters.bytes) * 8 / intervalSeconds)
                throttled[bucket] = max(throttled[bucket], Double(sample.counters.throttledPackets) / intervalSeconds)
            }
            bandwidth.append(bits)
            drops.append(throttled)
        }
        let limits = directions.flatMap { [$0.rateLimitBitsPerSecond] + $0.rateLimitChanges.map(\.bitsPerSecond) }.compactMap { $0 }.map(Double.init)
        let bandwidthMax = max(bandwidth.joined().max() ?? 0, limits.max() ?? 0)
        let dropsMax = drops.joined().max() ?? 0
        let bandwidthUnit = BitRateUnit.fitting(bandwidthMax)
        let timeUnit = TimeUnit.fitting(duration)

        var subtitle = "per peering direction, \(EmulatedDuration(nanoseconds: series.interval)) intervals of emulated time"
        if buckets.size > 1 { subtitle += "; each step is the busiest of \(buckets.size) intervals" }
        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
            <title>\(escape(title))</title>
            <rect x="0" y="0" width="\(Int(width))" height="\(Int(height))" fill="#ffffff"/>
            <text x="\(fmt(width / 2))" y="28" text-anchor="middle" font-size="18" font-weight="bold">\(escape(title))</text>
            <text x="\(fmt(width / 2))" y="48" text-anchor="middle" font-size="12" fill="#444444">\(escape(subtitle))</text>

            """
        let xAxis = Axis(maximum: duration / timeUnit.seconds)
        let xLabel = "Emulated time (\(timeUnit.name))"
        // Headroom above the largest value, so a line at the maximum (traffic at its limit) is not drawn on the frame.
        let bandwidthPanel = Panel(
            id: "bandwidth", top: bandwidthTop, height: panelHeight, xAxis: xAxis, timeUnit: timeUnit,
            yAxis: Axis(maximum: bandwidthMax * 1.1 / bandwidthUnit.scale),
            yLabel: "Bandwidth (\(bandwidthUnit.name))", xLabel: xLabel)
        bandwidthPanel.drawFrame(into: &svg)
        let dropsPanel = Panel(
            id: "throttled", top: dropsTop, height: panelHeight, xAxis: xAxis, timeUnit: timeUnit,
            yAxis: Axis(maximum: dropsMax * 1.1), yLabel: "Throttled drops (packets/s)", xLabel: xLabel)
        dropsPanel.drawFrame(into: &svg)

        if directions.isEmpty || series.intervalCount == 0 {
            for panel in [bandwidthPanel, dropsPanel] {
                svg += "<text x=\"\(fmt((plotLeft + plotRight) / 2))\" y=\"\(fmt(panel.top + panel.height / 2))\" "
                    + "text-anchor=\"middle\" font-size=\"14\" fill=\"#666666\">no peering traffic</text>\n"
            }
        }
        let bucketSeconds = Double(buckets.size) * intervalSeconds
        for (index, direction) in directions.enumerated() {
            let style = lineStyle(index)
            let label = escape(direction.key.description)
            svg += bandwidthPanel.stepPath(
                bandwidth[index].map { $0 / bandwidthUnit.scale }, stepSeconds: bucketSeconds, endSeconds: duration,
                style: style, label: "\(label) bandwidth")
            svg += dropsPanel.stepPath(
                drops[index], stepSeconds: bucketSeconds, endSeconds: duration, style: style, label: "\(label) throttled drops")
        }
        // Limits last, on top of the traffic, thinner and in a dark shade of the direction's colour: a line
        // of traffic that sits on its limit shows as the limit's dashes over the wider traffic line.
        for (index, direction) in directions.enumerated() where direction.rateLimitBitsPerSecond != nil || !direction.rateLimitChanges.isEmpty {
            svg += bandwidthPanel.limitPath(direction, origin: series.origin, endSeconds: duration, scale: bandwidthUnit.scale,
                                            color: darker(lineStyle(index).color), label: escape(direction.key.description))
        }

        // Legend: one row per direction below the panels.
        svg += "<g id=\"legend\" font-size=\"12\">\n"
        for (index, direction) in directions.enumerated() {
            let style = lineStyle(index)
            let x = plotLeft
            let y = legendTop + Double(index) * 22
            let dash = style.dash.isEmpty ? "" : " stroke-dasharray=\"\(style.dash)\""
            var text = escape(direction.key.description) + " (" + direction.key.direction.cloudMonitorSide
            if let limit = direction.rateLimitBitsPerSecond {
                text += ", limit \(formatMetricValue(Double(limit) / bandwidthUnit.scale)) \(bandwidthUnit.name)"
                for change in direction.rateLimitChanges {
                    let value = change.bitsPerSecond.map { "\(formatMetricValue(Double($0) / bandwidthUnit.scale)) \(bandwidthUnit.name)" } ?? "none"
                    text += ", \(value) from \(formatMetricValue(Double(change.time) / 1e9)) s"
                }
            }
            text += ")"
            svg += "<line x1=\"\(fmt(x))\" y1=\"\(fmt(y - 4))\" x2=\"\(fmt(x + 28))\" y2=\"\(fmt(y - 4))\" "
                + "stroke=\"\(style.color)\" stroke-width=\"2.5\"\(dash)/>"
                + "<text x=\"\(fmt(x + 36))\" y=\"\(fmt(y))\">\(text)</text>\n"
        }
        if directions.contains(where: { $0.rateLimitBitsPerSecond != nil }) {
            let y = legendTop + Double(legendRows) * 22
            svg += "<text x=\"\(fmt(plotLeft))\" y=\"\(fmt(y))\" fill=\"#444444\">"
                + "Dashed lines: each direction's bandwidth limit.</text>\n"
        }
        svg += "</g>\n</svg>\n"
        return svg
    }

    /// Adjacent intervals grouped so that a line has at most `maximumPoints` steps.
    struct Buckets {
        /// Intervals per bucket.
        var size: Int64
        var count: Int64

        init(intervalCount: Int64) {
            size = max(1, (intervalCount + maximumPoints - 1) / maximumPoints)
            count = (intervalCount + size - 1) / size
        }
    }

    /// The unit of the time axis: the largest in which the span is at least two units, so ticks read as
    /// small round numbers (`0 200 400 … days` rather than `0 20000000 … s`).
    struct TimeUnit {
        var name: String
        var seconds: Double

        static func fitting(_ duration: Double) -> TimeUnit {
            if duration >= 2 * 86_400 { return TimeUnit(name: "days", seconds: 86_400) }
            if duration >= 2 * 3_600 { return TimeUnit(name: "h", seconds: 3_600) }
            if duration >= 2 * 60 { return TimeUnit(name: "min", seconds: 60) }
            if duration >= 1 || duration == 0 { return TimeUnit(name: "s", seconds: 1) }
            return TimeUnit(name: "ms", seconds: 1e-3)
        }
    }

    /// Writes `render(series)` to `path` atomically.
    public static func write(_ series: IntervalSeries, to path: String, title: String = "Peering throughput") throws(AtomicFileError) {
        try AtomicFile.write(render(series, title: title), to: path)
    }

    struct LineStyle {
        var color: String
        var dash: String
    }

    static func lineStyle(_ index: Int) -> LineStyle {
        LineStyle(color: palette[index % palette.count], dash: dashes[(index / palette.count) % dashes.count])
    }

    /// A linear axis from 0 to a "nice" maximum with about five ticks at 1, 2 or 5 × 10ⁿ (Heckbert, "Nice
    /// numbers for graph labels", Graphics Gems, 1990).
    struct Axis {
        var step: Double
        var top: Double

        init(maximum: Double) {
            let target = maximum > 0 && maximum.isFinite ? maximum : 1
            let rough = target / 5
            let magnitude = pow(10, floor(log10(rough)))
            let fraction = rough / magnitude
            step = (fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10) * magnitude
            top = (target / step).rounded(.up) * step
        }

        var ticks: [Double] {
            let count = Int((top / step).rounded())
            return (0...count).map { Double($0) * step }
        }
    }

    struct Panel {
        var id: String
        var top: Double
        var height: Double
        var xAxis: Axis
        var timeUnit: TimeUnit
        var yAxis: Axis
        var yLabel: String
        var xLabel: String

        var bottom: Double { top + height }

        /// The x of a time `seconds` after the origin.
        func x(_ seconds: Double) -> Double { plotLeft + seconds / timeUnit.seconds / xAxis.top * (plotRight - plotLeft) }
        func y(_ value: Double) -> Double { bottom - value / yAxis.top * height }

        func drawFrame(into svg: inout String) {
            svg += "<g id=\"\(id)-axes\" font-size=\"11\" fill=\"#333333\">\n"
            for tick in yAxis.ticks {
                let y = y(tick)
                svg += "<line x1=\"\(fmt(plotLeft))\" y1=\"\(fmt(y))\" x2=\"\(fmt(plotRight))\" y2=\"\(fmt(y))\" "
                    + "stroke=\"#e5e5e5\" stroke-width=\"1\"/>"
                    + "<text x=\"\(fmt(plotLeft - 8))\" y=\"\(fmt(y + 4))\" text-anchor=\"end\">\(formatMetricValue(tick))</text>\n"
            }
            for tick in xAxis.ticks {
                let x = plotLeft + tick / xAxis.top * (plotRight - plotLeft)
                let text = formatMetricValue(tick)
                svg += "<line x1=\"\(fmt(x))\" y1=\"\(fmt(bottom))\" x2=\"\(fmt(x))\" y2=\"\(fmt(bottom + 5))\" "
                    + "stroke=\"#333333\" stroke-width=\"1\"/>"
                    + "<text x=\"\(fmt(x))\" y=\"\(fmt(bottom + 18))\" text-anchor=\"\(tickAnchor(x: x, text: text))\">\(text)</text>\n"
            }
            svg += "<rect x=\"\(fmt(plotLeft))\" y=\"\(fmt(top))\" width=\"\(fmt(plotRight - plotLeft))\" "
                + "height=\"\(fmt(height))\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1\"/>\n"
            svg += "<text x=\"\(fmt((plotLeft + plotRight) / 2))\" y=\"\(fmt(bottom + 36))\" text-anchor=\"middle\" "
                + "font-size=\"12\">\(escape(xLabel))</text>\n"
            let middle = top + height / 2
            svg += "<text x=\"22\" y=\"\(fmt(middle))\" text-anchor=\"middle\" font-size=\"12\" "
                + "transform=\"rotate(-90 22 \(fmt(middle)))\">\(escape(yLabel))</text>\n"
            svg += "</g>\n"
        }

        /// A step line: each value drawn flat across its `stepSeconds` (the last step ends at `endSeconds`);
        /// equal neighbours are drawn as one step.
        func stepPath(_ values: [Double], stepSeconds: Double, endSeconds: Double, style: LineStyle, label: String,
                      cssClass: String = "series") -> String {
            guard let first = values.first else { return "" }
            var d = "M\(fmt(x(0))),\(fmt(y(first)))"
            var level = first
            for (index, value) in values.enumerated().dropFirst() where value != level {
                d += "H\(fmt(x(Double(index) * stepSeconds)))V\(fmt(y(value)))"
                level = value
            }
            d += "H\(fmt(x(endSeconds)))"
            let dash = style.dash.isEmpty ? "" : " stroke-dasharray=\"\(style.dash)\""
            return "<path class=\"\(cssClass)\" data-panel=\"\(id)\" d=\"\(d)\" fill=\"none\" stroke=\"\(style.color)\" "
                + "stroke-width=\"2.2\"\(dash)><title>\(label)</title></path>\n"
        }

        /// A direction's bandwidth limit: a straight line when it never changes, a step line at the
        /// timeline's changes otherwise (gaps where the direction is unlimited).
        func limitPath(_ direction: MeteredDirection, origin: Int64, endSeconds: Double, scale: Double, color: String,
                       label: String) -> String {
            let stroke = "stroke=\"\(color)\" stroke-width=\"1.4\" stroke-dasharray=\"6 4\""
            guard !direction.rateLimitChanges.isEmpty else {
                guard let limit = direction.rateLimitBitsPerSecond else { return "" }
                let y = fmt(y(Double(limit) / scale))
                let ends = "x1=\"\(fmt(plotLeft))\" y1=\"\(y)\" x2=\"\(fmt(x(endSeconds)))\" y2=\"\(y)\""
                return "<line class=\"limit\" \(ends) \(stroke)><title>\(label) limit \(formatMetricValue(Double(limit))) bit/s</title></line>\n"
            }
            // Segments of constant limit, clipped to the plotted span.
            var d = ""
            var limit = direction.rateLimitBitsPerSecond
            var from = 0.0
            func segment(to end: Double) {
                guard let limit, end > from else { return }
                d += "M\(fmt(x(from))),\(fmt(y(Double(limit) / scale)))H\(fmt(x(end)))"
            }
            for change in direction.rateLimitChanges {
                let at = min(max(Double(change.time &- origin) / 1e9, 0), endSeconds)
                segment(to: at)
                if limit != nil, let next = change.bitsPerSecond, at > from, at < endSeconds { d += "V\(fmt(y(Double(next) / scale)))" }
                from = max(from, at)
                limit = change.bitsPerSecond
            }
            segment(to: endSeconds)
            guard !d.isEmpty else { return "" }
            return "<path class=\"limit\" d=\"\(d)\" fill=\"none\" \(stroke)><title>\(label) limit</title></path>\n"
        }
    }

    /// `#rrggbb` at 55 % of its brightness.
    static func darker(_ color: String) -> String {
        guard color.count == 7, let value = Int(color.dropFirst(), radix: 16) else { return color }
        let channels = [value >> 16, (value >> 8) & 0xFF, value & 0xFF].map { $0 * 55 / 100 }
        return "#" + channels.map { String(format: "%02x", $0) }.joined()
    }

    /// Where a tick label is anchored: centred under its tick, unless that would run past the image's
    /// edge (the last tick sits at the plot's right end), then ending at the tick.
    static func tickAnchor(x: Double, text: String) -> String {
        // DejaVu Sans digits at 11 px are 7 px wide; a generous estimate keeps the label inside.
        let halfWidth = Double(text.count) * 7 / 2
        if x + halfWidth > width - 2 { return "end" }
        if x - halfWidth < 2 { return "start" }
        return "middle"
    }

    /// The unit that keeps bandwidth tick labels short.
    struct BitRateUnit {
        var name: String
        var scale: Double

        static func fitting(_ maximum: Double) -> BitRateUnit {
            if maximum >= 1e9 { return BitRateUnit(name: "Gbit/s", scale: 1e9) }
            if maximum >= 1e6 { return BitRateUnit(name: "Mbit/s", scale: 1e6) }
            if maximum >= 1e3 { return BitRateUnit(name: "kbit/s", scale: 1e3) }
            return BitRateUnit(name: "bit/s", scale: 1)
        }
    }

    static func fmt(_ value: Double) -> String { String(format: "%.2f", value) }

    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
