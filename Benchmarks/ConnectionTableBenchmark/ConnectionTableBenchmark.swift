// The connection table (ConnectionTracker) as the pipeline drives it, per traffic shape and
// number of flows: every flow's SYN (client egress, then server ingress), then every SYN-ACK
// (server egress, then client ingress, which has no rule: accepted by state alone). A fresh
// table per sample, so its growth is measured too: `ns per SYN` (a new flow: the rules, two
// inserts, the table's doublings amortised) and `ns per SYN-ACK` (a tracked flow: two lookups).
// O(1) per packet means both stay flat as the flows grow, up to the caches' sizes.
//
//     cd Benchmarks && swift package benchmark --target ConnectionTableBenchmark
//     swift package benchmark --target ConnectionTableBenchmark --filter 'sequential-ports-(5|10|20|30|50)k'
import Benchmark
import Foundation
import VPCEmu

enum Shape: String, CaseIterable {
    /// One client, one server port, source ports counting up (a load generator, a port scan).
    case sequentialPorts = "sequential-ports"
    case randomPorts = "random-ports"
    /// One client and source port to consecutive server addresses.
    case oneClientManyServers = "one-client-many-servers"

    func tuples(_ flows: Int) -> [FiveTuple] {
        var random = SystemRandomNumberGenerator()
        var seen = Set<FiveTuple>()
        var tuples: [FiveTuple] = []
        tuples.reserveCapacity(flows)
        while tuples.count < flows {
            let index = tuples.count
            let tuple = switch self {
            case .sequentialPorts:
                FiveTuple(ipv4Source: 0x0A00_000A, destination: 0x0A01_0005, sourcePort: UInt16(1024 + index % 64_000),
                          destinationPort: UInt16(80 + index / 64_000), ipProtocol: IPProtocolNumber.tcp)
            case .randomPorts:
                FiveTuple(ipv4Source: 0x0A00_000A, destination: 0x0A01_0005, sourcePort: .random(in: 1024...65535, using: &random),
                          destinationPort: .random(in: 1...65535, using: &random), ipProtocol: IPProtocolNumber.tcp)
            case .oneClientManyServers:
                FiveTuple(ipv4Source: 0x0A00_000A, destination: 0x0B00_0000 + UInt32(index), sourcePort: 40000,
                          destinationPort: 443, ipProtocol: IPProtocolNumber.tcp)
            }
            if seen.insert(tuple).inserted { tuples.append(tuple) }
        }
        return tuples
    }
}

let benchmarks: @Sendable () -> Void = {
    let any = RulePeer.network(IPNetwork(address: IPAddress("0.0.0.0")!, prefixLength: 0))
    let client = [SecurityGroup(name: "sg-client", vpc: "vpc", rules: [])]
    let server = [SecurityGroup(name: "sg-server", vpc: "vpc", rules: [
        SecurityGroupRule(id: "in", direction: .ingress, policy: .accept, ipProtocol: .tcp, peer: any),
    ])]
    let clientEgress: SecurityGroupFilter, clientIngress: SecurityGroupFilter
    let serverEgress: SecurityGroupFilter, serverIngress: SecurityGroupFilter
    do {
        clientEgress = try SecurityGroupFilter(groups: client, direction: .egress, members: [:])
        clientIngress = try SecurityGroupFilter(groups: client, direction: .ingress, members: [:])
        serverEgress = try SecurityGroupFilter(groups: server, direction: .egress, members: [:])
        serverIngress = try SecurityGroupFilter(groups: server, direction: .ingress, members: [:])
    } catch { fatalError("\(error)") }
    let nsPerSYN = BenchmarkMetric.custom("ns per SYN", polarity: .prefersSmaller, useScalingFactor: false)
    let nsPerSYNACK = BenchmarkMetric.custom("ns per SYN-ACK", polarity: .prefersSmaller, useScalingFactor: false)
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident, nsPerSYN, nsPerSYNACK],
        warmupIterations: 1, scalingFactor: .one, maxDuration: .seconds(5), maxIterations: 10)

    let sizes: [(name: String, flows: Int)] = [("5k", 5_000), ("10k", 10_000), ("20k", 20_000), ("30k", 30_000), ("50k", 50_000),
                                               ("100k", 100_000), ("1M", 1_000_000)]
    for shape in Shape.allCases {
        for size in sizes where shape == .sequentialPorts || [10_000, 100_000, 1_000_000].contains(size.flows) {
            Benchmark("\(shape.rawValue)-\(size.name)", configuration: configuration) { benchmark in
                let tuples = shape.tuples(size.flows)
                benchmark.startMeasurement()
                let start = DispatchTime.now().uptimeNanoseconds
                var tracker = ConnectionTracker(capacity: 2 * size.flows)
                var accepted = 0
                for (index, tuple) in tuples.enumerated() {
                    let syn = ConnectionTracker.Lookup(tuple), now = UInt64(index)
                    accepted &+= tracker.filter(syn, tcpFlags: 0x02, zone: 0, now: now, rules: clientEgress).policy == .accept ? 1 : 0
                    accepted &+= tracker.filter(syn, tcpFlags: 0x02, zone: 1, now: now, rules: serverIngress).policy == .accept ? 1 : 0
                }
                let synsDone = DispatchTime.now().uptimeNanoseconds
                for (index, tuple) in tuples.enumerated() {
                    let synAck = ConnectionTracker.Lookup(tuple.reversed), now = UInt64(size.flows + index)
                    accepted &+= tracker.filter(synAck, tcpFlags: 0x12, zone: 1, now: now, rules: serverEgress).policy == .accept ? 1 : 0
                    accepted &+= tracker.filter(synAck, tcpFlags: 0x12, zone: 0, now: now, rules: clientIngress).policy == .accept ? 1 : 0
                }
                let end = DispatchTime.now().uptimeNanoseconds
                benchmark.stopMeasurement()
                guard accepted == 4 * size.flows else { fatalError("\(accepted) of \(4 * size.flows) filter calls accepted") }
                benchmark.measurement(nsPerSYN, Int(synsDone - start) / size.flows)
                benchmark.measurement(nsPerSYNACK, Int(end - synsDone) / size.flows)
                blackHole(tracker)
            }
        }
    }
}
