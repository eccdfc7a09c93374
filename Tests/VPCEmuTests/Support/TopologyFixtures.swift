import Foundation
@testable import VPCEmu

/// The package root, found from this file's path (Tests/VPCEmuTests/Topology/…).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// The example topologies in captures/, by file name.
func captureFiles() -> [String] {
    let directory = packageRoot.appendingPathComponent("captures")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return names.filter { $0.hasSuffix(".yaml") }.sorted()
}

func loadCapture(_ name: String) throws -> LoadedTopology {
    try TopologyLoader.load(contentsOf: packageRoot.appendingPathComponent("captures").appendingPathComponent(name).path)
}

func network(_ text: String) -> IPNetwork { try! IPNetwork(parsing: text) }
func address(_ text: String) -> IPAddress { IPAddress(text)! }
func time(_ text: String) -> EmulatedTime { EmulatedTime(parsing: text)! }

extension ControlPlaneState {
    /// `destination -> target [inactive reason]` per route, for compact expectations.
    func routeSummary(_ table: String) -> [String] {
        effectiveRoutes(table: table).map { route in
            "\(route.destination) -> \(route.target)" + (route.inactiveReason.map { " [\($0)]" } ?? "")
        }
    }

    func state(of peering: String) -> PeeringState? { self.peering(named: peering)?.state }

    /// The target of the route taken to `destination` from `table`, as text.
    func hop(_ table: String, _ destination: String) -> String {
        lookupRoute(address(destination), table: table).map { "\($0.target)" } ?? "no route"
    }
}

extension ForwardingPipeline {
    /// Forwards the capture at `path` batch by batch (batches of 64 packets) and returns every verdict.
    mutating func forwardCapture(at path: String) throws -> [Verdict] {
        var all: [Verdict] = []
        var verdicts = ContiguousArray<Verdict>()
        var batch = PacketBatch(packetCapacity: 64)
        let reader = try PcapReader(path: path)
        while try reader.nextBatch(into: &batch) {
            try forward(batch, linkType: reader.linkType, into: &verdicts)
            all += verdicts
        }
        return all
    }
}
