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

    /// `nil` gives 16 root bits here, IPv6's full-table width; 18 is IPv4's. The batch loop has
    /// its own copy for a full-table width.
    @Test(arguments: [(UInt64(21), nil), (22, 4), (23, 1), (24, 18)] as [(UInt64, Int?)])
    func ipv4(seed: UInt64, rootBits: Int?) {
        var generator = SeededGenerator(seed: seed)
        check(KeySource<IPv4Address>(&generator), rootBits: rootBits, generator: &generator)
    }

    @Test(arguments: [(UInt64(31), nil), (32, 4), (33, 1)] as [(UInt64, Int?)])
    func ipv6(seed: UInt64, rootBits: Int?) {
        var generator = SeededGenerator(seed: seed)
        check(KeySource<IPv6Address>(&generator), rootBits: rootBits, generator: &generator)
    }

    /// A walker carries 64 key bits from below the root, whose low six hold its place in the
    /// group: IPv6 walks end in the group up to bit 72 (16 + 56) and finish alone below that.
    /// Routes here end on both sides of that depth, and of the steps around it.
    @Test func ipv6WalksDeeperThanAWalkersKeyBits() {
        var rib = BinaryTrie<IPv6Address, UInt32>()
        var hosts: [IPv6Address] = []
        var generator = SeededGenerator(seed: 35)
        let lengths = [56, 64, 65, 70, 71, 72, 73, 79, 80, 81, 88, 96, 100, 128]
        for index in 0..<(Self.group + 5) {
            // 2001:db8:0:<index><random>:<random>, under a route of its own
            let host = IPv6Address(high: 0x2001_0DB8_0000_0000 | UInt64(index) << 8 | UInt64.random(in: 0...0xFF, using: &generator),
                                   low: UInt64.random(in: 0...UInt64.max, using: &generator))
            let length = lengths[index % lengths.count]
            rib.insert(host.masked(to: length), length: length, value: UInt32(index + 1))
            hosts.append(host)
        }
        rib.insert(IPv6Address(high: 0x2001_0DB8_0000_0000, low: 0), length: 32, value: 2000)
        let fib = rib.build(rootBits: 16)
        let addresses = hosts + hosts.map { IPv6Address(high: $0.high, low: $0.low ^ 1) } + hosts.map { IPv6Address(high: $0.high ^ 0x80, low: $0.low) }
        var results = [UInt32](repeating: 0, count: addresses.count)
        addresses.withUnsafeBufferPointer { input in
            results.withUnsafeMutableBufferPointer { fib.lookup(input, into: $0) }
        }
        for (address, result) in zip(addresses, results) {
            #expect(result == rib.longestMatch(address)?.value, "\(address)")
        }
        #expect(results.prefix(hosts.count) == (1...hosts.count).map(UInt32.init)[...])
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
    /// A node step reads one 32-byte quarter, found by byte offset: quarters must be 32 bytes
    /// apart and start with their `PoptrieNode64`, so that none crosses a line.
    @Test func node256QuartersAreLineAligned() {
        #expect(MemoryLayout<PoptrieNode256>.size == 128)
        #expect(MemoryLayout<PoptrieNode256.Quarter>.stride == PoptrieNode256.quarterBytes)
        #expect(MemoryLayout<PoptrieNode256.Quarter>.offset(of: \.children) == 0)
        #expect(PoptrieNode256.stepByteCount <= PoptrieNode256.quarterBytes)
    }

    /// A 64-way node answers an inverted key as it answers the slot in its top six bits (the
    /// protocol's default, which only a batch walk over `PoptrieNode64` would use).
    @Test func node64AnswersAnInvertedKeyAsItsSlot() {
        var generator = SeededGenerator(seed: 64)
        var node = PoptrieNode64(vector: UInt64.random(in: 0...UInt64.max, using: &generator),
                                 leafVector: UInt64.random(in: 0...UInt64.max, using: &generator) | 1, nodeBase: 100, leafBase: 300)
        withUnsafePointer(to: &node) { pointer in
            for slot in 0..<64 {
                let key = UInt64(slot) << 58 | UInt64.random(in: 0...(1 << 58 - 1), using: &generator)
                let step = PoptrieNode64.stepBytes(of: pointer, invertedKey: ~key)
                let (isNode, index) = PoptrieNode64.child(atStep: step, invertedKey: ~key)
                let expected = PoptrieNode64.child(of: pointer, slot)
                #expect(isNode == expected.isNode && index == expected.index, "slot \(slot)")
            }
        }
    }

    /// A first-level node of 256 pieces: the quarter `stepBytes(ofPieces:)` finds in one shift of
    /// the inverted key is the one the piece arithmetic (the protocol's default) finds.
    @Test func node256PiecesAreFoundInOneShift() {
        var generator = SeededGenerator(seed: 256)
        let pieces = [PoptrieNode256](repeating: PoptrieNode256(nodeBase: 0, leafBase: 0, isNode: .init(repeating: false, count: 256),
                                                                runStart: .init(repeating: false, count: 256)), count: 256)
        pieces.withUnsafeBufferPointer { buffer in
            let node = buffer.baseAddress!
            for _ in 0..<2000 {
                let key = UInt64.random(in: 0...UInt64.max, using: &generator)
                let slot = Int(key >> 48)
                let expected = PoptrieNode256.stepBytes(of: node + 255 - slot >> 8, slot & 255)
                #expect(PoptrieNode256.stepBytes(ofPieces: node, pieceBits: 8, invertedKey: ~key) == expected, "slot \(slot)")
                #expect(Poptrie<IPv6Address>.firstStepBytes(of: node, slot, rootBits: 16) == expected, "slot \(slot)")
            }
        }
    }

    /// Every quarter answers as the whole node would: checked against the bitmaps' meaning
    /// (node children numbered in slot order from `nodeBase`, leaf runs from `leafBase`), both
    /// for an ordinary slot (the single lookup) and for the batch walk's inverted key, whose
    /// bits below the slot are random.
    @Test(arguments: [UInt64(41), 42, 43])
    func node256ChildrenMatchTheirRanks(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        let isNode = (0..<256).map { _ in Int.random(in: 0..<4, using: &generator) == 0 }
        // The first leaf always starts a run, as the builder makes it.
        var runStart = (0..<256).map { _ in Int.random(in: 0..<3, using: &generator) == 0 }
        if let firstLeaf = isNode.firstIndex(of: false) { runStart[firstLeaf] = true }
        for slot in 0..<256 where isNode[slot] { runStart[slot] = false }
        var node = PoptrieNode256(nodeBase: 1000, leafBase: 5000, isNode: isNode, runStart: runStart)
        withUnsafePointer(to: &node) { pointer in
            for slot in 0..<256 {
                let (childIsNode, index) = PoptrieNode256.child(of: pointer, slot)
                let expected = isNode[slot]
                    ? 1000 + isNode[..<slot].filter { $0 }.count
                    : 5000 + runStart[...slot].filter { $0 }.count - 1
                #expect(childIsNode == isNode[slot], "slot \(slot)")
                #expect(index == expected, "slot \(slot)")
                let key = UInt64(slot) << 56 | UInt64.random(in: 0...(1 << 56 - 1), using: &generator)
                let step = PoptrieNode256.stepBytes(of: pointer, invertedKey: ~key)
                #expect(step == PoptrieNode256.stepBytes(of: pointer, slot), "slot \(slot), inverted key")
                let walk: (isNode: Bool, index: Int) = PoptrieNode256.child(atStep: step, invertedKey: ~key)
                #expect(walk.isNode == isNode[slot] && walk.index == expected, "slot \(slot), inverted key")
            }
        }
    }
}
