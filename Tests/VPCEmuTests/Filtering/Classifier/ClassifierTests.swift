import Foundation
import Testing
@testable import VPCEmu

/// The compiled classifier against the obviously-correct definition: the index of the first
/// rule of the ordered list whose `matches` holds.
@Suite struct ClassifierTests {
    static func reference(_ rules: [ClassifierRule], _ tuple: FiveTuple) -> Int? {
        rules.firstIndex { $0.matches(tuple) }
    }

    /// Random rules drawn from a small pool of base addresses so prefixes nest and overlap.
    struct RandomRuleSet {
        var generator: SeededGenerator
        let bases4: [UInt32]
        let bases6: [(UInt64, UInt64)]

        init(seed: UInt64) {
            var generator = SeededGenerator(seed: seed)
            bases4 = (0..<6).map { _ in UInt32.random(in: .min ... .max, using: &generator) }
            bases6 = (0..<4).map { _ in (UInt64.random(in: .min ... .max, using: &generator), UInt64.random(in: .min ... .max, using: &generator)) }
            self.generator = generator
        }

        mutating func address(_ family: AddressFamily) -> IPAddress {
            if family == .ipv4 {
                let base = bases4.randomElement(using: &generator)!
                return .v4(IPv4Address(base ^ UInt32.random(in: 0...0xFF, using: &generator) << UInt32.random(in: 0...24, using: &generator)))
            }
            let (high, low) = bases6.randomElement(using: &generator)!
            return .v6(IPv6Address(high: high ^ (Bool.random(using: &generator) ? UInt64.random(in: 0...3, using: &generator) : 0),
                                   low: low ^ UInt64.random(in: 0...0xFF, using: &generator) << UInt64.random(in: 0...56, using: &generator)))
        }

        mutating func prefix(_ family: AddressFamily) -> IPNetwork {
            let lengths = family == .ipv4 ? [0, 8, 16, 20, 24, 28, 32] : [0, 32, 48, 64, 72, 96, 120, 128]
            return IPNetwork(address: address(family), prefixLength: lengths.randomElement(using: &generator)!)
        }

        mutating func ports() -> PortRange {
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: return .any
            case 1: let port = UInt16.random(in: 0...1100, using: &generator); return PortRange(port, port)
            case 2: let low = UInt16.random(in: 0...1000, using: &generator); return PortRange(low, low + UInt16.random(in: 0...200, using: &generator))
            default: return PortRange(1024, 65535)
            }
        }

        mutating func rule(families: [AddressFamily]) -> ClassifierRule {
            let family = families.randomElement(using: &generator)!
            let (proto, mask): (UInt8, UInt8) = [(0, 0), (6, 0xFF), (17, 0xFF), (1, 0xFF), (0x04, 0x0C)].randomElement(using: &generator)!
            return ClassifierRule(source: prefix(family), destination: prefix(family), sourcePorts: ports(),
                                  destinationPorts: ports(), ipProtocol: proto, protocolMask: mask)
        }

