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
    private var text = ""

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if rootName == nil { rootName = name }
        if name == "path", attributes["class"] == "series" {
            seriesPaths.append((attributes["data-panel"] ?? "", attributes["d"] ?? "", attributes["stroke"] ?? ""))
        }
        if name == "line", attributes["class"] == "limit" { limitLines += 1 }
        text = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text" || name == "title" { texts.append(text) }
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
        // Each step line has one horizontal segment per interval.
        for path in inspector.seriesPaths {
            #expect(path.d.filter { $0 == "H" }.count == series.intervalCount)
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
        let axisTop = ThroughputPlot.Axis(maximum: 2)  // Mbit/s
        #expect(axisTop.top == 2 && axisTop.ticks == [0, 0.5, 1, 1.5, 2])
        // y of 2 Mbit/s = panel top (70) because 2 is the axis maximum; x runs from 90 to 930 over 2 s.
        #expect(bandwidth.d == "M90.00,70.00H510.00V300.00H930.00")
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
