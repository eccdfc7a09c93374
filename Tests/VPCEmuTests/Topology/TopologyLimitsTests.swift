import Foundation
import Testing
@testable import VPCEmu

/// Hostile and huge topology files are refused quickly with an error naming the limit, checks
/// stay linear, and every message says where and what (docs/topology.md, "Limits").
@Suite struct TopologyLimitsTests {
    static let header = """
    regions: [cn-hangzhou]
    accounts: [alice]
    vpcs:
      - name: vpc1
        account: alice
        region: cn-hangzhou
        cidr: 10.0.0.0/16
        vswitches: [{name: vsw1, zone: cn-hangzhou-h, cidr: 10.0.1.0/24}]

    """

    /// Billion laughs in topology shape: `n` VPCs of `n` security groups of `n` rules, each level
    /// an anchor and `n - 1` aliases: n³ rules in a file of about 15·n bytes.
    static func aliasBomb(_ n: Int) -> String {
        func level(_ anchor: String, _ node: String) -> String {
            "[&\(anchor) \(node), " + Array(repeating: "*\(anchor)", count: n - 1).joined(separator: ", ") + "]"
        }
        let rules = level("r", "{id: x, direction: sideways, protocol: tcp, cidr: 10.0.0.0/8}")
        let groups = level("sg", "{name: sg, rules: \(rules)}")
        let vpcs = level("v", "{name: v, account: a, region: r1, cidr: 10.0.0.0/16, security_groups: \(groups)}")
        return "regions: [r1]\naccounts: [a]\nvpcs: \(vpcs)\n"
    }

    @Test func aliasBombIsRefusedBeforeDecoding() {
        let text = Self.aliasBomb(110)  // 1.6 KB standing for 1,331,000 rules
        let (loaded, diagnostics) = TopologyLoader.check(yaml: text, file: "bomb.yaml")
        #expect(loaded == nil)
        #expect(diagnostics.count == 1)
        let error = diagnostics[0]
        #expect(error.message.hasPrefix("YAML aliases repeat more than 100000 nodes"))
        #expect(error.location.map { $0.line == 3 && $0.column > 1 } == true)
        #expect(error.path.hasPrefix("vpcs"))
    }

    /// An alias used as a mapping key: Yams hashes keys to find duplicates, and hashing a key
    /// that stands for a million nodes never ends. The prepass refuses it first.
    @Test func aliasUsedAsKeyIsRefusedBeforeYams() {
        var lines = ["x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for level in 1...8 {
            lines.append("x\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]")
        }
        lines.append("y: {*a8 : 1}")
        let diagnostics = TopologyLoader.check(yaml: lines.joined(separator: "\n"), file: "keys.yaml").1
        #expect(diagnostics.count == 1)
        #expect(diagnostics[0].message.hasPrefix("YAML aliases repeat"))
    }

    /// Yams shares an aliased node rather than copying it; the prepass counts each use as the
    /// nodes it stands for, once per use.
    @Test func aliasesAreCountedAsTheNodesTheyRepeat() {
        var prepass = YAMLPrepass(file: "a.yaml")
        prepass.check("a: &x [1, 2, 3]\nb: *x\nc: [*x, *x]\n")
        #expect(prepass.diagnostics.isEmpty)
        #expect(prepass.repeatedNodes == 12)  // three uses of a sequence of three scalars
        // Within the bound, aliases are fine: a rule list shared by two groups.
        let shared = Self.header + """
            security_groups:
              - {name: sg1, rules: &rules [{id: ssh, direction: ingress, protocol: tcp, ports: 22, cidr: 10.0.0.0/8}]}
              - {name: sg2, rules: *rules}
        """
        let loaded = try? TopologyLoader.load(yaml: shared, file: "shared.yaml")
        #expect(loaded?.topology.securityGroups.map(\.rules.count) == [1, 1])
    }

