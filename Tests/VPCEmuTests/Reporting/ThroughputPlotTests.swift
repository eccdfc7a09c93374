import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import VPCEmu

/// Collects what the plot's XML holds, through Foundation's parser: if it parses, the SVG is well-formed.
private final class SVGInspector: NSObject, XMLParserDelegate {
    var rootName: String?
    var seriesPaths: [(panel: String, d: String, stroke: String)] = []
    var limitLines = 0
    var texts: [String] = []
    /// Every element's name and class, in document (drawing) order.
    var elements: [(name: String, cssClass: String)] = []
    /// Every `text` element with its position and anchor.
    var placedTexts: [(x: Double, anchor: String, text: String)] = []
    private var text = ""
    private var textAttributes: [String: String] = [:]

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if rootName == nil { rootName = name }
        if name == "path", attributes["class"] == "series" {
            seriesPaths.append((attributes["data-panel"] ?? "", attributes["d"] ?? "", attributes["stroke"] ?? ""))
        }
        if name == "line", attributes["class"] == "limit" { limitLines += 1 }
        elements.append((name, attributes["class"] ?? ""))
        if name == "text" { textAttributes = attributes }
        text = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text" || name == "title" { texts.append(text) }
        if name == "text" {
            // Rotated labels (the y axis titles) are placed by their transform, not by x.
            let x = textAttributes["transform"] == nil ? Double(textAttributes["x"] ?? "") ?? .nan : .nan
            placedTexts.append((x, textAttributes["text-anchor"] ?? "start", text))
        }
        text = ""
    }

    static func inspect(_ svg: String) throws -> SVGInspector {
        let inspector = SVGInspector()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = inspector
        let parsed = parser.parse()
        #expect(parsed, "SVG is not well-formed: \(parser.parserError.map { "\($0)" } ?? "")")
        return inspector
    }
}

@Suite struct ThroughputPlotTests {
    @Test func isWellFormedAndHoldsEverySeries() throws {
        let series = try sampleSeries()
        let svg = ThroughputPlot.render(series)
        let inspector = try SVGInspector.inspect(svg)
        #expect(inspector.rootName == "svg")
        // One bandwidth and one throttled-drops line per direction; a limit line per limited direction.
        #expect(inspector.seriesPaths.map(\.panel) == ["bandwidth", "throttled", "bandwidth", "throttled", "bandwidth", "throttled"])
        #expect(inspector.limitLines == 2)
        // Each step line has at most one horizontal segment per interval (equal neighbours are merged).
        for path in inspector.seriesPaths {
            #expect((1...series.intervalCount).contains(Int64(path.d.filter { $0 == "H" }.count)))
        }
        #expect(Set(inspector.seriesPaths.map(\.stroke)).count == 3)
        // Titles, axis labels and a legend entry per direction, with the peering name escaped and restored.
        for expected in ["Peering throughput", "Bandwidth (Mbit/s)", "Throttled drops (packets/s)", "Emulated time (s)",
                         "hz-sg requester-to-accepter (inbound, limit 8 Mbit/s)",
                         "hz-sg accepter-to-requester (outbound, limit 8 Mbit/s)",
                         "hz,bj requester-to-accepter (inbound)", "hz-sg requester-to-accepter throttled drops"] {
            #expect(inspector.texts.contains(expected), "\(expected)")
        }
    }

