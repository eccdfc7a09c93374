// swift-tools-version: 6.1
// The benchmarks are their own package so that the main package builds and tests without
// package-benchmark. Run: `cd Benchmarks && swift package benchmark [--target NAME]`.
// The Metering target compares with DPDK's rte_meter and needs `apt-get install libdpdk-dev`.
import PackageDescription

let benchmarkDependencies: [Target.Dependency] = [
    .product(name: "VPCEmu", package: "VPCEmu"),
    .product(name: "VPCEmuBench", package: "VPCEmu"),
    .product(name: "Benchmark", package: "package-benchmark"),
]

let package = Package(
    name: "VPCEmuBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        // Named, so that the product reference below does not depend on the checkout's directory name.
        .package(name: "VPCEmu", path: "../"),
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: ["CaptureBenchmark", "ParseBenchmark", "LPMBenchmark", "ACLBenchmark", "TopologyBenchmark", "PipelineBenchmark",
              "ConnectionTableBenchmark"].map { name in
        .executableTarget(
            name: name,
            dependencies: benchmarkDependencies,
            path: name,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        )
    } + [
        .systemLibrary(name: "CDPDKMeter", path: "CDPDKMeter"),
        .executableTarget(
            name: "Metering",
            dependencies: benchmarkDependencies + ["CDPDKMeter"],
            path: "Metering",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
    ]
)
