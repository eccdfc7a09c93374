import Testing
@testable import VPCEmu

/// RIB and FIB against the golden list on seeded random routes: inserts (including
/// replacements), deletes of present and absent prefixes, every length from /0 to host routes,
/// interleaved with lookups and rebuilds.
@Suite struct RoutingPropertyTests {
    @Test(arguments: [(UInt64(1), nil), (2, nil), (3, 4), (4, 1)] as [(UInt64, Int?)])
    func ipv4(seed: UInt64, rootBits: Int?) {
        var generator = SeededGenerator(seed: seed)
        let source = KeySource<IPv4Address>(&generator)
        checkAgainstGolden(source, rootBits: rootBits, generator: &generator)
    }

    @Test(arguments: [(UInt64(11), nil), (12, nil), (13, 4), (14, 1)] as [(UInt64, Int?)])
    func ipv6(seed: UInt64, rootBits: Int?) {
        var generator = SeededGenerator(seed: seed)
        let source = KeySource<IPv6Address>(&generator)
        checkAgainstGolden(source, rootBits: rootBits, generator: &generator)
    }

    func checkAgainstGolden<Key: PoptrieKey>(_ source: KeySource<Key>, rootBits: Int?, generator: inout SeededGenerator) {
        var rib = BinaryTrie<Key, UInt32>()
        var golden = GoldenRouteTable<Key>()
        var lengthsSeen = Set<Int>()
        for round in 0..<25 {
            for _ in 0..<40 {
                let length = Int.random(in: 0...Key.bitWidth, using: &generator)
                let prefix = source.next(&generator)
                if Int.random(in: 0..<4, using: &generator) == 0 {
                    // Delete a stored route, then a random prefix (usually absent).
                    if let victim = golden.routes.randomElement(using: &generator) {
                        #expect(rib.remove(victim.prefix, length: victim.length) == victim.value)
                        golden.remove(victim.prefix, length: victim.length)
                    }
                    #expect(rib.remove(prefix, length: length) == golden.exactMatch(prefix, length: length))
                    golden.remove(prefix, length: length)
                } else {
                    let value = UInt32.random(in: 0...IPv4FIB.maxNextHop, using: &generator)
                    #expect(rib.insert(prefix, length: length, value: value) == golden.exactMatch(prefix, length: length))
                    golden.insert(prefix, length: length, value: value)
                    lengthsSeen.insert(length)
                }
            }
            #expect(rib.count == golden.routes.count)
            let iterated = rib.map { "\($0.prefix)/\($0.length)=\($0.value)" }
            #expect(iterated == golden.sorted.map { "\($0.prefix)/\($0.length)=\($0.value)" }, "round \(round)")

            let fib = rib.build(rootBits: rootBits)
            var probes = (0..<150).map { _ in source.next(&generator) }
            for route in golden.routes.shuffled(using: &generator).prefix(50) {
                let last = route.prefix.lastAddress(length: route.length)
                probes += [route.prefix, last, source.next(&generator)]
            }
            var batch = [UInt32](repeating: 0, count: probes.count)
            probes.withUnsafeBufferPointer { input in
                batch.withUnsafeMutableBufferPointer { fib.lookup(input, into: $0) }
            }
            for (probe, batchResult) in zip(probes, batch) {
                let expected = golden.longestMatch(probe)
                let ribMatch = rib.longestMatch(probe)
                #expect(ribMatch?.length == expected?.length && ribMatch?.value == expected?.value, "RIB \(probe)")
                #expect(ribMatch.map { $0.prefix == probe.masked(to: $0.length) } ?? true)
                #expect(fib.lookup(probe) == expected?.value ?? IPv4FIB.noRoute, "FIB \(probe) round \(round)")
                #expect(batchResult == fib.lookup(probe))
            }
        }
        #expect(lengthsSeen.contains(0) && lengthsSeen.contains(Key.bitWidth))
    }
}
