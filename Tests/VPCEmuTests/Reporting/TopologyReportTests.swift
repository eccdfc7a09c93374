import Foundation
import Testing
@testable import VPCEmu

/// `topology show` (text and JSON) and `topology graph` output.
@Suite struct TopologyReportTests {
    @Test func jsonCarriesStatesAndInactiveRoutes() throws {
        let topology = try loadCapture("cross-account-acceptance.yaml").topology
        let json = try TopologySnapshot(TopologyTimeline.state(of: topology, at: time("30s"))).json()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["time_ns"] as? Int == 30_000_000_000)
        let peering = try #require((object["peerings"] as? [[String: Any]])?.first)
        #expect(peering["state"] as? String == "Accepting")
        #expect(peering["bandwidth_mbps"] == nil)
        let routes = try #require(((object["route_tables"] as? [[String: Any]])?.first)?["routes"] as? [[String: Any]])
        #expect(routes.map { $0["active"] as? Bool } == [true, false])
        #expect(routes.last?["inactive_reason"] as? String == "peering pcx-alice-bob is Accepting, not Activated")
    }

    @Test func textListsEverySection() throws {
        let topology = try loadCapture("inter-region-bandwidth.yaml").topology
        let text = TopologySnapshot(TopologyTimeline.state(of: topology, at: .zero)).text
        for heading in ["VPCs", "vSwitches", "Instances", "Peerings", "Route table rt-hz (VPC vpc-hz, system; vSwitches: vsw-hz)"] {
            #expect(text.contains("\n\(heading)\n"), "\(heading)")
        }
        #expect(text.contains("pcx-hz-sv  vpc-hz     vpc-sv    Activated  0 s    10 Mbit/s                 Gold"))
        #expect(text.contains("pcx-hz-db  vpc-hz     vpc-db    Activated  0 s    unlimited (intra-region)  -"))
    }

    @Test func graphShowsPeeringsWithStateAndBandwidth() throws {
        let topology = try loadCapture("cross-account-acceptance.yaml").topology
        let before = TopologyGraph.dot(TopologyTimeline.state(of: topology, at: .zero))
        #expect(before.hasPrefix("digraph topology {"))
        #expect(before.contains("\"vsw:vsw-a1\" -> \"vsw:vsw-b1\" [dir=both, style=dashed, color=\"#f9a825\", label=\"pcx-alice-bob\\nAccepting\""))
        #expect(before.contains("\"ecs:ecs-a\" [shape=ellipse, label=\"ecs-a\\n10.1.1.10\"]"))
        let after = TopologyGraph.dot(TopologyTimeline.state(of: topology, at: time("2m")))
        #expect(after.contains("style=solid, color=\"#2e7d32\", label=\"pcx-alice-bob\\nActivated\""))
        let interRegion = TopologyGraph.dot(TopologyTimeline.state(of: try loadCapture("inter-region-bandwidth.yaml").topology, at: .zero))
        #expect(interRegion.contains("label=\"pcx-hz-sv\\nActivated\\n10 Mbit/s Gold\""))
        #expect(TopologyGraph.quote("a\"b\\c\nd") == "\"a\\\"b\\\\c\\nd\"")
    }
}