    @Test func deepNestingIsOneClearError() {
        let deep = "regions: " + String(repeating: "[", count: 2_000) + String(repeating: "]", count: 2_000) + "\n"
        let diagnostics = TopologyLoader.check(yaml: deep, file: "deep.yaml").1
        #expect(diagnostics.map(\.message) == ["YAML syntax error: collections nested more than 1000 levels deep (libyaml's limit)"])
    }

    @Test func errorsPrintedAreCappedWithACount() throws {
        let instances = (0..<250).map { "  - {name: ecs\($0), vswitch: nope, ipv4: 10.0.1.10}" }
        let text = Self.header + "instances:\n" + instances.joined(separator: "\n") + "\n"
        let (_, diagnostics) = TopologyLoader.check(yaml: text, file: "many.yaml")
        #expect(diagnostics.count == 250)
        let lines = TopologyFileError(diagnostics: diagnostics).description.split(separator: "\n")
        #expect(lines.count == 101)
        #expect(lines.last == "… and 150 more errors")
        #expect(TopologyDiagnostic.render(diagnostics, limit: 249).last == "… and 1 more error")
        #expect(TopologyDiagnostic.render(Array(diagnostics.prefix(100))).count == 100)
    }

    /// 20,000 rules, one duplicate id at the end: one error, at the right place.
    @Test func duplicateRuleIdsInALargeGroup() {
        let count = 20_000
        var rules = (0..<count).map { "          - {id: r\($0), direction: ingress, protocol: tcp, ports: 22, cidr: 10.0.0.0/8}" }
        rules.append("          - {id: r17, direction: ingress, protocol: udp, ports: 53, cidr: 10.0.0.0/8}")
        let text = Self.header + "    security_groups:\n      - name: sg1\n        rules:\n" + rules.joined(separator: "\n") + "\n"
        let (_, diagnostics) = TopologyLoader.check(yaml: text, file: "rules.yaml")
        #expect(diagnostics.map(\.path) == ["vpcs[0].security_groups[0].rules[\(count)].id"])
        #expect(diagnostics.first?.message == "duplicate rule id 'r17' in security group 'sg1'")
    }

    /// The sort-based overlap finder against every pair, on seeded random blocks.
    @Test func overlapFinderAgreesWithEveryPair() {
        var generator = SeededGenerator(seed: 0x0BE7_1A95)
        for _ in 0..<200 {
            let blocks = (0..<Int.random(in: 0...40, using: &generator)).map { _ in
                let length = Int.random(in: 8...28, using: &generator)
                let value = UInt32.random(in: 0...(1 << 12), using: &generator) << 20 | UInt32.random(in: 0...UInt32.max, using: &generator) >> 12
                return IPNetwork(address: .v4(IPv4Address(value)), prefixLength: length)
            }
            let pairs = TopologyValidator.overlaps(blocks)
            #expect(pairs.allSatisfy { blocks[$0.outer].contains(blocks[$0.inner]) && $0.inner != $0.outer })
            let involved = Set(pairs.flatMap { [$0.inner, $0.outer] })
            let slow = Set(blocks.indices.filter { i in blocks.indices.contains { j in j != i && blocks[i].overlaps(blocks[j]) } })
            #expect(involved == slow)
            #expect(pairs.count <= blocks.count)
        }
    }

    /// 3,000 vSwitches, every tenth inside the one before it: 300 overlaps, each reported once.
    @Test func overlappingVSwitchesInALargeVPC() {
        let vswitches = (0..<3_000).map { i in
            let block = i % 10 == 9 ? "10.\((i - 1) / 256).\((i - 1) % 256).128/25" : "10.\(i / 256).\(i % 256).0/24"
            return "      - {name: vsw\(i), zone: z, cidr: \(block)}"
        }
        let text = """
        regions: [r1]
        accounts: [a]
        vpcs:
          - name: vpc1
            account: a
            region: r1
            cidr: 10.0.0.0/8
            vswitches:

        """ + vswitches.joined(separator: "\n") + "\n"
        let (_, diagnostics) = TopologyLoader.check(yaml: text, file: "vswitches.yaml")
        #expect(diagnostics.count == 300)
        #expect(diagnostics.allSatisfy { $0.message == "vSwitch blocks overlap within VPC 'vpc1'" })
        #expect(diagnostics.map(\.path) == stride(from: 9, to: 3_000, by: 10).map { "vpcs[0].vswitches[\($0)].cidr" })
        #expect(diagnostics.first?.found == "10.0.8.128/25 overlapping vSwitch 'vsw8' 10.0.8.0/24")
    }