    @Test func theBandwidthLineReachesItsValue() throws {
        // One direction, 2 Mbit/s for one second, limit 2 Mbit/s: the line must sit exactly on the limit.
        let key = PeeringDirectionKey(peering: "p", direction: .requesterToAccepter)
        var meter = try TrafficMeter(directions: [MeteredDirection(key, rateLimitBitsPerSecond: 2_000_000)],
                                     interval: 1_000_000_000, origin: 0)
        meter.recordForwarded(direction: 0, bytes: 250_000, at: 0)
        let svg = ThroughputPlot.render(meter.finish(through: 1_999_999_999))
        let inspector = try SVGInspector.inspect(svg)
        let bandwidth = try #require(inspector.seriesPaths.first { $0.panel == "bandwidth" })
        let axisTop = ThroughputPlot.Axis(maximum: 2 * 1.1)  // Mbit/s, with 10 % headroom
        #expect(axisTop.top == 2.5 && axisTop.ticks == [0, 0.5, 1, 1.5, 2, 2.5])
        // y of 2 Mbit/s = 300 − 2 / 2.5 × 230 = 116, below the frame; x runs from 90 to 930 over 2 s.
        #expect(bandwidth.d == "M90.00,116.00H510.00V300.00H930.00")
        #expect(svg.contains("x1=\"90.00\" y1=\"116.00\" x2=\"930.00\" y2=\"116.00\""), "the limit line at the same height")
    }

    @Test func namesAreEscapedAndAnEmptySeriesStillRenders() throws {
        let key = PeeringDirectionKey(peering: "a&b<c>\"d'", direction: .accepterToRequester)
        var meter = try TrafficMeter(directions: [MeteredDirection(key)], interval: 1_000_000_000, origin: 0)
        meter.recordThrottled(direction: 0, bytes: 100, at: 0)
        let inspector = try SVGInspector.inspect(ThroughputPlot.render(meter.finish(), title: "x < y & z"))
        #expect(inspector.texts.contains("a&b<c>\"d' accepter-to-requester (outbound)"))
        #expect(inspector.texts.contains("x < y & z"))
        let empty = try TrafficMeter(directions: [], interval: 1_000_000_000, origin: 0)
        let emptyInspector = try SVGInspector.inspect(ThroughputPlot.render(empty.finish()))
        #expect(emptyInspector.texts.filter { $0 == "no peering traffic" }.count == 2)
    }

    @Test func axesUseRoundTicks() {
        #expect(ThroughputPlot.Axis(maximum: 0).ticks.map(formatMetricValue) == ["0", "0.2", "0.4", "0.6", "0.8", "1"])
        #expect(ThroughputPlot.Axis(maximum: 87).top == 100)
        #expect(ThroughputPlot.Axis(maximum: 87).step == 20)
        #expect(ThroughputPlot.Axis(maximum: 1_024).top == 1_200)
        #expect(ThroughputPlot.Axis(maximum: 10).ticks == [0, 2, 4, 6, 8, 10])
    }
}

/// Long and short spans: bounded points, human time units, labels inside the image, limits on top.
@Suite struct ThroughputPlotSpanTests {
    /// A direction limited to 2 Mbit/s that sends exactly at its limit in some intervals spread over `span`.
    static func series(span: Int64, interval: Int64, busy: [Int64]) throws -> IntervalSeries {
        let key = PeeringDirectionKey(peering: "p", direction: .requesterToAccepter)
        var meter = try TrafficMeter(directions: [MeteredDirection(key, rateLimitBitsPerSecond: 2_000_000)], interval: interval, origin: 0)
        for time in busy { meter.recordForwarded(direction: 0, bytes: Int(2_000_000 / 8 * interval / second), at: time) }
        return meter.finish(through: span - 1)
    }

    /// The drawn steps of a path `M x,y (H x V y)* H x` as (x where the step ends, y).
    static func steps(_ d: String) -> [(x: Double, y: Double)] {
        var steps: [(Double, Double)] = []
        var y = 0.0
        var scanner = Substring(d)
        while let command = scanner.first {
            scanner = scanner.dropFirst()
            let number = scanner.prefix { $0.isNumber || $0 == "." || $0 == "," || $0 == "-" }
            scanner = scanner.dropFirst(number.count)
            switch command {
            case "M": y = Double(number.split(separator: ",")[1])!
            case "H": steps.append((Double(number)!, y))
            case "V": y = Double(number)!
            default: Issue.record("unexpected path command \(command)")
            }
        }
        return steps
    }

