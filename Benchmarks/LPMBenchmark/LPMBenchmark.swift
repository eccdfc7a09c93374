// Route lookup and FIB rebuild benchmarks on the real BGP table.
//
// Needs the workload files of shared/data/make-lpm-workload.py, from the directory named by
// LPM_WORKLOAD (default /tmp/lpm-workload):
//   python3 ../../shared/data/make-lpm-workload.py /tmp/lpm-workload
//   cd Benchmarks && swift package benchmark --target LPMBenchmark
import Benchmark
import Foundation
import VPCEmu
import VPCEmuBench

/// Knuth's MMIX linear congruential generator, high bits out: seeded, so every run measures
/// the same tables and addresses (statistical quality is not the point here).
struct SeededLCG: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state ^ (state >> 29)
    }
}

let workloadDirectory = ProcessInfo.processInfo.environment["LPM_WORKLOAD"] ?? "/tmp/lpm-workload"
let addressesPerCase = 1 << 16

/// A table of `size` routes sampled from the file (all of them when nil) and two address mixes:
/// `hits` all inside a route of the table, `uniform` uniformly random.
struct Case<Key: PoptrieKey> {
    var rib = BinaryTrie<Key, UInt32>()
    var hits: [Key] = []
    var uniform: [Key] = []

    init(_ routes: [LPMWorkload<Key>.Route], size: Int?, randomKey: (inout SeededLCG) -> Key) {
        var generator = SeededLCG(state: 42)
        let chosen = size.map { Array(routes.shuffled(using: &generator).prefix($0)) } ?? routes
        for route in chosen { rib.insert(route.prefix, length: route.length, value: route.nextHop) }
        for _ in 0..<addressesPerCase {
            let route = chosen[Int.random(in: 0..<chosen.count, using: &generator)]
            let random = randomKey(&generator)
            var inside = route.prefix.masked(to: route.length)
            for bit in route.length..<Key.bitWidth where random.bit(bit) { inside = inside.settingBit(bit) }
            hits.append(inside)
            uniform.append(randomKey(&generator))
        }
    }
}

func lookupBenchmark<Key: PoptrieKey>(_ name: String, _ fib: Poptrie<Key>, _ addresses: [Key]) {
    Benchmark(name, configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal],
                                         scalingFactor: .kilo, maxDuration: .seconds(2))) { benchmark in
        var results = [UInt32](repeating: 0, count: 64)
        addresses.withUnsafeBufferPointer { addresses in
            results.withUnsafeMutableBufferPointer { results in
                // One iteration: one batch call on the next 64 addresses.
                var start = 0
                for _ in benchmark.scaledIterations {
                    fib.lookup(UnsafeBufferPointer(rebasing: addresses[start..<start + 64]), into: results)
                    blackHole(results[63])
                    start = (start + 64) % addresses.count
                }
            }
        }
    }
}

func rebuildBenchmark<Key: PoptrieKey>(_ name: String, _ rib: BinaryTrie<Key, UInt32>) {
    Benchmark(name, configuration: .init(metrics: [.wallClock, .mallocCountTotal], maxDuration: .seconds(3))) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(rib.build()) }
    }
}

/// A VPC route table's worth of routes: `count` /16../28 blocks inside 10.0.0.0/8 plus a default.
func vpcSizedTable(_ count: Int) -> IPv4RIB {
    var rib = IPv4RIB(), generator = SeededLCG(state: 7)
    rib.insert(IPv4Address(0), length: 0, value: 0)
    for index in 1...count {
        let length = Int.random(in: 16...28, using: &generator)
        let prefix = IPv4Address(0x0A00_0000 | UInt32.random(in: 0...0xFF_FFFF, using: &generator))
        rib.insert(prefix, length: length, value: UInt32(index))
    }
    return rib
}

let benchmarks: @Sendable () -> Void = {
    let v4: LPMWorkload<IPv4Address>
    let v6: LPMWorkload<IPv6Address>
    do {
        // The address files are not needed: the cases draw their own addresses.
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("lpm-benchmark-no-addresses").path
        FileManager.default.createFile(atPath: empty, contents: Data())
        v4 = try LPMWorkload(routesFile: "\(workloadDirectory)/routes4.txt", addressesFile: empty)
        v6 = try LPMWorkload(routesFile: "\(workloadDirectory)/routes6.txt", addressesFile: empty)
    } catch {
        fatalError("LPMBenchmark: \(error) (generate the workload: see the top of LPMBenchmark.swift)")
    }
    let random4: (inout SeededLCG) -> IPv4Address = { IPv4Address(UInt32(truncatingIfNeeded: $0.next())) }
    let random6: (inout SeededLCG) -> IPv6Address = { IPv6Address(high: $0.next(), low: $0.next()) }

    for (label, size) in [("1K", 1_000), ("100K", 100_000), ("full", nil as Int?)] {
        let table = Case(v4.routes, size: size, randomKey: random4)
        let fib = table.rib.build()
        lookupBenchmark("IPv4 batch lookup, \(label) routes, hits", fib, table.hits)
        lookupBenchmark("IPv4 batch lookup, \(label) routes, uniform", fib, table.uniform)
    }
    for (label, size) in [("1K", 1_000), ("full", nil as Int?)] {
        let table = Case(v6.routes, size: size, randomKey: random6)
        let fib = table.rib.build()
        lookupBenchmark("IPv6 batch lookup, \(label) routes, hits", fib, table.hits)
        lookupBenchmark("IPv6 batch lookup, \(label) routes, uniform", fib, table.uniform)
        if size == nil { rebuildBenchmark("IPv6 FIB rebuild, full table", table.rib) }
    }
    rebuildBenchmark("IPv4 FIB rebuild, 30 routes", vpcSizedTable(30))
    rebuildBenchmark("IPv4 FIB rebuild, full table", Case(v4.routes, size: nil, randomKey: random4).rib)
}