    @Test func invalidUTF8IsLocatedInWords() {
        var bytes = Array("regions: [a]\naccounts: [b]\nvpcs: [\u{e9}x".utf8)
        bytes.insert(0xFF, at: bytes.count - 1)  // line 3, after "vpcs: [é"
        let diagnostics = TopologyLoader.check(data: Data(bytes), file: "bad.yaml").1
        #expect(diagnostics.map(\.message) == ["not UTF-8 text: invalid byte 0xFF at line 3, column 9"])
        #expect(diagnostics.first?.location == SourceLocation(line: 3, column: 9))
        #expect(diagnostics.first?.description.hasPrefix("bad.yaml:3:9: error: not UTF-8 text") == true)
    }

    @Test func utf16AndBinaryFilesAreRefusedClearly() throws {
        var utf16 = Data([0xFF, 0xFE])
        utf16.append(try #require("regions: [a]\n".data(using: .utf16LittleEndian)))
        let refusal = TopologyLoader.check(data: utf16, file: "u16.yaml").1
        #expect(refusal.count == 1)
        #expect(refusal.first?.message.contains("UTF-16LE text") == true)
        #expect(refusal.first?.location == SourceLocation(line: 1, column: 1))
        let noMark = try #require("regions: [a]\n".data(using: .utf16BigEndian))
        #expect(TopologyLoader.check(data: noMark, file: "b.yaml").1.map(\.message)
            == ["not UTF-8 text: NUL byte (0x00) at line 1, column 1 (a binary file, or UTF-16 without a byte order mark?)"])
        let binary = TopologyLoader.check(data: Data([0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00]), file: "elf").1
        #expect(binary.map(\.message) == ["character U+007F at line 1, column 1 is not allowed in YAML (control characters other than tab and line breaks are not)"])
        let bell = TopologyLoader.check(data: Data("regions: [a]\naccounts: [\u{7}b]\n".utf8), file: "bell.yaml").1
        #expect(bell.first?.location == SourceLocation(line: 2, column: 12))
        #expect(TopologyLoader.check(data: Data("name: \u{a9} \u{85}\u{9f}\n".utf8), file: "c1.yaml").1.first?.location == SourceLocation(line: 1, column: 10))
    }

