import Testing
@testable import VPCEmu

/// The `aws` profile's own rules and the `external` next hop, as the loader reports them.
@Suite struct AWSProfileTests {
    static func yaml(profile: String = "aws", rule: String = "{direction: ingress, protocol: tcp, ports: 22, cidr: 0.0.0.0/0}",
                     route: String = "{destination: 0.0.0.0/0, external: igw-1, kind: internet-gateway}", peering: String = "{name: p, requester: a, accepter: b}") -> String {
        """
        profile: \(profile)
        regions: [{name: us-east-1, latency: {eu-west-1: 40ms}}, eu-west-1]
        accounts: [acct]
        vpcs:
          - name: a
            account: acct
            region: us-east-1
            cidr: 10.0.0.0/16
            vswitches: [{name: sa, zone: us-east-1a, cidr: 10.0.1.0/24}]
            route_tables: [{name: rta, system: true, routes: [\(route)]}]
            security_groups: [{name: ga, rules: [\(rule)]}]
          - name: b
            account: acct
            region: eu-west-1
            cidr: 10.1.0.0/16
            vswitches: [{name: sb, zone: eu-west-1a, cidr: 10.1.1.0/24}]
        instances: [{name: ia, vswitch: sa, ipv4: 10.0.1.10, security_groups: [ga]}]
        peerings: [\(peering)]
        """
    }

    static func errors(_ text: String) -> [String] {
        TopologyLoader.check(yaml: text, file: "t.yaml").1.filter { $0.severity == .error }.map { "\($0.path): \($0.message)" }
    }

    @Test func theValidFileLoadsWithAnExternalRoute() throws {
        let topology = try TopologyLoader.load(yaml: Self.yaml(), file: "t.yaml").topology
        #expect(topology.routeTables.first?.routes.first?.nextHop == .external(ExternalGateway(id: "igw-1", kind: .internetGateway)))
        // Inter-region in AWS: no bandwidth limit.
        let plane = ReachabilityAnalyzer(topology: topology).dataPlane
        #expect(plane.peerings.first?.bandwidthMbps == nil)
    }

    @Test func securityGroupsAreAllowOnly() {
        #expect(Self.errors(Self.yaml(rule: "{direction: ingress, policy: drop, protocol: tcp, cidr: 0.0.0.0/0}"))
                == ["vpcs[0].security_groups[0].rules[0].policy: AWS security groups only allow (aws profile)"])
        #expect(Self.errors(Self.yaml(rule: "{direction: ingress, priority: 1, protocol: tcp, cidr: 0.0.0.0/0}"))
                == ["vpcs[0].security_groups[0].rules[0].priority: AWS security-group rules have no priority (aws profile)"])
        // The alibaba profile has both.
        #expect(Self.errors(Self.yaml(profile: "alibaba", rule: "{direction: ingress, policy: drop, priority: 5, protocol: tcp, cidr: 0.0.0.0/0}")).isEmpty)
    }

    @Test func interRegionPeeringHasNoBandwidthInAWS() {
        let errors = Self.errors(Self.yaml(peering: "{name: p, requester: a, accepter: b, bandwidth: 10}"))
        #expect(errors == ["peerings[0]: peering cannot be created: peering 'p': AWS inter-region peerings have no bandwidth, link type or burst (aws profile)"])
        #expect(Self.errors(Self.yaml(profile: "alibaba", peering: "{name: p, requester: a, accepter: b, bandwidth: 10}")).isEmpty)
    }

    @Test func externalRoutesNeedTheirKind() {
        #expect(Self.errors(Self.yaml(route: "{destination: 0.0.0.0/0, external: igw-1}"))
                == ["vpcs[0].route_tables[0].routes[0].kind: missing required key 'kind'"])
        #expect(Self.errors(Self.yaml(route: "{destination: 0.0.0.0/0, external: igw-1, kind: wormhole}")).first?
                .hasPrefix("vpcs[0].route_tables[0].routes[0].kind: invalid value") == true)
        #expect(Self.errors(Self.yaml(route: "{destination: 0.0.0.0/0, blackhole: true, kind: nat-gateway}"))
                == ["vpcs[0].route_tables[0].routes[0].kind: kind belongs to an external next hop"])
    }
}
