import Foundation
import Testing
@testable import VPCEmu

/// RIB and FIB against the golden list on a seeded subsample of a real full BGP table
/// (`shared/data/bgp-prefixes.txt.gz`). `vpcemu bench lpm --verify` checks the whole table.
@Suite(.needsSharedData) struct RealTableTests {
    static let bgpTable = SharedData.bgpTable

    /// The table's lines, decompressed by `gzip -dc`.
    static func tableLines() throws -> [Substring] {
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-dc", bgpTable.path]
        let pipe = Pipe()
        gzip.standardOutput = pipe
        try gzip.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        gzip.waitUntilExit()
        try #require(gzip.terminationStatus == 0, "gzip -dc \(bgpTable.path) failed")
        return String(decoding: data, as: UTF8.self).utf8
            .split(separator: UInt8(ascii: "\n")).map { Substring($0.last == 13 ? $0.dropLast() : $0) }
    }

    @Test func subsampleMatchesGolden() throws {
        let lines = try Self.tableLines()
        #expect(lines.count > 1_000_000)
        var generator = SeededGenerator(seed: 2024)
        var rib4 = IPv4RIB(), golden4 = GoldenRouteTable<IPv4Address>()
        var rib6 = IPv6RIB(), golden6 = GoldenRouteTable<IPv6Address>()
        for line in lines where Int.random(in: 0..<150, using: &generator) == 0 {
            let network = try IPNetwork(parsing: line, allowHostBits: true)
            let nextHop = UInt32.random(in: 1...65535, using: &generator)
            switch network.address {
            case .v4(let a):
                rib4.insert(a, length: network.prefixLength, value: nextHop)
                golden4.insert(a, length: network.prefixLength, value: nextHop)
            case .v6(let a):
                rib6.insert(a, length: network.prefixLength, value: nextHop)
                golden6.insert(a, length: network.prefixLength, value: nextHop)
            }
        }
        #expect(rib4.count > 5000 && rib6.count > 800)
        compare(rib4, golden4, random: { IPv4Address(UInt32.random(in: 0...UInt32.max, using: &$0)) }, generator: &generator)
        compare(rib6, golden6, random: { IPv6Address(high: $0.next(), low: $0.next()) }, generator: &generator)
    }

    /// Probes: 90% inside a random route, as the benchmark workload, 10% uniform.
    func compare<Key: PoptrieKey>(_ rib: BinaryTrie<Key, UInt32>, _ golden: GoldenRouteTable<Key>,
                                  random: (inout SeededGenerator) -> Key, generator: inout SeededGenerator) {
        let fib = rib.build()
        #expect(rib.map { "\($0.prefix)/\($0.length)" } == golden.sorted.map { "\($0.prefix)/\($0.length)" })
        for _ in 0..<400 {
            var probe = random(&generator)
            if Int.random(in: 0..<10, using: &generator) != 0, let route = golden.routes.randomElement(using: &generator) {
                var inside = route.prefix
                for bit in route.length..<Key.bitWidth where probe.bit(bit) { inside = inside.settingBit(bit) }
                probe = inside
            }
            let expected = golden.longestMatch(probe)?.value
            #expect(rib.longestMatch(probe)?.value == expected, "RIB \(probe)")
            #expect(fib.lookup(probe) == expected ?? IPv4FIB.noRoute, "FIB \(probe)")
        }
    }
}
