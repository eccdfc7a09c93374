import Foundation
import Testing
@testable import VPCEmu

@Suite struct TopologyDoctorTests {
    func doctor(_ file: String, at: EmulatedTime = .zero, peering: String? = nil) throws -> DoctorReport {
        try TopologyDoctor(topology: loadCapture(file).topology, at: at).diagnose(peering: peering)
    }

    /// The checks that did not pass, as `kind status` (one entry per kind and status).
    func problems(_ report: DoctorReport) -> Set<String> {
        Set(report.checks.filter { $0.status != .pass }.map { "\($0.kind.rawValue) \($0.status.rawValue)" })
    }

    func diagnosis(_ report: DoctorReport, _ peering: String) -> PeeringDiagnosis? {
        report.peerings.first { $0.peering == peering }
    }

    // MARK: the examples

    @Test func hubAndSpokeNamesTheBranchPairThatExpectsTransit() throws {
        let report = try doctor("hub-and-spoke.yaml")
        #expect(report.fails(strict: false))
        let b1 = try #require(diagnosis(report, "pcx-hub-b1"))
        let transit = b1.checks.filter { $0.kind == .nonTransitive && $0.status == .fail }
        #expect(transit.map(\.message) == ["ecs-b1 -> ecs-b2: rt-b1 sends 10.2.0.0/16 to pcx-hub-b1, but hub does not forward to branch-2 (peering does not transit)"])
        #expect(transit.first?.fix == "create a peering between branch-1 and branch-2 and route 10.2.0.0/16 to it in rt-b1")
        #expect(b1.checks.contains { $0.kind == .routeDestination && $0.status == .fail && $0.message.contains("10.2.0.0/16") })
        let b2 = try #require(diagnosis(report, "pcx-hub-b2"))
        #expect(b2.checks.allSatisfy { $0.status == .pass })
        #expect(Set(b2.checks.map(\.kind)) == Set(DoctorCheck.Kind.allCases))
    }

