// swift-tools-version: 6.1
import PackageDescription

// Hardware population count for the FIB (docs/routing.md: Poptrie). On the x86-64 baseline
// Swift compiles `nonzeroBitCount` to a dozen bit-twiddling instructions; `popcnt` is on
// every x86-64 CPU since 2008. The manifest runs on the build host, so this follows its arch.
#if arch(x86_64)
let cpuFeatureSettings: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-mpopcnt"])]
#else
let cpuFeatureSettings: [SwiftSetting] = []
#endif

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
        .target(name: "CPrefetch"),
        .target(
            name: "VPCEmu",
            dependencies: [
                "CPcap",
                "CPrefetch",
                "CZlib",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: cpuFeatureSettings
        ),
        .target(name: "VPCEmuBench", dependencies: ["VPCEmu", "CPcap"]),
        .executableTarget(
            name: "vpcemu",
            dependencies: [
                "VPCEmu",
                "VPCEmuBench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
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
