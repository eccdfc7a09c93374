import Foundation
import Testing
@testable import VPCEmu

/// The hand-built import fixtures in Tests/VPCEmuTests/Fixtures/Import.
enum ImportFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/Import")

    static func path(_ name: String) -> String { root.appendingPathComponent(name).path }

    /// The files of a fixture folder as (name, bytes), sorted by name.
    static func files(_ folder: String) throws -> [(name: String, data: Data)] {
        let directory = root.appendingPathComponent(folder)
        return try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted().map {
            ($0, try Data(contentsOf: directory.appendingPathComponent($0)))
        }
    }

    /// The imported topology loaded back through the topology loader, as `topology check` does.
    static func reload(_ imported: ImportedTopology, file: String = "imported.yaml") throws -> Topology {
        try TopologyLoader.load(yaml: imported.yaml, file: file).topology
    }

    /// `flow` analyzed with its reply, and checked against the same packets through the pipeline.
    static func analyze(_ topology: Topology, _ from: String, _ to: String, _ ipProtocol: ReachabilityFlow.FlowProtocol = .icmp,
                        port: UInt16 = 0) throws -> ReachabilityReport {
        let flow = try ReachabilityFlow(source: IPAddress(from)!, destination: IPAddress(to)!, ipProtocol: ipProtocol, destinationPort: port)
        let analyzer = ReachabilityAnalyzer(topology: topology)
        let report = analyzer.analyze(flow, reverse: true)
        // The same flow as packets through the pipeline, the request and then its reply: every
        // outcome a test checks of the analysis holds for the packets too.
        var pipeline = try ForwardingPipeline(topology: topology, options: .init(origin: 0))
        let externals = analyzer.dataPlane.externals
        let request = try WalkAgreementTests.send(flow, reply: false, at: .zero, through: &pipeline)
        #expect(report.forward.outcome == ReachabilityAgreementTests.outcome(request, externals), "packet \(from) -> \(to)")
        if let reverse = report.reverse {
            let reply = try WalkAgreementTests.send(flow, reply: true, at: .zero, through: &pipeline)
            #expect(reverse.outcome == ReachabilityAgreementTests.outcome(reply, externals), "reply packet \(to) -> \(from)")
        }
        return report
    }
}
