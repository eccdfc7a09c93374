import Foundation

/// `throughput.svg`: forwarded bandwidth (top panel, with each direction's limit dashed) and throttled
/// drops (bottom panel) per peering direction over emulated time. Plain SVG 1.1, no scripts, no external
/// fonts or styles, so browsers, rsvg-convert and image viewers all render it the same way.
public enum ThroughputPlot {
    static let width = 960.0
    static let plotLeft = 90.0
    static let plotRight = 930.0
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
        let duration = Double(Int64(series.intervalCount) &* series.interval) / 1e9
        let intervalSeconds = Double(series.interval) / 1e9

        // One array of per-interval values per direction and panel.
        var bandwidth: [[Double]] = []
        var drops: [[Double]] = []
        for index in directions.indices {
            let dense = series.denseCounters(direction: index)
            bandwidth.append(dense.map { Double($0.bytes) * 8 / intervalSeconds })
            drops.append(dense.map { Double($0.throttledPackets) / intervalSeconds })
        }
        let limits = directions.flatMap { [$0.rateLimitBitsPerSecond] + $0.rateLimitChanges.map(\.bitsPerSecond) }.compactMap { $0 }.map(Double.init)
        let bandwidthMax = max(bandwidth.joined().max() ?? 0, limits.max() ?? 0)
        let dropsMax = drops.joined().max() ?? 0
        let bandwidthUnit = BitRateUnit.fitting(bandwidthMax)

        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
            <title>\(escape(title))</title>
            <rect x="0" y="0" width="\(Int(width))" height="\(Int(height))" fill="#ffffff"/>
            <text x="\(fmt(width / 2))" y="28" text-anchor="middle" font-size="18" font-weight="bold">\(escape(title))</text>
            <text x="\(fmt(width / 2))" y="48" text-anchor="middle" font-size="12" fill="#444444">\
            per peering direction, \(formatMetricValue(intervalSeconds)) s intervals of emulated time</text>

            """
        let xAxis = Axis(maximum: duration)
        let bandwidthPanel = Panel(
            id: "bandwidth", top: bandwidthTop, height: panelHeight, xAxis: xAxis,
            yAxis: Axis(maximum: bandwidthMax / bandwidthUnit.scale),
            yLabel: "Bandwidth (\(bandwidthUnit.name))", xLabel: "Emulated time (s)")
        bandwidthPanel.drawFrame(into: &svg)
        let dropsPanel = Panel(
            id: "throttled", top: dropsTop, height: panelHeight, xAxis: xAxis, yAxis: Axis(maximum: dropsMax),
            yLabel: "Throttled drops (packets/s)", xLabel: "Emulated time (s)")
        dropsPanel.drawFrame(into: &svg)

        if directions.isEmpty || series.intervalCount == 0 {
            for panel in [bandwidthPanel, dropsPanel] {
                svg += "<text x=\"\(fmt((plotLeft + plotRight) / 2))\" y=\"\(fmt(panel.top + panel.height / 2))\" "
                    + "text-anchor=\"middle\" font-size=\"14\" fill=\"#666666\">no peering traffic</text>\n"
            }
        }
        for (index, direction) in directions.enumerated() {
            let style = lineStyle(index)
            let label = escape(direction.key.description)
            if !direction.rateLimitChanges.isEmpty {
                // A limit changed by the timeline: a dashed step line, one step per interval.
                let perInterval = (0..<series.intervalCount).map {
                    Double(series.rateLimit(interval: $0, direction: index) ?? 0) / bandwidthUnit.scale
                }
                svg += bandwidthPanel.stepPath(perInterval, intervalSeconds: intervalSeconds, style: LineStyle(color: style.color, dash: "3 4"),
                                               label: "\(label) limit", cssClass: "limit")
            } else if let limit = direction.rateLimitBitsPerSecond {
                let y = bandwidthPanel.y(Double(limit) / bandwidthUnit.scale)
                svg += "<line class=\"limit\" x1=\"\(fmt(plotLeft))\" y1=\"\(fmt(y))\" x2=\"\(fmt(plotRight))\" "
                    + "y2=\"\(fmt(y))\" stroke=\"\(style.color)\" stroke-width=\"1\" stroke-dasharray=\"3 4\" "
                    + "opacity=\"0.8\"><title>\(label) limit \(formatMetricValue(Double(limit))) bit/s</title></line>\n"
            }
            svg += bandwidthPanel.stepPath(
                bandwidth[index].map { $0 / bandwidthUnit.scale }, intervalSeconds: intervalSeconds,
                style: style, label: "\(label) bandwidth")
            svg += dropsPanel.stepPath(
                drops[index], intervalSeconds: intervalSeconds, style: style, label: "\(label) throttled drops")
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
        var yAxis: Axis
        var yLabel: String
        var xLabel: String

        var bottom: Double { top + height }

        func x(_ seconds: Double) -> Double { plotLeft + seconds / xAxis.top * (plotRight - plotLeft) }
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
                let x = x(tick)
                svg += "<line x1=\"\(fmt(x))\" y1=\"\(fmt(bottom))\" x2=\"\(fmt(x))\" y2=\"\(fmt(bottom + 5))\" "
                    + "stroke=\"#333333\" stroke-width=\"1\"/>"
                    + "<text x=\"\(fmt(x))\" y=\"\(fmt(bottom + 18))\" text-anchor=\"middle\">\(formatMetricValue(tick))</text>\n"
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

        /// A step line: each interval's value is drawn flat across the interval.
        func stepPath(_ values: [Double], intervalSeconds: Double, style: LineStyle, label: String, cssClass: String = "series") -> String {
            guard !values.isEmpty else { return "" }
            var d = "M\(fmt(x(0))),\(fmt(y(values[0])))"
            for (index, value) in values.enumerated() {
                if index > 0 { d += "V\(fmt(y(value)))" }
                d += "H\(fmt(x(Double(index + 1) * intervalSeconds)))"
            }
            let dash = style.dash.isEmpty ? "" : " stroke-dasharray=\"\(style.dash)\""
            return "<path class=\"\(cssClass)\" data-panel=\"\(id)\" d=\"\(d)\" fill=\"none\" stroke=\"\(style.color)\" "
                + "stroke-width=\"1.8\"\(dash)><title>\(label)</title></path>\n"
        }
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
