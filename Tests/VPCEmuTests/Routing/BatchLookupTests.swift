import Testing
@testable import VPCEmu

/// The batch lookup walks `batchGroupSize` addresses at a time with compaction and
/// prefetching (IPv6), or runs a loop that prefetches `pipelineDistance` and twice that ahead
/// (IPv4): every batch size around those boundaries must give exactly the single lookup's
/// answer and the RIB's, and write nothing past the batch.
@Suite struct BatchLookupTests {
    static var group: Int { IPv4FIB.batchGroupSize }
    static var distance: Int { IPv4FIB.pipelineDistance }
    /// 0, 1, around one and two groups and pipeline distances, and tails that are not a multiple of the group.
    static var sizes: [Int] {
        [0, 1, 2, distance - 1, distance, distance + 1, 2 * distance - 1, 2 * distance, 2 * distance + 1,
         group - 1, group, group + 1, 2 * group - 1, 2 * group, 3 * group + 7, 5 * group + 13]
    }

    @Test(arguments: [(UInt64(21), nil), (22, 4), (23, 1)] as [(UInt64, Int?)])
    func ipv4(seed: UInt64, rootBits: Int?) {
        var generator = SeededGenerator(seed: seed)
        check(KeySource<IPv4Address>(&generator), rootBits: rootBits, generator: &generator)
    }

    @Test(arguments: [(UInt64(31), nil), (32, 4), (33, 1)] as [(UInt64, Int?)])
    func ipv6(seed: UInt64, rootBits: Int?) {
        var generator = SeededGenerator(seed: seed)
        check(KeySource<IPv6Address>(&generator), rootBits: rootBits, generator: &generator)
    }

    func check<Key: PoptrieKey>(_ source: KeySource<Key>, rootBits: Int?, generator: inout SeededGenerator) {
        var rib = BinaryTrie<Key, UInt32>()
        var routes: [Key] = []
        for _ in 0..<600 {
            let prefix = source.next(&generator)
            let length = Int.random(in: 0...Key.bitWidth, using: &generator)
            rib.insert(prefix.masked(to: length), length: length, value: UInt32.random(in: 0...IPv4FIB.maxNextHop, using: &generator))
            routes.append(prefix)
        }
        let fib = rib.build(rootBits: rootBits)
        let sentinel: UInt32 = 0xDEAD_BEEF
        for size in Self.sizes {
            // Half inside a route (so walks of every depth mix in one group), half anywhere.
            let addresses = (0..<size).map { _ in
                Bool.random(using: &generator) ? source.next(&generator) : routes.randomElement(using: &generator)!
            }
            var results = [UInt32](repeating: sentinel, count: size + 3)
            addresses.withUnsafeBufferPointer { input in
                results.withUnsafeMutableBufferPointer { fib.lookup(input, into: $0) }
            }
            for (address, result) in zip(addresses, results) {
                #expect(result == fib.lookup(address), "batch of \(size): \(address)")
                #expect(result == rib.longestMatch(address)?.value ?? IPv4FIB.noRoute, "batch of \(size): \(address)")
            }
            #expect(results[size...].allSatisfy { $0 == sentinel }, "batch of \(size) wrote past its end")
        }
    }
}

@Suite struct PoptrieNodeLayoutTests {
    /// `PoptrieNode256.child(of:_:)` loads bitmap words by byte offset from the node's start.
    @Test func node256BitmapsComeFirst() {
        #expect(MemoryLayout<PoptrieNode256>.offset(of: \.bitmaps) == 0)
        #expect(MemoryLayout<PoptrieNode256>.size == 80)
    }
}
