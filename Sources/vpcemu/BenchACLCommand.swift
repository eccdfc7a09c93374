import ArgumentParser
import Foundation
import VPCEmu

/// `vpcemu bench acl`: compiles a ClassBench rule set and classifies a trace with the batch API.
struct BenchACLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acl",
        abstract: "Classify a ClassBench trace against a ClassBench rule set (first match wins).",
        discussion: """
            Prints the rule and packet counts, the time to read the two files and the build time (both apart \
            from the classification), the memory of the compiled classifier, the best Mpps over the \
            repetitions and the checksum: the sum over trace \
            lines of the 1-based index of the first matching rule (0 when none), as dpdk-test-acl's \
            comparison scripts compute it.
            """
    )

    @Option(help: "ClassBench rule file (@sip/len dip/len sport : sport dport : dport proto/mask flags/mask).")
    var rules: String

    @Option(help: "ClassBench trace file (sip dip sport dport proto flags ruleid).")
    var trace: String

    @Option(name: .customLong("repeat"), help: "Timed passes over the trace; the best one is reported.")
    var repeat_ = 10

    @Option(help: "Tree tuning: a node with at most this many rules becomes a leaf.")
    var leafSize = PacketClassifier.Configuration().leafSize

    @Option(help: "Lookup tuning: packets walked through the tree together by the batch lookup.")
    var lockstepGroup = PacketClassifier.Configuration().lockstepGroup

    @Flag(help: "Also classify every packet with a linear scan and fail on any difference.")
    var verify = false

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard repeat_ >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard leafSize >= 1 else { throw ValidationError("--leaf-size must be at least 1") }
        guard lockstepGroup >= 1 else { throw ValidationError("--lockstep-group must be at least 1") }
    }

    func run() throws {
        let progress = ProgressLine()
        defer { progress.finish() }
        progress.phase("reading \(rules) and \(trace)")
        let parseStart = ContinuousClock.now
        let ruleList = try ClassBench.readRules(path: rules)
        let tuples = try ClassBench.readTrace(path: trace).map(\.tuple)
        let parseSeconds = (ContinuousClock.now - parseStart).seconds

        progress.phase("building the classifier")
        let buildStart = ContinuousClock.now
        let classifier = PacketClassifier(rules: ruleList, configuration: .init(leafSize: leafSize, lockstepGroup: lockstepGroup))
        let buildSeconds = (ContinuousClock.now - buildStart).seconds

        var results = [UInt32](repeating: 0, count: tuples.count)
        var bestSeconds = Double.infinity
        for repetition in 1...repeat_ {
            progress.phase("classifying \(repetition)/\(repeat_)")
            let start = ContinuousClock.now
            classifier.classify(tuples, into: &results)
            bestSeconds = min(bestSeconds, (ContinuousClock.now - start).seconds)
        }
        let checksum = results.reduce(UInt64(0)) { $0 &+ UInt64($1 &+ 1) }

        var verified: Bool?
        if verify {
            progress.phase("linear scan (--verify)")
            let linear = LinearClassifier(rules: ruleList)
            for (line, tuple) in tuples.enumerated() {
                let expected = linear.firstMatch(tuple).map(UInt32.init) ?? PacketClassifier.noMatch
                guard results[line] == expected else {
                    throw VerificationFailure(trace: trace, line: line + 1, classifier: results[line], linear: expected)
                }
            }
            verified = true
        }

        progress.finish()
        let report = Report(rules: ruleList.count, packets: tuples.count, parseSeconds: parseSeconds, buildSeconds: buildSeconds,
                            memoryBytes: classifier.memoryBytes, mpps: tuples.isEmpty ? 0 : Double(tuples.count) / max(bestSeconds, 1e-9) / 1e6,
                            checksum: checksum, repetitions: repeat_, trees: classifier.statistics.trees, nodes: classifier.statistics.nodes,
                            treeDepth: classifier.statistics.maximumDepth,
                            leafRuleReferences: classifier.statistics.leafRuleReferences, verified: verified)
        if json {
            print(try SnakeCaseJSON.encode(report))
        } else {
            print(report.text)
        }
    }

    struct Report: Encodable {
        var rules: Int
        var packets: Int
        /// Reading and parsing the rule and trace files.
        var parseSeconds: Double
        var buildSeconds: Double
        var memoryBytes: Int
        var mpps: Double
        var checksum: UInt64
        var repetitions: Int
        var trees: Int
        var nodes: Int
        var treeDepth: Int
        var leafRuleReferences: Int
        var verified: Bool?

        var text: String {
            var lines = [
                "rules          \(rules)",
                "packets        \(packets)",
                "parse seconds  \(String(format: "%.4f", parseSeconds))  (reading the rule and trace files)",
                "build seconds  \(String(format: "%.4f", buildSeconds))",
                "memory bytes   \(memoryBytes)  (\(trees) trees, \(nodes) nodes, depth \(treeDepth), \(leafRuleReferences) leaf rule references)",
                "Mpps           \(String(format: "%.2f", mpps))  (best of \(repetitions), batch API)",
                "checksum       \(checksum)",
            ]
            if verified == true { lines.append("verify         every packet equals the linear scan") }
            return lines.joined(separator: "\n")
        }
    }

    struct VerificationFailure: Error, CustomStringConvertible {
        var trace: String
        var line: Int
        var classifier: UInt32
        var linear: UInt32

        var description: String {
            func show(_ result: UInt32) -> String { result == PacketClassifier.noMatch ? "no match" : "rule \(result + 1)" }
            return "\(trace):\(line): classifier says \(show(classifier)), linear scan says \(show(linear))"
        }
    }
}

fileprivate extension Duration {
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