    @Test func utf8ByteOrderMarkIsAccepted() throws {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("captures/two-vpcs-same-account.yaml"), encoding: .utf8)
        let (loaded, diagnostics) = TopologyLoader.check(data: Data([0xEF, 0xBB, 0xBF]) + Data(text.utf8), file: "bom.yaml")
        #expect(loaded != nil, "\(diagnostics)")
    }

    @Test func oversizedFilesAreRefusedByTheirSize() throws {
        let oversized = Data(repeating: UInt8(ascii: " "), count: TopologyLimits.fileBytes + 1)
        #expect(TopologyLoader.check(data: oversized, file: "big.yaml").1.map(\.message)
            == ["the file is larger than 8 MiB (8388608 bytes), the limit for a topology file"])
        // A 58 MB file on disk: refused after reading only the limit.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vpcemu-limits-\(getpid()).yaml").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 58_000_000)
        try handle.close()
        #expect(TopologyLoader.check(contentsOf: path).1.first?.message.hasPrefix("the file is larger than 8 MiB") == true)
    }

    @Test func duplicateKeysNameTheirPathAndBothPositions() {
        let text = Self.header + """
          - name: vpc2
            account: alice
            region: cn-hangzhou
            cidr: 10.1.0.0/16
            vswitches:
              - name: vsw2
                zone: cn-hangzhou-h
                cidr: 10.1.1.0/24
                cidr: 10.1.2.0/24
        """
        let diagnostics = TopologyLoader.check(yaml: text, file: "dup.yaml").1
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.path == "vpcs[1].vswitches[0].cidr")
        #expect(diagnostics.first?.location == SourceLocation(line: 17, column: 9))
        #expect(diagnostics.first?.message == "duplicate key 'cidr' in one mapping (first at line 16, column 9)")
    }

    /// A `regions` that cannot be read is one error, not one more per VPC; an empty list of
    /// candidates is never printed as "one of )".
    @Test func failedDeclarationsDoNotCascade() {
        let broken = TopologyLoader.check(yaml: Self.header.replacingOccurrences(of: "[cn-hangzhou]", with: "{a: 1}"), file: "r.yaml").1
        #expect(broken.map(\.path) == ["regions"])
        let empty = TopologyLoader.check(yaml: Self.header.replacingOccurrences(of: "[cn-hangzhou]", with: "[]"), file: "e.yaml").1
        #expect(empty.map(\.path) == ["vpcs[0].region"])
        #expect(empty.first?.expected == "a region declared in the file (there is none)")
        #expect(!empty.contains { $0.description.contains("one of )") })
    }

    @Test func timesAndDelaysAreBoundedToAHundredYears() {
        let delay = TopologyLoader.check(yaml: "settings: {deletion_delay: 106751d}\n" + Self.header, file: "d.yaml").1
        #expect(delay.map(\.path) == ["settings.deletion_delay"])
        #expect(delay.first?.message == "too large")
        #expect(delay.first?.expected == "at most 36500d (100 years)")
        let edge = TopologyLoader.check(yaml: "settings: {deletion_delay: 36500d, activation_delay: 36500.01d}\n" + Self.header, file: "e.yaml").1
        #expect(edge.map(\.path) == ["settings.activation_delay"])
        let late = TopologyLoader.check(yaml: Self.header + "timeline:\n  - {at: 106751d, action: create_peering, name: p, requester: vpc1, accepter: vpc1}\n",
                                        file: "t.yaml").1
        #expect(late.map(\.path) == ["timeline[0].at"])
        // At the bounds, sums stay positive: expiry at 100 years plus a 100-year timeout.
        let text = """
        settings: {acceptance_timeout: 36500d}
        regions: [r1]
        accounts: [alice, bob]
        vpcs:
          - {name: a, account: alice, region: r1, cidr: 10.0.0.0/16}
          - {name: b, account: bob, region: r1, cidr: 10.1.0.0/16}
        timeline:
          - {at: 36500d, action: create_peering, name: p, requester: a, accepter: b}
        """
        let loaded = try? TopologyLoader.load(yaml: text, file: "bounds.yaml")
        let state = loaded.map { TopologyTimeline.state(of: $0.topology, at: EmulatedTime(nanoseconds: .max)) }
        #expect(state?.peering(named: "p")?.history.last?.time == EmulatedTime(nanoseconds: 73_000 * 86_400 * 1_000_000_000))
        #expect(state?.state(of: "p") == .expired)
        #expect(EmulatedTime(nanoseconds: .max - 1) + .seconds(10) == EmulatedTime(nanoseconds: .max))
    }

    static let twoVPCs = """
    regions: [r1]
    accounts: [alice]
    vpcs:
      - {name: a, account: alice, region: r1, cidr: 10.0.0.0/16}
      - {name: b, account: alice, region: r1, cidr: 10.1.0.0/16}

    """

    @Test func aSecondPeeringBetweenTheSameVPCsIsRefused() {
        let twice = Self.twoVPCs + "peerings:\n  - {name: p1, requester: a, accepter: b}\n  - {name: p2, requester: b, accepter: a}\n"
        let diagnostics = TopologyLoader.check(yaml: twice, file: "twice.yaml").1
        #expect(diagnostics.map(\.path) == ["peerings[1]"])
        #expect(diagnostics.first?.message.contains("VPCs 'a' and 'b' are already peered by 'p1' (Activated)") == true)
        // Once the first is deleted, the cloud accepts a new one.
        let again = Self.twoVPCs + """
        peerings: [{name: p1, requester: a, accepter: b}]
        settings: {deletion_delay: 0s}
        timeline:
          - {at: 10s, action: delete_peering, peering: p1}
          - {at: 20s, action: create_peering, name: p2, requester: a, accepter: b}
        """
        let loaded = try? TopologyLoader.load(yaml: again, file: "again.yaml")
        #expect(loaded.map { TopologyTimeline.state(of: $0.topology, at: time("30s")).state(of: "p2") } == .activated)
    }

    @Test func unsafeNamesAreRefusedWithTheirPlace() {
        let text = """
        regions: ['us"1']
        accounts: [alice]
        vpcs:
          - {name: ../escaped, account: alice, region: 'us"1', cidr: 10.0.0.0/16}
          - {name: .hidden, account: alice, region: 'us"1', cidr: 10.1.0.0/16}
        """
        let diagnostics = TopologyLoader.check(yaml: text, file: "names.yaml").1
        #expect(diagnostics.map { "\($0.location?.description ?? "-") \($0.path)" } == ["1:11 regions[0]", "4:12 vpcs[0].name", "5:12 vpcs[1].name"])
        #expect(diagnostics.allSatisfy { $0.message == "name not allowed" && $0.expected == TopologyLimits.nameRule })
        #expect(diagnostics[1].found == "'../escaped'")
        let rules = Self.header + """
            security_groups: [{name: sg1, rules: [{id: "a/b", direction: ingress, protocol: all, cidr: 10.0.0.0/8}]}]
            network_acls: [{name: acl1, ingress: [{name: "in 1", protocol: all, cidr: 10.0.0.0/8}]}]
        """
        #expect(TopologyLoader.check(yaml: rules, file: "r.yaml").1.map(\.path)
            == ["vpcs[0].security_groups[0].rules[0].id", "vpcs[0].network_acls[0].ingress[0].name"])
        for name in ["vpc-1", "a.b_c", "9", String(repeating: "x", count: 128)] { #expect(TopologyLimits.isSafeName(name)) }
        for name in ["", ".x", "a/b", "a b", "ü", "a\"b", String(repeating: "x", count: 129)] { #expect(!TopologyLimits.isSafeName(name)) }
    }

    /// The JSON Schema's name pattern accepts exactly the names the loader accepts.
    @Test func schemaNamePatternMatchesTheLoader() throws {
        let schema = try TopologySchemaTests.schema()
        let definitions = try #require(schema["$defs"] as? [String: Any])
        let pattern = try #require((definitions["name"] as? [String: Any])?["pattern"] as? String)
        let regex = try NSRegularExpression(pattern: pattern)
        let samples = ["vpc-1", "a.b_c", "9", ".x", "../x", "a/b", "us\"1", "", "ü", String(repeating: "x", count: 128), String(repeating: "x", count: 129)]
        for sample in samples {
            let matches = regex.firstMatch(in: sample, range: NSRange(sample.startIndex..., in: sample)) != nil
            #expect(matches == TopologyLimits.isSafeName(sample), "\(sample)")
        }
        // Every object name in the schema refers to it.
        let text = try String(contentsOf: packageRoot.appendingPathComponent("docs/topology.schema.json"), encoding: .utf8)
        #expect(text.components(separatedBy: "\"$ref\": \"#/$defs/name\"").count - 1 >= 12)
    }
}