        /// Half the packets fall inside a random rule, half are random near the bases.
        mutating func packet(_ rules: [ClassifierRule], families: [AddressFamily]) -> FiveTuple {
            if let rule = rules.randomElement(using: &generator), Bool.random(using: &generator) {
                func inside(_ network: IPNetwork) -> IPAddress {
                    let range = network.range
                    switch (range.lowerBound, range.upperBound) {
                    case let (.v4(low), .v4(high)): return .v4(IPv4Address(UInt32.random(in: low.value...high.value, using: &generator)))
                    case let (.v6(low), .v6(high)):
                        let highWord = UInt64.random(in: low.high...high.high, using: &generator)
                        return .v6(IPv6Address(high: highWord, low: UInt64.random(in: low.low...high.low, using: &generator)))
                    default: return range.lowerBound
                    }
                }
                let proto = rule.protocolMask == 0 ? [6, 17, 1, 58].randomElement(using: &generator)! : rule.ipProtocol | (~rule.protocolMask & UInt8.random(in: 0...255, using: &generator))
                return FiveTuple(source: inside(rule.source), destination: inside(rule.destination),
                                 sourcePort: UInt16.random(in: rule.sourcePorts.lower...rule.sourcePorts.upper, using: &generator),
                                 destinationPort: UInt16.random(in: rule.destinationPorts.lower...rule.destinationPorts.upper, using: &generator),
                                 ipProtocol: proto)
            }
            let family = families.randomElement(using: &generator)!
            return FiveTuple(source: address(family), destination: address(family),
                             sourcePort: UInt16.random(in: 0...1300, using: &generator), destinationPort: UInt16.random(in: 0...1300, using: &generator),
                             ipProtocol: [6, 17, 1, 4, 8].randomElement(using: &generator)!)
        }
    }

    /// Single and batch lookups against `LinearClassifier` and, when `againstDefinition`, against
    /// `ClassifierRule.matches` itself (slow in debug builds for 10k rules).
    static func expectAgreement(_ rules: [ClassifierRule], _ tuples: [FiveTuple],
                                configuration: PacketClassifier.Configuration = .init(), againstDefinition: Bool = true) {
        let classifier = PacketClassifier(rules: rules, configuration: configuration)
        var batch = [UInt32](repeating: 0, count: tuples.count)
        classifier.classify(tuples, into: &batch)
        let linear = LinearClassifier(rules: rules)
        var mismatches = 0
        for (index, tuple) in tuples.enumerated() {
            let expected = againstDefinition ? reference(rules, tuple) : linear.firstMatch(tuple)
            let single = classifier.firstMatch(tuple)
            let batched: Int? = batch[index] == PacketClassifier.noMatch ? nil : Int(batch[index])
            if single != expected || batched != expected || linear.firstMatch(tuple) != expected {
                mismatches += 1
                if mismatches <= 3 {
                    Issue.record("\(tuple): expected \(expected.map(String.init) ?? "none"), single \(single.map(String.init) ?? "none"), batch \(batched.map(String.init) ?? "none")")
                }
            }
        }
        #expect(mismatches == 0)
    }

    @Test(arguments: [
        (UInt64(1), 10, [AddressFamily.ipv4]), (2, 100, [.ipv4]), (3, 600, [.ipv4]),
        (4, 300, [.ipv6]), (5, 400, [.ipv4, .ipv6]), (6, 1, [.ipv4]),
    ])
    func randomRuleSetsMatchLinearScan(seed: UInt64, ruleCount: Int, families: [AddressFamily]) {
        var random = RandomRuleSet(seed: seed)
        let rules = (0..<ruleCount).map { _ in random.rule(families: families) }
        let tuples = (0..<2000).map { _ in random.packet(rules, families: families) }
        Self.expectAgreement(rules, tuples)
    }

    @Test func tinyLeavesAndForcedPartitionStillMatchLinearScan() {
        var random = RandomRuleSet(seed: 99)
        let rules = (0..<300).map { _ in random.rule(families: [.ipv4, .ipv6]) }
        let tuples = (0..<1500).map { _ in random.packet(rules, families: [.ipv4, .ipv6]) }
        Self.expectAgreement(rules, tuples, configuration: .init(leafSize: 1, singleTreeReplication: 0))
        Self.expectAgreement(rules, tuples, configuration: .init(leafSize: 32, maximumDepth: 3))
    }

    @Test func emptyRuleSetMatchesNothing() {
        let classifier = PacketClassifier(rules: [])
        let tuple = FiveTuple(ipv4Source: 1, destination: 2, sourcePort: 3, destinationPort: 4, ipProtocol: 6)
        #expect(classifier.firstMatch(tuple) == nil)
        var results: [UInt32] = []
        classifier.classify([], into: &results)
        #expect(results.isEmpty)
    }

    @Test func familiesNeverCrossMatch() throws {
        // ::10.0.0.1 and 10.0.0.1 share their low 32 bits; only the family tells them apart.
        let v4Rule = ClassifierRule(source: try IPNetwork(parsing: "10.0.0.1/32"), destination: .everything(.ipv4))
        let v6Rule = ClassifierRule(source: try IPNetwork(parsing: "::/0"), destination: .everything(.ipv6))
        let classifier = PacketClassifier(rules: [v4Rule, v6Rule])
        let v6 = FiveTuple(source: try #require(IPAddress("::10.0.0.1")), destination: try #require(IPAddress("::1")),
                           sourcePort: 1, destinationPort: 2, ipProtocol: 6)
        let v4 = FiveTuple(source: try #require(IPAddress("10.0.0.1")), destination: try #require(IPAddress("10.0.0.2")),
                           sourcePort: 1, destinationPort: 2, ipProtocol: 6)
        #expect(classifier.firstMatch(v6) == 1)
        #expect(classifier.firstMatch(v4) == 0)
    }

    @Test(.needsSharedData) func acl1_1kTraceMatchesNamedRuleOrAnEarlierOne() throws {
        let rules = try ClassBench.readRules(path: SharedData.classbench("acl1_1k"))
        let trace = try ClassBench.readTrace(path: SharedData.classbench("acl1_1k_trace"))
        #expect(rules.count == 953)
        #expect(trace.count == 11_069)
        let classifier = PacketClassifier(rules: rules)
        var results = [UInt32](repeating: 0, count: trace.count)
        classifier.classify(trace.map(\.tuple), into: &results)
        var earlier = 0
        for (entry, result) in zip(trace, results) {
            #expect(Int(result) <= entry.ruleID, "\(entry.tuple) matched \(result), generated from \(entry.ruleID)")
            #expect(Self.reference(rules, entry.tuple) == Int(result))
            if Int(result) < entry.ruleID { earlier += 1 }
        }
        // The data README: the first match is an earlier rule in 282 of 11,069 lines (flags ignored).
        #expect(earlier == 282)
    }

    @Test(.needsSharedData, arguments: ["acl1_10k", "fw1_10k"])
    func classBench10kSubsampleMatchesLinearScan(name: String) throws {
        let rules = try ClassBench.readRules(path: SharedData.classbench(name))
        // Every 400th header keeps the debug build fast; `bench acl --verify` checks them all.
        let lines = try String(contentsOfFile: SharedData.classbench(name + "_trace"), encoding: .utf8)
            .split(separator: "\n")
        let sampled = Swift.stride(from: 0, to: lines.count, by: 400).map { lines[$0] }.joined(separator: "\n")
        let sample = try ClassBench.parseTrace(sampled, file: name + "_trace").map(\.tuple)
        #expect(sample.count == 250)
        Self.expectAgreement(rules, sample, againstDefinition: false)
    }
}
