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

    /// Security groups and network ACLs with their rules, in evaluation order: sg-web's drop rule
    /// no-ssh comes after http in the file but is evaluated first (same priority, drop wins).
    @Test func securityGroupsAndACLsInEvaluationOrder() throws {
        let topology = try loadCapture("inter-region-bandwidth.yaml").topology
        let snapshot = TopologySnapshot(TopologyTimeline.state(of: topology, at: .zero))
        let web = try #require(snapshot.securityGroups.first { $0.name == "sg-web" })
        #expect(web.rules.map(\.id) == ["no-ssh", "http", "ping", "out"])
        #expect(web.instances == ["web-sv"])
        #expect(web.rules.first?.ports == "22")
        #expect(web.rules.first { $0.id == "ping" }?.ports == nil)
        let acl = try #require(snapshot.networkACLs.first)
        #expect(acl.vswitches == ["vsw-hz"])
        #expect(acl.ingress.map(\.name) == ["all-in"])
        #expect(snapshot.text.contains("""
            Security group sg-web (VPC vpc-sv; instances: web-sv); in evaluation order, no match: ingress denied, egress accepted
              DIRECTION  PRIORITY  POLICY  PROTOCOL  PORTS  PEER           ID
              ingress    1         drop    tcp       22     0.0.0.0/0      no-ssh
              ingress    1         accept  tcp       80     172.16.0.0/16  http
            """))
        #expect(snapshot.text.contains("Network ACL acl-hz (VPC vpc-hz; vSwitches: vsw-hz); first match decides, no match: denied\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(snapshot.json().utf8)) as? [String: Any])
        let groups = try #require(object["security_groups"] as? [[String: Any]])
        let rules = try #require(groups.first { $0["name"] as? String == "sg-web" }?["rules"] as? [[String: Any]])
        #expect(rules.map { $0["id"] as? String } == ["no-ssh", "http", "ping", "out"])
        #expect(rules.first?["cidr"] as? String == "0.0.0.0/0")
        #expect((object["network_acls"] as? [[String: Any]])?.first?["name"] as? String == "acl-hz")
    }

    /// The order is the filter's decision order: for a packet every rule matches, the first rule
    /// decides as "highest priority, drop wins ties" does.
    @Test func evaluationOrderIsPriorityThenDropThenFileOrder() {
        func rule(_ id: String, _ policy: RulePolicy, _ priority: Int) -> SecurityGroupRule {
            SecurityGroupRule(id: id, direction: .ingress, policy: policy, priority: priority, ipProtocol: .all, peer: .network(network("0.0.0.0/0")))
        }
        let rules = [rule("a", .accept, 2), rule("b", .accept, 1), rule("c", .drop, 2), rule("d", .drop, 1), rule("e", .accept, 1)]
        #expect(SecurityGroupRule.evaluationOrder(rules) { $0 }.map(\.id) == ["d", "b", "e", "c", "a"])
        var random = SeededGenerator(seed: 7)
        for _ in 0..<200 {
            let list = (0..<6).map { rule("r\($0)", Bool.random(using: &random) ? .accept : .drop, Int.random(in: 1...3, using: &random)) }
            let best = list.map(\.priority).min()
            let decider = list.first { $0.priority == best && $0.policy == .drop } ?? list.first { $0.priority == best }
            #expect(SecurityGroupRule.evaluationOrder(list) { $0 }.first == decider)
        }
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
