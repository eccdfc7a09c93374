// The topology's per-packet costs (advancing the runtime when nothing is due, a route lookup
// in a compiled table) against the slow reference lookup, and the cost of compiling a topology
// and of rebuilding after a route event. Run: cd Benchmarks && swift package benchmark --target TopologyBenchmark
import Benchmark
import Foundation
import VPCEmu

let captures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("captures")

func loadExample(_ name: String) -> Topology {
    do {
        return try TopologyLoader.load(contentsOf: captures.appendingPathComponent(name).path).topology
    } catch {
        fatalError("cannot load \(name): \(error)")
    }
}

/// Destinations probed from vpc1's table: hits on every kind of route and misses.
let probes: [IPAddress] = ["10.1.1.10", "10.2.3.10", "10.2.1.10", "10.3.1.10", "10.3.1.11", "192.0.2.1", "10.1.1.99", "10.2.3.200"]
    .compactMap(IPAddress.init)

let benchmarks: @Sendable () -> Void = {
    let topology = loadExample("three-vpcs-partial.yaml")
    let configuration = Benchmark.Configuration(metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo,
                                                maxDuration: .seconds(2))

    Benchmark("Runtime advance, nothing due + compiled route lookup", configuration: configuration) { benchmark in
        var runtime = TopologyRuntime(topology: topology)
        var now = EmulatedTime.zero
        var sum: UInt32 = 0
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            now.nanoseconds &+= 1_000
            runtime.advance(to: now)
            if let slot = runtime.dataPlane.route(table: 0, to: probes[i & 7]) { sum &+= slot.route }
        }
        blackHole(sum)
    }

    Benchmark("Slow reference: ControlPlaneState.lookupRoute", configuration: configuration) { benchmark in
        let state = TopologyTimeline.state(of: topology, at: .zero)
        var hits = 0
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations where state.lookupRoute(probes[i & 7], table: "rt-1") != nil { hits &+= 1 }
        blackHole(hits)
    }

    Benchmark("DataPlane build (3 VPCs)", configuration: .init(metrics: [.wallClock, .mallocCountTotal], maxDuration: .seconds(2))) { benchmark in
        let state = TopologyTimeline.state(of: topology, at: .zero)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(DataPlane(state)) }
    }

    Benchmark("Route table change: rebuild one table's FIB", configuration: .init(metrics: [.wallClock, .mallocCountTotal], maxDuration: .seconds(2))) { benchmark in
        let state = TopologyTimeline.state(of: topology, at: .zero)
        var compiled = DataPlane(state)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { compiled.apply([.routeTable("rt-1")], from: state) }
        blackHole(compiled.tables.count)
    }
}
