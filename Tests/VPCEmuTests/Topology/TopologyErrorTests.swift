import Testing
@testable import VPCEmu

/// A broken file reports every mistake at once, each with its line:column, field path, and
/// what was found and expected; malformed input never traps.
@Suite struct TopologyErrorTests {
    static let broken = """
    profile: alibaba
    regions: [cn-hangzhou]
    accounts: [alice]
    vpcs:
      - name: vpc1
        account: alice
        region: cn-hangzhou
        cidr: 10.0.0.0/16
        vswitches:
          - {name: vsw1, zone: cn-hangzhou-h, cidr: 10.0.1.0/24}
      - name: vpc2
        acount: alice
        region: cn-hangzhou
        cidr: 10.1.0.0/16
        vswitches:
          - {name: vsw2, zone: cn-hangzhou-h, cidr: 10.1.300.0/24}
          - {name: vsw1, zone: cn-hangzhou-h, cidr: 10.1.2.0/24}
    instances:
      - {name: ecs1, vswitch: vsw9, ipv4: 10.0.1.10}
      - {name: ecs2, vswitch: vsw1, ipv4: 10.0.1.5, security_groups: 7}
    peerings:
      - {name: pcx, requester: vpc1, accepter: vpc2, bandwidth: fast}
    """

    @Test func shapeErrorsAreAllReportedWithPositions() {
        let (loaded, diagnostics) = TopologyLoader.check(yaml: Self.broken, file: "broken.yaml")
        #expect(loaded == nil)
        let rendered = diagnostics.map { "\($0.location?.description ?? "-") \($0.path)" }
        #expect(rendered == [
            "11:5 vpcs[1].account",               // missing key, reported at its mapping
            "12:5 vpcs[1].acount",                // unknown key
            "16:49 vpcs[1].vswitches[0].cidr",    // bad address
            "17:16 vpcs[1].vswitches[1]",         // duplicate vSwitch name
            "19:27 instances[0].vswitch",         // unknown vSwitch
            "20:66 instances[1].security_groups", // unknown security group '7'
            "22:61 peerings[0].bandwidth",        // not a number
        ])
        #expect(diagnostics.allSatisfy { $0.severity == .error && $0.file == "broken.yaml" })
        let unknown = diagnostics[1]
        #expect(unknown.message.contains("did you mean 'account'?"))
        #expect(unknown.found == "'acount'")
        #expect(diagnostics[2].found == "'10.1.300.0/24'")
        #expect(diagnostics[2].expected?.contains("CIDR block") == true)
        #expect(diagnostics[3].message == "duplicate vswitch name 'vsw1'")
        #expect(diagnostics[3].expected?.contains("vpcs[0].vswitches[0]") == true)
        #expect(diagnostics[4].expected == "one of vsw1")
        #expect(diagnostics[5].found == "'7'")
        #expect(diagnostics[6].expected == "a whole number from 1 to 1000000 Mbit/s")
        #expect(diagnostics[1].description == "broken.yaml:12:5: error: vpcs[1].acount: unknown key, did you mean 'account'? (found 'acount'; expected one of name, account, region, cidr, secondary_cidrs, ipv6_cidr, vswitches, route_tables, security_groups, network_acls)")
    }

    static let badReferences = """
    regions: [cn-hangzhou, us-west-1]
    accounts: [alice, bob]
    vpcs:
      - name: vpc1
        account: alice
        region: cn-hangzhou
        cidr: 10.0.0.0/16
        vswitches:
          - {name: vsw1, zone: cn-hangzhou-h, cidr: 10.0.1.0/24}
          - {name: vsw1b, zone: cn-hangzhou-h, cidr: 10.9.0.0/24}
        route_tables:
          - name: rt1
            system: true
            routes:
              - {destination: 10.1.0.0/16, peering: pcx-nope}
              - {destination: 10.0.1.128/25, peering: pcx}
        security_groups:
          - name: sg1
            rules:
              - {direction: ingress, protocol: tcp, ports: 22, group: sg-missing}
      - name: vpc2
        account: bob
        region: us-west-1
        cidr: 10.1.0.0/16
        vswitches:
          - {name: vsw2, zone: us-west-1a, cidr: 10.1.1.0/24}
    instances:
      - {name: ecs1, vswitch: vsw1, ipv4: 10.0.2.10}
      - {name: ecs2, vswitch: vsw1, ipv4: [10.0.1.10, 10.0.1.255], security_groups: [sg1, sg-x]}
      - {name: ecs3, vswitch: vsw1, ipv4: 10.0.1.10}
    peerings:
      - {name: pcx, requester: vpc1, accepter: vpc2, bandwidth: 5000}
    timeline:
      - {at: 10s, action: accept_peering, peering: pcx, by: alice}
      - {at: 20s, action: modify_peering, peering: pcx, bandwidth: 10}
    """

    @Test func referenceAndControlPlaneErrorsAreAllReported() {
        let (loaded, diagnostics) = TopologyLoader.check(yaml: Self.badReferences, file: "refs.yaml")
        #expect(loaded == nil)
        let rendered = diagnostics.map { "\($0.location?.description ?? "-") \($0.path): \($0.message)" }
        let expected = [
            "10:50 vpcs[0].vswitches[1].cidr: vSwitch block is not inside the VPC's IPv4 blocks",
            "15:49 vpcs[0].route_tables[0].routes[0].peering: next hop peering 'pcx-nope' does not exist",
            "16:27 vpcs[0].route_tables[0].routes[1].destination: destination 10.0.1.128/25 is equal to or more specific than system route 10.0.1.0/24 (vSwitch vsw1); Alibaba Cloud rejects such custom routes",
            "20:67 vpcs[0].security_groups[0].rules[0].group: unknown security group",
            "28:39 instances[0].ipv4: address is outside its vSwitch 'vsw1'",
            "29:51 instances[1].ipv4[1]: address is reserved by the cloud in vSwitch 'vsw1'",
            "29:87 instances[1].security_groups[1]: unknown security group",
            "30:39 instances[2].ipv4: duplicate address in VPC 'vpc1'",
            "32:5 peerings[0]: peering cannot be created: peering 'pcx': bandwidth 5000 Mbit/s is outside the quota of 1...1024 Mbit/s for inter-region peerings",
            "34:5 timeline[0]: at t=10s: accept_peering refused: peering 'pcx' does not exist yet at t=10s",
            "35:5 timeline[1]: at t=20s: modify_peering refused: peering 'pcx' does not exist yet at t=20s",
        ]
        #expect(rendered == expected)
        #expect(diagnostics[5].found == "10.0.1.255")
        #expect(diagnostics[7].found == "10.0.1.10, already used by instance 'ecs2'")
    }

    @Test func yamlSyntaxErrorHasAPosition() {
        let (_, diagnostics) = TopologyLoader.check(yaml: "regions: [a\naccounts: {b\n", file: "syntax.yaml")
        #expect(diagnostics.count == 1)
        #expect(diagnostics[0].location != nil)
        #expect(diagnostics[0].message.hasPrefix("YAML syntax error"))
    }

    @Test func duplicateKeysAreReported() {
        let (_, diagnostics) = TopologyLoader.check(yaml: "regions: [a]\nregions: [b]\naccounts: [x]\nvpcs: []\n", file: "dup.yaml")
        #expect(diagnostics.count == 1)
        #expect(diagnostics[0].message == "duplicate key 'regions' in one mapping (first at line 1, column 1)")
        #expect(diagnostics[0].path == "regions")
        #expect(diagnostics[0].location == SourceLocation(line: 2, column: 1))
    }

    @Test func emptyAndWrongRootAreErrors() {
        #expect(TopologyLoader.check(yaml: "", file: "e.yaml").1.map(\.message) == ["the file is empty"])
        let list = TopologyLoader.check(yaml: "- 1\n- 2\n", file: "l.yaml").1
        #expect(list.count == 1 && list[0].location == SourceLocation(line: 1, column: 1) && list[0].found == "a list")
    }

    @Test func missingFileNamesIt() {
        #expect(throws: TopologyFileError.self) { try TopologyLoader.load(contentsOf: "/nonexistent/topology.yaml") }
        do {
            _ = try TopologyLoader.load(contentsOf: "/nonexistent/topology.yaml")
        } catch {
            #expect(error.description.hasPrefix("/nonexistent/topology.yaml: error: cannot read the file"))
        }
    }

    /// Every prefix of every example is rejected or accepted without a trap.
    @Test func truncatedFilesNeverTrap() throws {
        for file in captureFiles() {
            let text = try String(contentsOf: packageRoot.appendingPathComponent("captures/\(file)"), encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            for count in stride(from: 0, to: lines.count, by: 1) {
                let prefix = lines.prefix(count).joined(separator: "\n")
                let (loaded, diagnostics) = TopologyLoader.check(yaml: prefix, file: file)
                #expect(loaded != nil || diagnostics.contains { $0.severity == .error })
            }
        }
    }

    /// Random byte-level mutations of the examples (seeded): never a trap, and a file that is
    /// rejected always says why.
    @Test func mutatedFilesNeverTrap() throws {
        var generator = SeededGenerator(seed: 0x70_90_10_67)
        let alphabet = Array("abc019:-[]{},./ \n#'\"&*!|>?@`")
        for file in captureFiles() {
            let text = Array(try String(contentsOf: packageRoot.appendingPathComponent("captures/\(file)"), encoding: .utf8))
            for _ in 0..<40 {
                var mutated = text
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    let position = Int.random(in: 0..<mutated.count, using: &generator)
                    switch Int.random(in: 0..<3, using: &generator) {
                    case 0: mutated[position] = alphabet.randomElement(using: &generator)!
                    case 1: mutated.remove(at: position)
                    default: mutated.insert(alphabet.randomElement(using: &generator)!, at: position)
                    }
                }
                let (loaded, diagnostics) = TopologyLoader.check(yaml: String(mutated), file: file)
                #expect(loaded != nil || diagnostics.contains { $0.severity == .error && !$0.message.isEmpty })
            }
        }
    }

    /// A duration without a unit is an error with the likely units, at the field's line and
    /// column, not silently seconds (`intra_region_latency: 100` made ping report 200000 ms).
    @Test func aDurationWithoutAUnitIsAnErrorWithASuggestion() throws {
        let yaml = try String(contentsOf: packageRoot.appendingPathComponent("captures/two-vpcs-same-account.yaml"), encoding: .utf8)
        #expect(TopologyLoader.check(yaml: yaml, file: "two.yaml").0 != nil)
        let bare = yaml.replacingOccurrences(of: "name: two-vpcs-same-account\n",
                                             with: "name: two-vpcs-same-account\nsettings:\n  intra_region_latency: 100\n")
        let (loaded, diagnostics) = TopologyLoader.check(yaml: bare, file: "two.yaml")
        #expect(loaded == nil)
        let diagnostic = try #require(diagnostics.first)
        #expect(diagnostics.count == 1)
        #expect(diagnostic.path == "settings.intra_region_latency")
        #expect(diagnostic.message == "100 has no unit: did you mean 100us or 100ms?")
        let line = bare.split(separator: "\n", omittingEmptySubsequences: false)
            .firstIndex { $0.contains("intra_region_latency: 100") }.map { $0 + 1 }
        #expect(diagnostic.location?.line == line)
        #expect(diagnostic.description.hasPrefix("two.yaml:\(line ?? 0):25: error: settings.intra_region_latency: 100 has no unit"))
        // A timeline time gets seconds first; a fraction is a number too.
        let at = yaml.replacingOccurrences(of: "name: two-vpcs-same-account\n",
                                           with: "name: two-vpcs-same-account\ntimeline:\n  - {at: 1.5, action: delete_peering, peering: pcx-ab}\n")
        #expect(TopologyLoader.check(yaml: at, file: "two.yaml").1.map(\.message).contains("1.5 has no unit: did you mean 1.5s or 1.5ms?"))
        #expect(TopologyLoader.check(yaml: yaml.replacingOccurrences(of: "name: two-vpcs-same-account\n",
                                                                   with: "name: two-vpcs-same-account\nsettings:\n  intra_region_latency: 100us\n"),
                                     file: "two.yaml").0?.topology.settings.intraRegionLatency == .microseconds(100))
    }

    /// `ports: 80/443` is Alibaba's range notation (80 through 443). Both bounds well-known
    /// service ports read like a list: a warning at the field, and the rule still loads as the range.
    @Test func aSlashRangeOfTwoServicePortsWarns() throws {
        let yaml = try String(contentsOf: packageRoot.appendingPathComponent("captures/inter-region-bandwidth.yaml"), encoding: .utf8)
        func warnings(_ ports: String) throws -> (TopologyDiagnostic?, PortRange?) {
            let edited = yaml.replacingOccurrences(of: "ports: 80, cidr: 172.16.0.0/16}", with: "ports: \(ports), cidr: 172.16.0.0/16}")
            let (loaded, diagnostics) = TopologyLoader.check(yaml: edited, file: "ports.yaml")
            let rule = loaded?.topology.securityGroups.flatMap(\.rules).first { $0.id == "http" }
            return (diagnostics.first { $0.path.hasSuffix(".ports") }, rule?.ports)
        }
        let (warning, range) = try warnings("80/443")
        #expect(range == PortRange(80, 443))
        #expect(warning?.severity == .warning)
        #expect(warning?.path == "vpcs[1].security_groups[0].rules[0].ports")
        #expect(warning?.message == "ports 80/443 is the range 80 through 443 (364 ports), not the two ports 80 (http) and 443 (https); "
            + "for those, write one rule per port")
        // The route precheck of the file still runs beside it.
        #expect(TopologyLoader.check(yaml: yaml.replacingOccurrences(of: "ports: 80,", with: "ports: 80/443,"), file: "ports.yaml").1
            .contains { $0.message.contains("peering does not transit") })
        for plain in ["80-443", "22", "80/80", "1024/65535", "80/1000"] {
            let (none, loaded) = try warnings(plain)
            #expect(none == nil, "\(plain)")
            #expect(loaded != nil)
        }
        #expect(try warnings("22/3306").0?.message.hasPrefix("ports 22/3306 is the range 22 through 3306 (3285 ports)") == true)
    }
}
