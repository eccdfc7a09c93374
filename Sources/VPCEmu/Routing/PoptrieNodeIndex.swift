/// An exact-match index from the first `depth` bits of an address to the Poptrie node at that
/// depth, so that a lookup can start its walk there instead of stepping down to it.
///
/// For IPv6 the index holds the nodes at bit 40. /48 is the longest prefix generally accepted
/// in the global table (RIPE-554), and most IPv6 routes are /48s or lie just above them, so
/// most walks end one step below a depth-40 node; from the root they take three node steps to
/// get there (24 → 32 → 40 → 48), from the index one. The probe does not depend on the root
/// entry, so both are loaded in parallel.
///
/// A bucketized cuckoo hash (Pagh & Rodler, "Cuckoo Hashing", 2004; two slots per bucket as in
/// Fan et al., MemC3, NSDI 2013): a key lies in one of the two slots of one of its two buckets,
/// so a probe reads four slots in two 16-byte buckets and compares them without branches.
/// A slot packs the key above a 24-bit node index; node index 0 means "no node" (node 0 is
/// always a root-level node, never an indexed one), and an empty slot is all zeros.
@usableFromInline struct PoptrieNodeIndex: Sendable {
    @usableFromInline static var nodeBits: Int { 24 }
    /// Slots per bucket.
    @usableFromInline static var bucketSlots: Int { 2 }
    @usableFromInline static var multipliers: (UInt64, UInt64) { (0x9E37_79B9_7F4A_7C15, 0xC2B2_AE3D_27D4_EB4F) }

    /// Bits of the address the index is keyed by (0: no index).
    @usableFromInline let depth: Int
    /// log2 of the bucket count.
    @usableFromInline let bucketBits: Int
    @usableFromInline let slots: LineAlignedArray<UInt64>

    /// The index of `nodes`, each the first `depth` bits of an address (right-aligned) and its node.
    /// Empty (depth 0) when there are none, or when a key or node index does not fit a slot.
    init(depth: Int, nodes: [(key: UInt64, node: Int)]) {
        guard !nodes.isEmpty, depth + Self.nodeBits <= 64,
              nodes.allSatisfy({ $0.node > 0 && $0.node < 1 << Self.nodeBits }) else {
            (self.depth, bucketBits, slots) = (0, 0, LineAlignedArray(reinterpreting: [UInt64](repeating: 0, count: Self.bucketSlots)))
            return
        }
        // Start at a load of at most 70%; a bucketized cuckoo table fills to about 90%.
        var bucketBits = 1
        while (1 << bucketBits) * Self.bucketSlots * 7 < nodes.count * 10 { bucketBits += 1 }
        while true {
            if let table = Self.place(nodes, depth: depth, bucketBits: bucketBits) {
                (self.depth, self.bucketBits, slots) = (depth, bucketBits, LineAlignedArray(reinterpreting: table))
                return
            }
            bucketBits += 1
        }
    }

    /// The slots holding every node, or nil when a chain of evictions runs too long.
    private static func place(_ nodes: [(key: UInt64, node: Int)], depth: Int, bucketBits: Int) -> [UInt64]? {
        var table = [UInt64](repeating: 0, count: (1 << bucketBits) * bucketSlots)
        var generator = SplitMix64(seed: UInt64(bucketBits))
        for entry in nodes {
            var slot = entry.key << UInt64(nodeBits) | UInt64(entry.node)
            var placed = false
            for _ in 0..<500 {
                let (first, second) = bucket(of: slot >> UInt64(nodeBits), bucketBits: bucketBits)
                let candidates = [first, second].flatMap { bucket in (0..<bucketSlots).map { bucket * bucketSlots + $0 } }
                if let free = candidates.first(where: { table[$0] == 0 }) {
                    table[free] = slot
                    placed = true
                    break
                }
                // Evict a random one of the four, and place it in turn (a random-walk cuckoo insert).
                swap(&slot, &table[candidates[Int(generator.next() % UInt64(candidates.count))]])
            }
            if !placed { return nil }
        }
        return table
    }

    /// The two buckets of `key`.
    @inlinable @inline(__always)
    static func bucket(of key: UInt64, bucketBits: Int) -> (Int, Int) {
        let shift = UInt64(64 - bucketBits)
        return (Int(truncatingIfNeeded: (key &* multipliers.0) &>> shift), Int(truncatingIfNeeded: (key &* multipliers.1) &>> shift))
    }

    /// The node indexed under `key` (the first `depth` bits of an address), or 0.
    @inlinable @inline(__always)
    static func node(_ key: UInt64, depth: Int, bucketBits: Int, slots: UnsafePointer<UInt64>) -> Int {
        let (first, second) = bucket(of: key, bucketBits: bucketBits)
        let a = slots + first &* bucketSlots, b = slots + second &* bucketSlots
        func match(_ slot: UInt64) -> UInt64 { slot &>> UInt64(nodeBits) == key ? slot : 0 }
        let found = match(a[0]) | match(a[1]) | match(b[0]) | match(b[1])
        return Int(truncatingIfNeeded: found & (1 &<< UInt64(nodeBits) &- 1))
    }

    /// Bytes held by the slots.
    var memoryBytes: Int { slots.count * MemoryLayout<UInt64>.stride }
}