    fileprivate func checkLegible(_ svg: String, unit: String) throws -> SVGInspector {
        let inspector = try SVGInspector.inspect(svg)
        #expect(inspector.texts.contains("Emulated time (\(unit))"))
        for path in inspector.seriesPaths {
            #expect(Self.steps(path.d).count <= Int(ThroughputPlot.maximumPoints), "\(path.panel)")
        }
        // Every label lies inside the image, by the plot's own generous estimate of text width.
        for label in inspector.placedTexts where !label.x.isNaN {
            let width = Double(label.text.count) * 7
            let (left, right) = switch label.anchor {
            case "end": (label.x - width, label.x)
            case "middle": (label.x - width / 2, label.x + width / 2)
            default: (label.x, label.x + width)
            }
            #expect(left >= 0 && right <= ThroughputPlot.width, "\(label.text) at \(label.x) \(label.anchor)")
        }
        // The limit is drawn after (on top of) every traffic line, thinner and in another shade.
        let order = inspector.elements.map(\.cssClass)
        let lastSeries = try #require(order.lastIndex(of: "series"))
        let limit = try #require(order.firstIndex(of: "limit"))
        #expect(limit > lastSeries)
        #expect(svg.contains("class=\"limit\"") && svg.contains("stroke=\"\(ThroughputPlot.darker(ThroughputPlot.palette[0]))\" stroke-width=\"1.4\""))
        #expect(ThroughputPlot.darker("#ff7f0e") == "#8c4507")
        return inspector
    }

    /// Three years of 1 s intervals with a dozen busy seconds: days on the axis, at most
    /// `maximumPoints` steps, and each busy second still reaches the limit's height (the maximum of its bucket).
    @Test func aSpanOfYearsIsDrawnInDaysWithBoundedPoints() throws {
        let span = 3 * 365 * 86_400 * second
        let busy = (0..<12).map { span / 12 * Int64($0) + 17 * second }
        let series = try Self.series(span: span, interval: second, busy: busy)
        let svg = ThroughputPlot.render(series)
        let inspector = try checkLegible(svg, unit: "days")
        #expect(svg.utf8.count < 48 << 10)
        let bandwidth = try #require(inspector.seriesPaths.first { $0.panel == "bandwidth" })
        let limitY = try #require(svg.firstMatch(of: /class="limit" x1="[0-9.]+" y1="([0-9.]+)"/).map { Double($0.1)! })
        #expect(Self.steps(bandwidth.d).filter { $0.y == limitY }.count == busy.count)
        #expect(inspector.texts.contains { $0.contains("each step is the busiest of") })
    }

    /// Ninety seconds of 100 ms intervals: seconds on the axis, one step per interval (no grouping).
    @Test func aShortSpanKeepsEveryInterval() throws {
        let interval = second / 10
        let series = try Self.series(span: 90 * second, interval: interval, busy: Array(stride(from: Int64(0), to: 90 * second, by: Int(2 * interval))))
        let inspector = try checkLegible(ThroughputPlot.render(series), unit: "s")
        let bandwidth = try #require(inspector.seriesPaths.first { $0.panel == "bandwidth" })
        #expect(Self.steps(bandwidth.d).count == 900)
        #expect(!inspector.texts.contains { $0.contains("busiest") })
    }

    @Test func theTimeUnitFitsTheSpan() {
        #expect(ThroughputPlot.TimeUnit.fitting(0.3).name == "ms")
        #expect(ThroughputPlot.TimeUnit.fitting(90).name == "s")
        #expect(ThroughputPlot.TimeUnit.fitting(3_600).name == "min")
        #expect(ThroughputPlot.TimeUnit.fitting(86_400).name == "h")
        #expect(ThroughputPlot.TimeUnit.fitting(3 * 365 * 86_400).name == "days")
        #expect(ThroughputPlot.Buckets(intervalCount: 94_608_000).count <= ThroughputPlot.maximumPoints)
        #expect(ThroughputPlot.Buckets(intervalCount: 1_000).size == 1)
    }
}
