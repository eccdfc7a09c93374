// Packet classification throughput: the ClassBench 10k sets with their traces (the inputs
// `vpcemu bench acl` and Benchmarks/compare-acl.sh use) and security-group-sized rule sets.
// One iteration classifies the whole trace (100,000 headers) with the batch API; parsing and
// building happen in setup. Run: `cd Benchmarks && swift package benchmark --target ACLBenchmark`.
import Benchmark
import VPCEmu

let classbench: String = {
    var path = #filePath
    for _ in 0..<4 { path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) }
    return path + "/../shared/data/classbench/"
}()

struct Workload: @unchecked Sendable {
    let classifier: PacketClassifier
    let tuples: [FiveTuple]
}

func loadClassBench(_ name: String) throws -> Workload {
    let rules = try ClassBench.readRules(path: classbench + name)
    let tuples = try ClassBench.readTrace(path: classbench + name + "_trace").map(\.tuple)
    return Workload(classifier: PacketClassifier(rules: rules), tuples: tuples)
}

/// `count` security-group rules shaped like real ones (a few ports from CIDRs seen in the
/// trace, some drops), compiled through `SecurityGroupFilter`.
func securityGroupWorkload(rules count: Int) throws -> Workload {
    let tuples = try ClassBench.readTrace(path: classbench + "acl1_10k_trace").map(\.tuple)
    var rules: [SecurityGroupRule] = []
    let ports: [UInt16] = [22, 80, 443, 3306, 5432, 6379, 8080, 1521]
    for index in 0..<count {
        let source = tuples[(index * 7919) % tuples.count].source
        let length = [8, 16, 24, 32][index % 4]
        rules.append(SecurityGroupRule(
            id: "r\(index)", direction: .ingress, policy: index % 5 == 0 ? .drop : .accept, priority: 1 + index % 100,
            ipProtocol: index % 3 == 0 ? .udp : .tcp, ports: PortRange(ports[index % ports.count], ports[index % ports.count]),
            peer: .network(IPNetwork(address: source, prefixLength: length))))
    }
    let filter = try SecurityGroupFilter(groups: [SecurityGroup(name: "sg", vpc: "vpc", rules: rules)],
                                         direction: .ingress, members: [:])
    return Workload(classifier: filter.filter.classifier, tuples: tuples)
}

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .custom("memoryBytes", useScalingFactor: false)],
        maxDuration: .seconds(5), maxIterations: 200)

    func classify(_ name: String, _ load: @escaping () throws -> Workload) {
        Benchmark("classify \(name) (100k headers)", configuration: configuration) { benchmark, workload in
            var results = [UInt32](repeating: 0, count: workload.tuples.count)
            benchmark.measurement(.custom("memoryBytes", useScalingFactor: false), workload.classifier.memoryBytes)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                workload.classifier.classify(workload.tuples, into: &results)
                blackHole(results)
            }
        } setup: {
            try load()
        }
    }

    classify("acl1_10k") { try loadClassBench("acl1_10k") }
    classify("fw1_10k") { try loadClassBench("fw1_10k") }
    classify("security group, 10 rules") { try securityGroupWorkload(rules: 10) }
    classify("security group, 100 rules") { try securityGroupWorkload(rules: 100) }

    for name in ["acl1_10k", "fw1_10k"] {
        Benchmark("build \(name)", configuration: .init(metrics: [.wallClock, .mallocCountTotal], maxDuration: .seconds(5), maxIterations: 20)) { benchmark, rules in
            for _ in benchmark.scaledIterations {
                blackHole(PacketClassifier(rules: rules))
            }
        } setup: {
            try ClassBench.readRules(path: classbench + name)
        }
    }
}
