// swift-tools-version: 6.1
// The benchmarks are their own package so that the main package builds and tests without
// package-benchmark. Run: `cd Benchmarks && swift package benchmark`.
import PackageDescription

let package = Package(
    name: "VPCEmuBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "VPCEmu", path: "../"),
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        // DPDK's rte_meter (dpdk-dev), the reference for the token bucket; header-only, see its shim.h.
        .systemLibrary(name: "CDPDKMeter", path: "CDPDKMeter"),
        .executableTarget(
            name: "Metering",
            dependencies: [
                .product(name: "VPCEmu", package: "VPCEmu"),
                .product(name: "Benchmark", package: "package-benchmark"),
                "CDPDKMeter",
            ],
            path: "Metering",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
    ]
)