    @Test func overlappingCIDRsAreFlagged() throws {
        let report = try doctor("overlapping-cidrs.yaml")
        let overlap = try #require(report.checks.first { $0.kind == .cidrOverlap })
        #expect(overlap.status == .warn)
        #expect(overlap.message.contains("no vSwitches overlap"))
        // vpc-a routes only 10.0.3.0/24 back: ecs-b2's vSwitch is not covered.
        #expect(report.checks.filter { $0.kind == .vswitchRouteTable && $0.status == .warn }.map(\.fix)
                == Array(repeating: "add a route 10.0.4.0/24 -> peering pcx-overlap to rt-a (for ecs-b2)", count: 2))
        #expect(!report.fails(strict: false))
        #expect(report.fails(strict: true))
    }

    @Test func crossAccountFailsUntilBobAccepts() throws {
        let waiting = try doctor("cross-account-acceptance.yaml", at: time("30s"))
        let state = try #require(waiting.checks.first { $0.kind == .peeringState })
        #expect(state.status == .fail)
        #expect(state.fix?.hasPrefix("accept the peering as account bob") == true)
        #expect(problems(waiting) == ["peering-state fail"])
        #expect(problems(try doctor("cross-account-acceptance.yaml", at: time("60500ms"))) == ["peering-state warn"])
        let accepted = try doctor("cross-account-acceptance.yaml", at: time("61s"))
        #expect(!accepted.fails(strict: true))
    }

    @Test func peeringLifecycleStates() throws {
        let late = try doctor("peering-lifecycle.yaml", at: time("8d"))
        let states = Dictionary(uniqueKeysWithValues: late.peerings.map { ($0.peering, $0.state) })
        #expect(states == ["pcx-rejected": "Rejected", "pcx-expired": "Expired", "pcx-deleted": "Deleted"])
        let deleted = try #require(diagnosis(late, "pcx-deleted")?.checks.first { $0.kind == .peeringState })
        #expect(deleted.status == .fail)
        #expect(deleted.fix == "the peering was deleted: create a new peering between vpc-alice and vpc-dave and point the routes at it")
        // A dead peering gets no route, vSwitch-table or filter advice: the state check's fix is the only one.
        for diagnosis in late.peerings {
            #expect(diagnosis.checks.map(\.kind) == [.peeringState, .cidrOverlap, .privateAddressing], "\(diagnosis.peering)")
            #expect(diagnosis.checks.compactMap(\.fix).count == 1, "\(diagnosis.peering)")
        }
        #expect(late.text.contains("pcx-deleted is Deleted (since 10 m 1 s) and carries no traffic"))
        #expect(late.text.hasPrefix("Peering checks at 8 d\n"))
        let working = try doctor("peering-lifecycle.yaml", at: time("300s"), peering: "pcx-deleted")
        #expect(working.peerings.map(\.peering) == ["pcx-deleted"])
        #expect(!working.fails(strict: true))
    }

    @Test func threeVPCsPartialRoutingWarns() throws {
        let report = try doctor("three-vpcs-partial.yaml")
        #expect(diagnosis(report, "pcx-23")?.checks.allSatisfy { $0.status == .pass } == true)
        #expect(diagnosis(report, "pcx-12")?.checks.filter { $0.status != .pass }.map(\.message)
                == ["vSwitch vsw-1a (ecs-1a) uses route table rt-1, which does not send ecs-2a (10.2.1.10) to pcx-12"])
        #expect(!report.fails(strict: false))
    }

    @Test func interRegionSecurityGroupsPassOnTheirOpenPorts() throws {
        let report = try doctor("inter-region-bandwidth.yaml")
        // The example's deliberate mistake, and only it: rt-sv sends vpc-db's block to pcx-hz-sv,
        // but vpc-hz does not forward to vpc-db (peering does not transit).
        #expect(report.checks.filter { $0.status != .pass }.map(\.kind) == [.routeDestination, .nonTransitive])
        #expect(report.checks.contains { $0.status == .fail && $0.message.hasPrefix("web-sv -> db-hz: rt-sv sends 10.30.0.0/16 to pcx-hz-sv") })
        let toWeb = try #require(report.checks.first { $0.kind == .securityGroups && $0.message.hasPrefix("client-hz -> web-sv") })
        #expect(toWeb.message == "client-hz -> web-sv: security groups allow icmp, tcp 80")
        #expect(report.checks.contains { $0.kind == .networkACLs && $0.message.hasPrefix("client-hz -> web-sv: network ACLs pass") })
    }

    @Test func plainPairsPassEveryCheckInBothFamilies() throws {
        for file in ["two-vpcs-same-account.yaml", "dual-stack.yaml"] {
            #expect(try !doctor(file).fails(strict: true), "\(file)")
        }
        let dual = try doctor("dual-stack.yaml")
        #expect(dual.checks.first { $0.kind == .securityGroups }?.message
                == "ecs-v6a -> ecs-v6b: security groups allow icmp, tcp 22, tcp 80, tcp 443; icmpv6, tcp 22, tcp 80, tcp 443 (IPv6)")
    }

    @Test func unknownPeeringIsAClearError() throws {
        #expect(throws: TopologyDoctor.DoctorError.unknownPeering("pcx-zz", known: ["pcx-ab"])) {
            try doctor("two-vpcs-same-account.yaml", peering: "pcx-zz")
        }
    }

    @Test func jsonShape() throws {
        let json = try doctor("hub-and-spoke.yaml").json()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["time_ns", "passed", "warned", "failed", "peerings"])
        #expect(object["failed"] as? Int == 2)
        let peerings = try #require(object["peerings"] as? [[String: Any]])
        #expect(peerings.map { $0["peering"] as? String } == ["pcx-hub-b1", "pcx-hub-b2"])
        #expect(Set(peerings[0].keys) == ["peering", "requester", "accepter", "state", "checks"])
        let checks = try #require(peerings[0]["checks"] as? [[String: Any]])
        let failing = try #require(checks.first { $0["status"] as? String == "fail" })
        #expect(Set(failing.keys) == ["kind", "status", "message", "fix"])
        #expect(checks.first { $0["status"] as? String == "pass" }?["fix"] == nil)
    }

    // MARK: one broken check each, on a small clean pair

    /// Two peered VPCs of one account with one instance each, where every check passes;
    /// `edit` changes the YAML to break one check.
    func inline(_ edit: (String) -> String) throws -> DoctorReport {
        func vpc(_ side: String, block: Int, peerBlock: Int) -> String {
            """
              - name: vpc-\(side)
                account: alice
                region: cn-hangzhou
                cidr: 10.\(block).0.0/16
                vswitches:
                  - {name: vsw-\(side), zone: cn-hangzhou-h, cidr: 10.\(block).1.0/24}
                route_tables:
                  - name: rt-\(side)
                    system: true
                    routes:
                      - {destination: 10.\(peerBlock).0.0/16, peering: pcx-ab}
                security_groups:
                  - name: sg-\(side)
                    rules:
                      - {id: from-\(side == "a" ? "b" : "a"), direction: ingress, protocol: all, cidr: 10.\(peerBlock).0.0/16}
                      - {id: out, direction: egress, protocol: all, cidr: 0.0.0.0/0}

            """
        }
        let yaml = edit("""
            name: doctor-pair
            regions: [cn-hangzhou]
            accounts: [alice, bob]
            vpcs:

            """ + vpc("a", block: 1, peerBlock: 2) + vpc("b", block: 2, peerBlock: 1) + """
            instances:
              - {name: ecs-a, vswitch: vsw-a, ipv4: 10.1.1.10, security_groups: [sg-a]}
              - {name: ecs-b, vswitch: vsw-b, ipv4: 10.2.1.10, security_groups: [sg-b]}
            peerings:
              - {name: pcx-ab, requester: vpc-a, accepter: vpc-b}
            """)
        return try TopologyDoctor(topology: TopologyLoader.load(yaml: yaml, file: "doctor-pair.yaml").topology).diagnose()
    }

    @Test func theCleanPairPassesEveryCheck() throws {
        let report = try inline { $0 }
        #expect(!report.fails(strict: true))
        #expect(Set(report.checks.map(\.kind)) == Set(DoctorCheck.Kind.allCases))
    }

    @Test func peeringNotAcceptedFailsOnlyTheState() throws {
        let report = try inline { $0.replacingOccurrences(of: "  - name: vpc-b\n    account: alice", with: "  - name: vpc-b\n    account: bob") }
        #expect(problems(report) == ["peering-state fail"])
        #expect(report.checks.first { $0.kind == .peeringState }?.fix?.hasPrefix("accept the peering as account bob") == true)
    }

    @Test func missingReturnRouteFailsOnlyRoutesToPeer() throws {
        let report = try inline { $0.replacingOccurrences(of: "        routes:\n          - {destination: 10.1.0.0/16, peering: pcx-ab}\n", with: "        routes: []\n") }
        #expect(problems(report) == ["routes-to-peer fail"])
        #expect(report.checks.first { $0.status == .fail }?.fix == "add a route 10.1.0.0/16 -> peering pcx-ab to rt-b")
    }

    @Test func routeBeyondThePeerFailsOnlyRouteDestination() throws {
        let report = try inline {
            $0.replacingOccurrences(of: "          - {destination: 10.2.0.0/16, peering: pcx-ab}\n",
                                    with: "          - {destination: 10.2.0.0/16, peering: pcx-ab}\n          - {destination: 10.9.0.0/16, peering: pcx-ab}\n")
        }
        #expect(problems(report) == ["route-destination fail"])
    }

    @Test func vSwitchOnATableWithoutTheRouteFailsOnlyThatCheck() throws {
        let report = try inline {
            $0.replacingOccurrences(of: "      - {name: vsw-a, zone: cn-hangzhou-h, cidr: 10.1.1.0/24}\n",
                                    with: "      - {name: vsw-a, zone: cn-hangzhou-h, cidr: 10.1.1.0/24}\n      - {name: vsw-a2, zone: cn-hangzhou-h, cidr: 10.1.2.0/24, route_table: rt-a2}\n")
                .replacingOccurrences(of: "        system: true\n        routes:\n          - {destination: 10.2.0.0/16, peering: pcx-ab}\n",
                                      with: "        system: true\n        routes:\n          - {destination: 10.2.0.0/16, peering: pcx-ab}\n      - name: rt-a2\n")
                .replacingOccurrences(of: "  - {name: ecs-b,", with: "  - {name: ecs-a2, vswitch: vsw-a2, ipv4: 10.1.2.10, security_groups: [sg-a]}\n  - {name: ecs-b,")
        }
        #expect(problems(report) == ["vswitch-route-table fail"])
        #expect(report.checks.first { $0.status == .fail }?.fix == "add a route 10.2.0.0/16 -> peering pcx-ab to rt-a2 (for ecs-b)")
    }

    @Test func securityGroupWithoutThePeerFailsOnlyThatCheck() throws {
        let report = try inline { $0.replacingOccurrences(of: "{id: from-a, direction: ingress, protocol: all, cidr: 10.1.0.0/16}",
                                                          with: "{id: from-a, direction: ingress, protocol: all, cidr: 10.7.0.0/16}") }
        #expect(problems(report) == ["security-groups fail"])
        let failed = report.checks.filter { $0.status == .fail }
        #expect(failed.map(\.message) == ["ecs-a -> ecs-b (IPv4): none of icmp, tcp 22, tcp 80, tcp 443 gets through; icmp: ingress of ecs-b denied by security group default (ingress denied when no rule matches)"])
        #expect(failed.first?.fix == "add an ingress rule allowing icmp from 10.1.0.0/16 to security group sg-b")
    }

    @Test func networkACLWithoutReturnEntriesFailsOnlyThatCheck() throws {
        let report = try inline {
            $0.replacingOccurrences(of: "{name: vsw-b, zone: cn-hangzhou-h, cidr: 10.2.1.0/24}",
                                    with: "{name: vsw-b, zone: cn-hangzhou-h, cidr: 10.2.1.0/24, network_acl: acl-b}")
                .replacingOccurrences(of: "          - {id: from-a, direction: ingress, protocol: all, cidr: 10.1.0.0/16}\n          - {id: out, direction: egress, protocol: all, cidr: 0.0.0.0/0}\n",
                                      with: "          - {id: from-a, direction: ingress, protocol: all, cidr: 10.1.0.0/16}\n          - {id: out, direction: egress, protocol: all, cidr: 0.0.0.0/0}\n    network_acls:\n      - name: acl-b\n        ingress:\n          - {name: in, protocol: all, cidr: 10.1.0.0/16}\n        egress: []\n")
        }
        #expect(problems(report) == ["network-acls fail"])
        let failed = report.checks.filter { $0.status == .fail }
        #expect(failed.count == 2)
        #expect(failed.allSatisfy { $0.fix == "add an egress entry allowing icmp to 10.1.0.0/16 to network ACL acl-b (network ACLs are stateless: replies need their own entries)" })
    }

    @Test func awsRouteTheLocalRouteOverridesFailsOnlyRouteDestination() throws {
        let report = try inline {
            $0.replacingOccurrences(of: "name: doctor-pair\n", with: "name: doctor-pair\nprofile: aws\n")
                .replacingOccurrences(of: "          - {destination: 10.2.0.0/16, peering: pcx-ab}\n",
                                      with: "          - {destination: 10.2.0.0/16, peering: pcx-ab}\n          - {destination: 10.1.5.0/24, peering: pcx-ab}\n")
        }
        #expect(problems(report) == ["route-destination fail"])
        #expect(report.checks.first { $0.status == .fail }?.message
                == "rt-a: 10.1.5.0/24 -> pcx-ab never carries traffic: the local route 10.1.0.0/16 takes precedence")
    }

    @Test func publicBlockWarnsOnlyRFC1918() throws {
        let report = try inline {
            $0.replacingOccurrences(of: "10.2.", with: "100.64.")
        }
        #expect(problems(report) == ["rfc1918 warn"])
        #expect(!report.fails(strict: false))
        #expect(report.fails(strict: true))
    }
}
