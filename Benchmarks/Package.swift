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
        .executableTarget(
            name: "LPMBenchmark",
            dependencies: [
                .product(name: "VPCEmu", package: "VPCEmu"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "LPMBenchmark",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "package-benchmark"),
            ]
        ),
        .executableTarget(
            name: "ACLBenchmark",
            dependencies: [
                .product(name: "VPCEmu", package: "VPCEmu"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/ACLBenchmark",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "package-benchmark"),
            ]
        ),
        .executableTarget(
            name: "TopologyBenchmark",
            dependencies: [
                .product(name: "VPCEmu", package: "VPCEmu"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "TopologyBenchmark",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "package-benchmark"),
            ]
        ),
    ]
)
