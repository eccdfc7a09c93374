import Foundation
import Testing
@testable import VPCEmu

/// docs/topology.schema.json stays in step with the keys the loader accepts.
@Suite struct TopologySchemaTests {
    static func schema() throws -> [String: Any] {
        let data = try Data(contentsOf: packageRoot.appendingPathComponent("docs/topology.schema.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func keys(_ object: Any?) -> Set<String> {
        Set(((object as? [String: Any])?["properties"] as? [String: Any])?.keys.map { $0 } ?? [])
    }

    @Test func keysMatchTheLoader() throws {
        let schema = try Self.schema()
        #expect(Self.keys(schema) == Set(TopologyDecoder.rootKeys))
        let properties = try #require(schema["properties"] as? [String: Any])
        let vpc = (properties["vpcs"] as? [String: Any])?["items"]
        #expect(Self.keys(vpc) == Set(TopologyDecoder.vpcKeys))
        let definitions = try #require(schema["$defs"] as? [String: Any])
        #expect(Self.keys(definitions["route"]) == Set(TopologyDecoder.routeKeys))
        #expect(Self.keys(definitions["securityGroupRule"]) == Set(TopologyDecoder.ruleKeys))
        #expect(Self.keys(definitions["peering"]) == Set(TopologyDecoder.peeringKeys))
        let events = try #require(((properties["timeline"] as? [String: Any])?["items"] as? [String: Any])?["oneOf"] as? [[String: Any]])
        var actions: [String: Set<String>] = [:]
        for event in events {
            let action = try #require(((event["properties"] as? [String: Any])?["action"] as? [String: Any])?["const"] as? String)
            actions[action] = Self.keys(event).subtracting(["at", "action", "comment"])
        }
        #expect(actions == TopologyDecoder.eventKeys.mapValues(Set.init))
    }
}

/// The annotated example of docs/topology.md is a valid topology that does what its comments say.
@Suite struct TopologyDocumentationTests {
    @Test func annotatedExampleLoads() throws {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("docs/topology.md"), encoding: .utf8)
        let start = try #require(text.range(of: "```yaml\n"))
        let end = try #require(text.range(of: "\n```", range: start.upperBound..<text.endIndex))
        let loaded = try TopologyLoader.load(yaml: String(text[start.upperBound..<end.lowerBound]), file: "docs/topology.md")
        #expect(loaded.warnings.isEmpty)
        let topology = loaded.topology
        #expect(topology.routeTables.map(\.name) == ["rt-hz", "rt-sv"])
        #expect(TopologyTimeline.state(of: topology, at: time("59s")).state(of: "pcx-hz-sv") == .accepting)
        #expect(TopologyTimeline.state(of: topology, at: time("61s")).state(of: "pcx-hz-sv") == .activated)
        #expect(TopologyTimeline.state(of: topology, at: time("120s")).peering(named: "pcx-hz-sv")?.bandwidthMbps == 20)
        #expect(topology.settings == ControlPlaneSettings(), "the example spells out the defaults")
    }
}
