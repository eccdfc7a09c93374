import Foundation
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

    static func analyze(_ topology: Topology, _ from: String, _ to: String, _ ipProtocol: ReachabilityFlow.FlowProtocol = .icmp,
                        port: UInt16 = 0) throws -> ReachabilityReport {
        let flow = try ReachabilityFlow(source: IPAddress(from)!, destination: IPAddress(to)!, ipProtocol: ipProtocol, destinationPort: port)
        return ReachabilityAnalyzer(topology: topology).analyze(flow, reverse: true)
    }
}
