// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "VPCEmu",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "VPCEmu", targets: ["VPCEmu"]),
        // The `bench` harnesses, for the CLI and the Benchmarks package (not the emulator's API).
        .library(name: "VPCEmuBench", targets: ["VPCEmuBench"]),
        .executable(name: "vpcemu", targets: ["vpcemu"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // The FIB's hardware popcount without a compiler flag (docs/routing.md, "Population count").
        .target(name: "CPopcount"),
        .target(name: "CPrefetch"),
        .target(
            name: "VPCEmu",
            dependencies: [
                "CPcap",
                "CPopcount",
                "CPrefetch",
                "CZlib",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(name: "VPCEmuBench", dependencies: ["VPCEmu", "CPcap"]),
        .executableTarget(
            name: "vpcemu",
            dependencies: [
                "VPCEmu",
                "VPCEmuBench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            plugins: ["EmbedExamples"]
        ),
        // captures/*.yaml compiled into the vpcemu binary (`vpcemu demo` from any directory).
        .plugin(name: "EmbedExamples", capability: .buildTool()),
        .testTarget(
            name: "VPCEmuTests",
            dependencies: ["VPCEmu", "VPCEmuBench"],  // VPCEmuBench: LibpcapBaseline, the reader tests' reference
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "VPCEmuBenchTests", dependencies: ["VPCEmuBench"]),
        // Runs the built `vpcemu` binary: exit codes and golden help text.
        .testTarget(
            name: "CLITests",
            dependencies: ["vpcemu"],
            exclude: ["Fixtures"]
        ),
    ]
)
