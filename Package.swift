// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "VPCEmu",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "VPCEmu", targets: ["VPCEmu"]),
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
        .target(name: "CPopcount"),
        .target(
            name: "VPCEmu",
            dependencies: [
                "CPcap",
                "CPopcount",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "vpcemu",
            dependencies: [
                "VPCEmu",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "VPCEmuTests",
            dependencies: ["VPCEmu"],
            resources: [.copy("Fixtures")]
        ),
        // Runs the built `vpcemu` binary: exit codes and golden help text.
        .testTarget(
            name: "CLITests",
            dependencies: ["vpcemu"],
            exclude: ["Fixtures"]
        ),
    ]
)
