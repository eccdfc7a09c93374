// swift-tools-version: 6.1
// The benchmarks are their own package so that the main package builds and tests without
// package-benchmark. Run: `cd Benchmarks && swift package benchmark [--target NAME]`.
import PackageDescription

let package = Package(
    name: "VPCEmuBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        // Named, so that the product reference below does not depend on the checkout's directory name.
        .package(name: "VPCEmu", path: "../"),
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: ["CaptureBenchmark", "ParseBenchmark", "LPMBenchmark", "ACLBenchmark", "TopologyBenchmark"].map { name in
        .executableTarget(
            name: name,
            dependencies: [
                .product(name: "VPCEmu", package: "VPCEmu"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: name,
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "package-benchmark"),
            ]
        )
    }
)
