import CPopcount
import CPrefetch

/// The FIB: an immutable Poptrie (Asai & Ohara, "Poptrie: A Compressed Trie with Population
/// Count for Fast and Scalable Software IP Routing Table Lookup", SIGCOMM 2015), compiled
/// from a `BinaryTrie` RIB by `build()`. docs/routing.md has the measurements that chose it.
///
/// Layout: a direct-pointing root array indexed by the first `rootBits` bits of the address
/// (for IPv6, a root entry with longer prefixes below names a direct-indexed block of the next
/// `Key.blockBits` bits), then nodes that each consume `Key.Node.strideBits` bits (6 for IPv4:
/// 64-way nodes; 8 for IPv6: 256-way nodes, so that a /48 is three levels below a 16-bit root
/// and its 8-bit block). A node keeps
/// two bitmaps instead of one pointer per child: one marks the children that are nodes
/// (stored contiguously from `nodeBase`), the other marks where a run of equal next hops
/// starts among the leaf children (stored contiguously from `leafBase`, one entry per run).
/// A child's position is a population count of the bitmap below it. The whole IPv4 BGP
/// table fits in a few MiB, so lookups mostly hit the cache instead of walking DRAM as
/// DIR-24-8's 64 MiB table does.
///
/// Nodes and leaves share one array. For IPv4 a node's leaves follow it (padded to a whole
/// node), so the line after a node usually holds the leaf its lookup ends at, and a batch
/// lookup that prefetches a node's lines brings its leaf along (`Key.leavesFollowTheirNode`).
/// Node indices count nodes; leaf indices count 32-bit words of the same array.
///
/// Route changes are handled by rebuilding from the RIB (docs/routing.md gives the times).
public struct Poptrie<Key: PoptrieKey>: Sendable {
    public typealias Node = Key.Node

    /// `lookup` answers this when no route matches (not even a default route).
    public static var noRoute: UInt32 { PoptrieLimits.noRoute }
    /// The largest next hop a FIB can hold; larger RIB values are a programming error.
    public static var maxNextHop: UInt32 { PoptrieLimits.noRoute - 1 }

    /// Bits resolved by the root array.
    public let rootBits: Int
    @usableFromInline let root: [UInt32]
    /// Nodes, each followed by its leaves. Line-aligned, so that a node part that fits a cache
    /// line (`Node.stepFitsOneLine`) stays in one.
    @usableFromInline let nodes: LineAlignedArray<Node>

    /// Compiles `rib`. `rootBits` (1...24) trades root-array memory and build time for fewer
    /// levels; by default it grows with the table (`Key.rootBits(forRoutes:)`).
    public init(_ rib: BinaryTrie<Key, UInt32>, rootBits: Int? = nil) {
        let rootBits = rootBits ?? Key.rootBits(forRoutes: rib.count)
        precondition((1...24).contains(rootBits), "rootBits must be 1...24")
        var builder = PoptrieBuilder<Key>(rib: rib.nodes)
        self.rootBits = rootBits
        root = builder.buildRoot(bits: rootBits)
        builder.finish()
        nodes = LineAlignedArray(reinterpreting: builder.words)
    }

    /// Bytes held by the lookup tables.
    public var memoryBytes: Int {
        root.count * MemoryLayout<UInt32>.stride + nodes.count * MemoryLayout<Node>.stride
    }

    /// The next hop of the longest prefix containing `address`, or `noRoute`.
    @inlinable public func lookup(_ address: Key) -> UInt32 {
        root.withUnsafeBufferPointer { root in
            nodes.withUnsafeBufferPointer { nodes in Self.find(address.window, rootBits: rootBits, root: root, nodes: nodes) }
        }
    }

    /// Looks up every address of `addresses` into the same position of `results`
    /// (which must be at least as long). This is the call the forwarding pipeline makes.
    ///
    /// A lookup is a chain of dependent loads (root entry, nodes, leaf) that mostly hit L3,
    /// not L1. IPv4 runs a loop of single lookups that prefetches ahead (`pipelinedLoop`);
    /// IPv6 walks `batchGroupSize` addresses at a time level by level and prefetches each
    /// one's next node as soon as it is known: by the time the next level reaches that
    /// address, its line has arrived while the others were being stepped (`walkGroup`).
    @inlinable public func lookup(_ addresses: UnsafeBufferPointer<Key>, into results: UnsafeMutableBufferPointer<UInt32>) {
        precondition(results.count >= addresses.count, "results buffer is shorter than the addresses")
        root.withUnsafeBufferPointer { root in
            nodes.withUnsafeBufferPointer { nodes in
                // A full table's root width gets a copy of the loop of its own, in which the
                // shifts by it are constants.
                if rootBits == Key.maxRootBits {
                    Self.batch(addresses, into: results, rootBits: Key.maxRootBits, root: root, nodes: nodes)
                } else {
                    Self.batch(addresses, into: results, rootBits: rootBits, root: root, nodes: nodes)
                }
            }
        }
    }

    /// The batch lookup on the FIB's buffers: a pipelined loop, or a walk of groups.
    @inlinable @inline(__always)
    static func batch(_ addresses: UnsafeBufferPointer<Key>, into results: UnsafeMutableBufferPointer<UInt32>,
                      rootBits: Int, root: UnsafeBufferPointer<UInt32>, nodes: UnsafeBufferPointer<Node>) {
        guard Key.batchWalksInGroups else {
            pipelinedLoop(addresses, into: results, rootBits: rootBits, root: root, nodes: nodes)
            return
        }
        withUnsafeTemporaryAllocation(of: PoptrieWalkStep.self, capacity: batchGroupSize) { walking in
            withUnsafeTemporaryAllocation(of: PoptrieReachedLeaf.self, capacity: batchGroupSize) { reached in
                var start = 0
                while start < addresses.count {
                    let end = min(start + batchGroupSize, addresses.count)
                    walkGroup(addresses, start..<end, into: results, rootBits: rootBits, root: root, nodes: nodes,
                              walking: walking.baseAddress.unsafelyUnwrapped, reached: reached.baseAddress.unsafelyUnwrapped)
                    start = end
                }
            }
        }
    }

    /// How far ahead the pipelined loop prefetches: the root entry of address
    /// `i + 2 * pipelineDistance`, and the first node of address `i + pipelineDistance`.
    @inlinable static var pipelineDistance: Int { 8 }

    /// The batch lookup as a loop of single lookups that prefetches ahead: the root entry of a
    /// later address, and the first node of a nearer one whose (prefetched) root entry names one.
    @inlinable @inline(__always)
    static func pipelinedLoop(_ addresses: UnsafeBufferPointer<Key>, into results: UnsafeMutableBufferPointer<UInt32>,
                              rootBits: Int, root: UnsafeBufferPointer<UInt32>, nodes: UnsafeBufferPointer<Node>) {
        let rootBase = root.baseAddress.unsafelyUnwrapped
        let nodeBase = nodes.baseAddress.unsafelyUnwrapped
        let count = addresses.count
        let distance = pipelineDistance
        func prefetchRoot(_ index: Int) {
            vpcemu_prefetch(UnsafeRawPointer(rootBase + rootSlot(addresses[index].window, rootBits: rootBits)))
        }
        func prefetchFirstNode(_ index: Int) {
            let window = addresses[index].window
            let entry = rootEntry(window, rootBits: rootBits, root: rootBase)
            let node = entry & PoptrieLimits.nodeTag != 0 ? entry & ~PoptrieLimits.nodeTag : 0
            prefetchStep(firstStepBytes(of: nodeBase + Int(truncatingIfNeeded: node), firstSlot(window, rootBits: rootBits), rootBits: rootBits))
        }
        for index in 0..<min(2 &* distance, count) { prefetchRoot(index) }
        for index in 0..<min(distance, count) { prefetchFirstNode(index) }
        // The steady part has no bounds tests; the last `2 * distance` addresses have fewer to prefetch.
        let steady = max(0, count &- 2 &* distance)
        for index in 0..<steady {
            prefetchRoot(index &+ 2 &* distance)
            prefetchFirstNode(index &+ distance)
            results[index] = find(addresses[index].window, rootBits: rootBits, root: root, nodes: nodes)
        }
        for index in steady..<count {
            if index &+ distance < count { prefetchFirstNode(index &+ distance) }
            results[index] = find(addresses[index].window, rootBits: rootBits, root: root, nodes: nodes)
        }
    }

    /// Addresses walked together by the batch lookup (docs/routing.md has the measurements).
    @inlinable static var batchGroupSize: Int { 32 }

    /// The batch walk of `addresses[group]` (at most `batchGroupSize`). `walking` holds the
    /// addresses still at a node: the bytes their next step reads (`Node.stepBytes`) and their
    /// key bits below that node, inverted (`Node.child(atStep:invertedKey:)`), with the
    /// address's place in the group in the low `PoptrieWalkStep.positionBits` bits. `reached`
    /// holds the ones that reached a leaf.
    @inlinable @inline(__always)
    static func walkGroup(_ addresses: UnsafeBufferPointer<Key>, _ group: Range<Int>,
                          into results: UnsafeMutableBufferPointer<UInt32>, rootBits: Int, root: UnsafeBufferPointer<UInt32>,
                          nodes: UnsafeBufferPointer<Node>,
                          walking: UnsafeMutablePointer<PoptrieWalkStep>, reached: UnsafeMutablePointer<PoptrieReachedLeaf>) {
        let rootBase = root.baseAddress.unsafelyUnwrapped
        let nodeBase = nodes.baseAddress.unsafelyUnwrapped
        let first = group.lowerBound
        let count = group.count
        let groupAddresses = addresses.baseAddress.unsafelyUnwrapped + first
        let groupResults = results.baseAddress.unsafelyUnwrapped + first
        // Addresses of this group whose twin in the next group exists.
        let aheadCount = min(count, addresses.count &- first &- batchGroupSize)
        // Root entries: a next hop is final; a node index starts a walk at a first-level node.
        var walkEnd = walking
        var position = 0
        while position < count {
            // The root entry of the next group's address, which that group reads first.
            if position < aheadCount {
                vpcemu_prefetch(UnsafeRawPointer(rootBase + rootSlot(groupAddresses[position &+ batchGroupSize].window, rootBits: rootBits)))
            }
            let window = groupAddresses[position].window
            let entry = rootEntry(window, rootBits: rootBits, root: rootBase)
            groupResults[position] = entry
            if entry & PoptrieLimits.nodeTag != 0 {
                var below = window
                below.shiftLeft(rootBits)
                let key = PoptrieWalkStep.invertedKey(below.top, position: position)
                let step = firstStepBytes(of: nodeBase + Int(truncatingIfNeeded: entry & ~PoptrieLimits.nodeTag), invertedKey: key, rootBits: rootBits)
                walkEnd.pointee = PoptrieWalkStep(key: key, step: step)
                walkEnd += 1
                prefetchStep(step)
            }
            position &+= 1
        }
        // One node level per pass, the first-level nodes first. Survivors are compacted in place:
        // the write position is never ahead of the one being read.
        var reachedEnd = reached
        if walkEnd > walking {
            stepAll(walking, to: &walkEnd, reached: &reachedEnd, nodeBase: nodeBase,
                    strideBits: firstStrideBits(rootBits: rootBits), pieceBits: firstPieceBits(rootBits: rootBits), keyShift: 0)
        }
        // How far the walkers' keys have been shifted: their positions are that far up.
        var keyShift = firstStrideBits(rootBits: rootBits)
        while walkEnd > walking {
            // The position bits would reach the slot's (the key bits below are used up): the
            // rare deeper walks start over alone.
            if _slowPath(keyShift &+ PoptrieWalkStep.positionBits > 64 &- Node.strideBits) {
                var step = walking
                while step < walkEnd {
                    let position = step.pointee.position(keyShift: keyShift)
                    groupResults[position] = find(groupAddresses[position].window, rootBits: rootBits, root: root, nodes: nodes)
                    step += 1
                }
                break
            }
            stepAll(walking, to: &walkEnd, reached: &reachedEnd, nodeBase: nodeBase, strideBits: Node.strideBits, pieceBits: 0, keyShift: keyShift)
            keyShift &+= Node.strideBits
        }
        var leaf = reached
        while leaf < reachedEnd {
            let reachedLeaf = leaf.pointee
            groupResults[Int(truncatingIfNeeded: reachedLeaf.position)] = Self.leaf(Int(truncatingIfNeeded: reachedLeaf.leaf), of: nodes)
            leaf += 1
        }
    }

    /// One step of every walker in `walking..<walkEnd` (at least one), at nodes of `strideBits`
    /// made of `1 << pieceBits` pieces (a first-level node, or ordinary ones: 0), whose keys are
    /// shifted by `keyShift`: a walker that reaches a node
    /// stays (compacted to the front, `walkEnd` moves back) and has its next step's line
    /// prefetched; one that reaches a leaf moves to `reachedEnd`.
    @inlinable @inline(__always)
    static func stepAll(_ walking: UnsafeMutablePointer<PoptrieWalkStep>, to walkEnd: inout UnsafeMutablePointer<PoptrieWalkStep>,
                        reached reachedEnd: inout UnsafeMutablePointer<PoptrieReachedLeaf>, nodeBase: UnsafePointer<Node>,
                        strideBits: Int, pieceBits: Int, keyShift: Int) {
        var read = walking, write = walking
        repeat {
            let walker = read.pointee
            let (isNode, child) = Node.child(atStep: walker.step, invertedKey: walker.key &<< UInt64(pieceBits))
            if isNode {
                let key = walker.key &<< UInt64(strideBits)
                let step = Node.stepBytes(of: nodeBase + child, invertedKey: key)
                write.pointee = PoptrieWalkStep(key: key, step: step)
                write += 1
                prefetchStep(step)
            } else {
                // Leaves are not prefetched: they are read after the walk, where their loads
                // overlap anyway.
                reachedEnd.pointee = PoptrieReachedLeaf(leaf: UInt32(truncatingIfNeeded: child),
                                                        position: UInt32(truncatingIfNeeded: walker.position(keyShift: keyShift)))
                reachedEnd += 1
            }
            read += 1
        } while read < walkEnd
        walkEnd = write
    }

    /// The slot of the first-level node below the root that `window` reaches.
    @inlinable @inline(__always)
    static func firstSlot(_ window: Key.Window, rootBits: Int) -> Int {
        var key = window
        key.shiftLeft(rootBits)
        return Int(truncatingIfNeeded: key.top &>> UInt64(64 &- firstStrideBits(rootBits: rootBits)))
    }

    /// Bits resolved by a first-level node: `Key.fullTableFirstStrideBits` below a full table's
    /// root, an ordinary node's below a smaller one.
    @inlinable @inline(__always)
    static func firstStrideBits(rootBits: Int) -> Int {
        rootBits == Key.maxRootBits ? Key.fullTableFirstStrideBits : Node.strideBits
    }

    /// Bits that pick one of a first-level node's pieces: 0 when it is one ordinary node.
    @inlinable @inline(__always)
    static func firstPieceBits(rootBits: Int) -> Int { firstStrideBits(rootBits: rootBits) &- Node.strideBits }

    /// The piece of first-level node `node` that holds `slot` (pieces are stored last first),
    /// and the slot within it.
    @inlinable @inline(__always)
    static func firstPiece(of node: UnsafePointer<Node>, _ slot: Int, rootBits: Int) -> (piece: UnsafePointer<Node>, slot: Int) {
        let lastPiece = 1 &<< firstPieceBits(rootBits: rootBits) &- 1
        return (node + (lastPiece &- slot &>> Node.strideBits), slot & (1 &<< Node.strideBits &- 1))
    }

    @inlinable @inline(__always)
    static func firstChild(of node: UnsafePointer<Node>, _ slot: Int, rootBits: Int) -> (isNode: Bool, index: Int) {
        let (piece, slot) = firstPiece(of: node, slot, rootBits: rootBits)
        return Node.child(of: piece, slot)
    }

    @inlinable @inline(__always)
    static func firstStepBytes(of node: UnsafePointer<Node>, _ slot: Int, rootBits: Int) -> UnsafeRawPointer {
        let (piece, slot) = firstPiece(of: node, slot, rootBits: rootBits)
        return Node.stepBytes(of: piece, slot)
    }

    /// `firstStepBytes(of:_:rootBits:)` for the slot in the top `firstStrideBits` bits of `~invertedKey`.
    @inlinable @inline(__always)
    static func firstStepBytes(of node: UnsafePointer<Node>, invertedKey: UInt64, rootBits: Int) -> UnsafeRawPointer {
        Node.stepBytes(ofPieces: node, pieceBits: firstPieceBits(rootBits: rootBits), invertedKey: invertedKey)
    }

    /// Prefetches the bytes a node step reads from `start` (`Node.stepBytes`): one cache line,
    /// or two when the step's bytes may cross a line boundary.
    @inlinable @inline(__always)
    static func prefetchStep(_ start: UnsafeRawPointer) {
        vpcemu_prefetch(start)
        if !Node.stepFitsOneLine { vpcemu_prefetch(start + (Node.stepByteCount - 1)) }
    }

    /// The walk itself. Indices are in range by construction (`PoptrieBuilder`), so the
    /// buffers are read without bounds checks. A full table's root width gets a copy of its
    /// own, in which the first level's stride (`firstStrideBits(rootBits:)`) is a constant.
    @inlinable @inline(__always)
    static func find(_ key: Key.Window, rootBits: Int, root: UnsafeBufferPointer<UInt32>, nodes: UnsafeBufferPointer<Node>) -> UInt32 {
        rootBits == Key.maxRootBits
            ? walk(key, rootBits: Key.maxRootBits, root: root, nodes: nodes)
            : walk(key, rootBits: rootBits, root: root, nodes: nodes)
    }

    @inlinable @inline(__always)
    static func walk(_ key: Key.Window, rootBits: Int, root: UnsafeBufferPointer<UInt32>, nodes: UnsafeBufferPointer<Node>) -> UInt32 {
        let entry = rootEntry(key, rootBits: rootBits, root: root.baseAddress.unsafelyUnwrapped)
        if entry & PoptrieLimits.nodeTag == 0 { return entry }
        let nodeBase = nodes.baseAddress.unsafelyUnwrapped
        let first = nodeBase + Int(truncatingIfNeeded: entry & ~PoptrieLimits.nodeTag)
        let (isNode, index) = firstChild(of: first, firstSlot(key, rootBits: rootBits), rootBits: rootBits)
        if !isNode { return leaf(index, of: nodes) }
        var below = key
        below.shiftLeft(rootBits &+ firstStrideBits(rootBits: rootBits))
        return walk(from: nodeBase + index, below, nodes: nodes)
    }

    /// The root array entry of `key`: its first `rootBits` bits.
    @inlinable @inline(__always)
    static func rootSlot(_ key: Key.Window, rootBits: Int) -> Int {
        Int(truncatingIfNeeded: key.top &>> UInt64(64 - rootBits))
    }

    /// The root entry of `key`: a next hop is final; a tagged entry names a first-level node.
    @inlinable @inline(__always)
    static func rootEntry(_ key: Key.Window, rootBits: Int, root: UnsafePointer<UInt32>) -> UInt32 {
        root[rootSlot(key, rootBits: rootBits)]
    }

    /// The ordinary node levels from `node` on, with `key` shifted to its slot.
    @inlinable @inline(__always)
    static func walk(from node: UnsafePointer<Node>, _ key: Key.Window, nodes: UnsafeBufferPointer<Node>) -> UInt32 {
        var key = key
        let nodeBase = nodes.baseAddress.unsafelyUnwrapped
        // A pointer, not a copy: a lookup reads only the words of a node that it needs.
        var node = node
        while true {
            let slot = Int(truncatingIfNeeded: key.top &>> UInt64(64 - Node.strideBits))
            let (isNode, index) = Node.child(of: node, slot)
            if !isNode { return leaf(index, of: nodes) }
            node = nodeBase + index
            key.shiftLeft(Node.strideBits)
        }
    }

    /// Leaf `index`: the `index`-th 32-bit word of the node array (a raw load, as the words
    /// between nodes are stored as nodes).
    @inlinable @inline(__always)
    static func leaf(_ index: Int, of nodes: UnsafeBufferPointer<Node>) -> UInt32 {
        UnsafeRawPointer(nodes.baseAddress.unsafelyUnwrapped).load(fromByteOffset: index &* MemoryLayout<UInt32>.stride, as: UInt32.self)
    }
}

/// One address of a batch walk: where its next step reads (`Node.stepBytes`), and the key bits
/// below its node, inverted, whose low `positionBits` bits are replaced by its place in the
/// group. A step shifts the key left, so the place moves up with it and stays out of the slot
/// bits until the walk is `64 - strideBits - positionBits` bits deep (`Poptrie.walkGroup`).
@usableFromInline struct PoptrieWalkStep {
    @usableFromInline var key: UInt64
    @usableFromInline var step: UnsafeRawPointer

    /// Enough for a place in a group of `Poptrie.batchGroupSize`.
    @inlinable static var positionBits: Int { 6 }

    @inlinable init(key: UInt64, step: UnsafeRawPointer) {
        (self.key, self.step) = (key, step)
    }

    /// The inverted `key` with `position` in its low bits.
    @inlinable static func invertedKey(_ key: UInt64, position: Int) -> UInt64 {
        (~key &>> UInt64(positionBits)) &<< UInt64(positionBits) | UInt64(truncatingIfNeeded: position)
    }

    /// The place in the group, from a key shifted left by `keyShift` bits since it was made.
    @inlinable func position(keyShift: Int) -> Int {
        Int(truncatingIfNeeded: key &>> UInt64(truncatingIfNeeded: keyShift)) & (1 &<< Self.positionBits &- 1)
    }
}

/// An address of a batch walk that reached a leaf: the leaf's word index and its place in the group.
@usableFromInline struct PoptrieReachedLeaf {
    @usableFromInline var leaf: UInt32
    @usableFromInline var position: UInt32

    @inlinable init(leaf: UInt32, position: UInt32) {
        (self.leaf, self.position) = (leaf, position)
    }
}

@usableFromInline enum PoptrieLimits {
    @usableFromInline static var noRoute: UInt32 { 0x7FFF_FFFF }
    /// A root or block entry with this bit set holds a node index (an IPv6 root entry: the
    /// index of its block's first entry in the root array); otherwise it is a next hop.
    @usableFromInline static var nodeTag: UInt32 { 0x8000_0000 }
}

/// A Poptrie node layout: `1 << strideBits` children behind two bitmaps.
public protocol PoptrieNode: Sendable, BitwiseCopyable {
    static var strideBits: Int { get }
    /// `isNode[i]`: child i is a node; `runStart[i]`: child i is a leaf that starts a new run.
    init(nodeBase: UInt32, leafBase: UInt32, isNode: [Bool], runStart: [Bool])
    /// The node, stored at word `nodeWord`, with the leaf values its steps reach (read from
    /// `leaves` through its current origins) placed anew: in its own spare words where they
    /// fit, otherwise appended to `placed`, whose first value will be word `placedStart`.
    func placingLeaves(atWord nodeWord: Int, from leaves: [UInt32], into placed: inout [UInt32], placedStart: Int) -> Self
    /// Child `slot` of the node at `node` as an index into the node array (`isNode`) or the
    /// leaf array. A pointer, not a copy: a lookup reads only the words of a node it needs.
    static func child(of node: UnsafePointer<Self>, _ slot: Int) -> (isNode: Bool, index: Int)
    /// Where the bytes that `child(of: node, slot)` reads start (what a batch walk prefetches);
    /// `stepByteCount` bytes from there.
    static func stepBytes(of node: UnsafePointer<Self>, _ slot: Int) -> UnsafeRawPointer
    static var stepByteCount: Int { get }
    /// `stepBytes(of:_:)` for the slot in the top `strideBits` bits of `~invertedKey`.
    static func stepBytes(of node: UnsafePointer<Self>, invertedKey: UInt64) -> UnsafeRawPointer
    /// `stepBytes(of:invertedKey:)` in the first-level node at `node` made of `1 << pieceBits`
    /// pieces (`PoptrieKey.fullTableFirstStrideBits`), for the slot in the top `pieceBits + strideBits`
    /// bits of `~invertedKey`. The step itself reads the piece with `invertedKey << pieceBits`.
    static func stepBytes(ofPieces node: UnsafePointer<Self>, pieceBits: Int, invertedKey: UInt64) -> UnsafeRawPointer
    /// `child(of:_:)` for the slot in the top `strideBits` bits of `~invertedKey`, from the bytes
    /// `stepBytes(of:invertedKey:)` gave for it: the batch walk carries its keys inverted and
    /// keeps where its next step reads, which saves a node step instructions (`PoptrieNode256`).
    static func child(atStep bytes: UnsafeRawPointer, invertedKey: UInt64) -> (isNode: Bool, index: Int)
    /// Whether those bytes lie in one cache line when the node array starts on a line.
    static var stepFitsOneLine: Bool { get }
}

extension PoptrieNode {
    @inlinable @inline(__always)
    static func slot(invertedKey: UInt64) -> Int { Int(truncatingIfNeeded: ~invertedKey &>> UInt64(64 - strideBits)) }

    @inlinable @inline(__always)
    public static func stepBytes(of node: UnsafePointer<Self>, invertedKey: UInt64) -> UnsafeRawPointer {
        stepBytes(of: node, slot(invertedKey: invertedKey))
    }

    /// With the pieces stored last first, the inverted key's top `pieceBits` bits index them
    /// directly, and the bits below are the piece's own inverted key.
    @inlinable @inline(__always)
    public static func stepBytes(ofPieces node: UnsafePointer<Self>, pieceBits: Int, invertedKey: UInt64) -> UnsafeRawPointer {
        guard pieceBits > 0 else { return stepBytes(of: node, invertedKey: invertedKey) }
        return stepBytes(of: node + Int(truncatingIfNeeded: invertedKey &>> UInt64(64 - pieceBits)), invertedKey: invertedKey &<< UInt64(pieceBits))
    }

    /// For a layout whose step reads from the node's start.
    @inlinable @inline(__always)
    public static func child(atStep bytes: UnsafeRawPointer, invertedKey: UInt64) -> (isNode: Bool, index: Int) {
        child(of: bytes.assumingMemoryBound(to: Self.self), slot(invertedKey: invertedKey))
    }

    /// `flags` as a bitmap, 64 per word, flag i at bit i % 64 of word i / 64.
    static func bitmap(_ flags: [Bool]) -> [UInt64] {
        var words = [UInt64](repeating: 0, count: (flags.count + 63) / 64)
        for (index, flag) in flags.enumerated() where flag { words[index >> 6] |= 1 << UInt64(index & 63) }
        return words
    }
}

/// 64 children (6 bits) in 24 bytes: the original Poptrie node.
public struct PoptrieNode64: PoptrieNode {
    @usableFromInline var vector: UInt64
    @usableFromInline var leafVector: UInt64
    /// One before the first node child and the first leaf run, as `Int32` bit patterns: a
    /// child's index is its origin plus the population count of its bitmap up to and including
    /// its slot, which saves a step the "minus one".
    @usableFromInline var nodeOrigin: UInt32
    @usableFromInline var leafOrigin: UInt32

    /// Index of the first node child.
    var nodeBase: UInt32 { nodeOrigin &+ 1 }
    /// Index of the first leaf run.
    var leafBase: UInt32 { leafOrigin &+ 1 }

    @inlinable public static var strideBits: Int { 6 }

    public init(nodeBase: UInt32, leafBase: UInt32, isNode: [Bool], runStart: [Bool]) {
        self.init(vector: Self.bitmap(isNode)[0], leafVector: Self.bitmap(runStart)[0], nodeBase: nodeBase, leafBase: leafBase)
    }

    init(vector: UInt64, leafVector: UInt64, nodeBase: UInt32, leafBase: UInt32) {
        (self.vector, self.leafVector) = (vector, leafVector)
        (nodeOrigin, leafOrigin) = (nodeBase &- 1, leafBase &- 1)
    }

    /// The ranks (from `leafOrigin`) that this node's leaf slots reach: rank 0, the run carried
    /// over from before the node, only if a leaf slot comes before the first run start.
    var reachableLeafRanks: ClosedRange<Int>? {
        let leafSlots = ~vector
        guard leafSlots != 0 else { return nil }
        return Int(leafVector >> UInt64(leafSlots.trailingZeroBitCount) & 1)...leafVector.nonzeroBitCount
    }

    /// The values of `reachableLeafRanks`, read from `leaves`.
    func reachableLeaves(in leaves: [UInt32]) -> ArraySlice<UInt32> {
        guard let ranks = reachableLeafRanks else { return [] }
        let origin = Int(Int32(bitPattern: leafOrigin))
        return leaves[origin + ranks.lowerBound ... origin + ranks.upperBound]
    }

    /// The node with the lowest of its reachable leaf ranks at word `word`.
    func withReachableLeaves(atWord word: Int) -> Self {
        var moved = self
        moved.leafOrigin = UInt32(bitPattern: Int32(word - (reachableLeafRanks?.lowerBound ?? 0)))
        return moved
    }

    public func placingLeaves(atWord nodeWord: Int, from leaves: [UInt32], into placed: inout [UInt32], placedStart: Int) -> Self {
        let start = placedStart + placed.count
        placed.append(contentsOf: reachableLeaves(in: leaves))
        return withReachableLeaves(atWord: start)
    }

    @inlinable @inline(__always)
    public static func child(of node: UnsafePointer<Self>, _ slot: Int) -> (isNode: Bool, index: Int) {
        let bit = UInt64(truncatingIfNeeded: slot)
        // Bits 0...slot: `&<<` masks the count, and 2 << 63 wraps to 0, so slot 63 gives all ones.
        let upToSlot = (2 &<< bit) &- 1
        let vector = node.pointee.vector
        // Selects rather than branches: whether a child is a node is unpredictable.
        let isNode = vector &>> bit & 1 != 0
        let bitmap = isNode ? vector : node.pointee.leafVector
        let origin = isNode ? node.pointee.nodeOrigin : node.pointee.leafOrigin
        return (isNode, index(origin: origin, rank: Int(truncatingIfNeeded: vpcemu_popcount(bitmap & upToSlot))))
    }

    /// The child `rank` places after `origin` (a node or leaf origin).
    @inlinable @inline(__always)
    static func index(origin: UInt32, rank: Int) -> Int { Int(truncatingIfNeeded: Int32(bitPattern: origin)) &+ rank }

    @inlinable @inline(__always)
    public static func stepBytes(of node: UnsafePointer<Self>, _ slot: Int) -> UnsafeRawPointer { UnsafeRawPointer(node) }
    @inlinable public static var stepByteCount: Int { MemoryLayout<Self>.size }
    /// 24-byte nodes: some straddle a line boundary.
    @inlinable public static var stepFitsOneLine: Bool { false }
}

/// 256 children (8 bits) in 128 bytes, as four self-contained 64-child quarters, one per value
/// of the slot's top two bits. A quarter is a `PoptrieNode64` whose origins already count the
/// node children and leaf runs of the quarters before it in slot order (stored after it: see
/// below); a leaf run that starts in an earlier quarter is found as that quarter's last run, at
/// rank 0 from the origin. Padded to 32 bytes. In a
/// line-aligned node array a quarter never crosses a line, so a node step reads one cache line.
/// The quarters are stored in reverse order (`child(of:invertedKey:)` says why).
public struct PoptrieNode256: PoptrieNode {
    @usableFromInline struct Quarter: Sendable, BitwiseCopyable {
        @usableFromInline var children: PoptrieNode64
        /// To 32 bytes, so that quarters stay line-aligned.
        var padding: UInt64 = 0

        /// Places the quarter's reachable leaves in its padding if there are at most two,
        /// so that a step that ends at a leaf reads it from the line it already has.
        mutating func placeLeaves(atWord quarterWord: Int, from leaves: [UInt32], into placed: inout [UInt32], placedStart: Int) {
            let values = children.reachableLeaves(in: leaves)
            guard values.count <= 2 else {
                children = children.placingLeaves(atWord: quarterWord, from: leaves, into: &placed, placedStart: placedStart)
                return
            }
            padding = values.reversed().reduce(0) { $0 << 32 | UInt64($1) }
            children = children.withReachableLeaves(atWord: quarterWord + MemoryLayout<PoptrieNode64>.size / 4)
        }
    }

    @usableFromInline var quarters: (Quarter, Quarter, Quarter, Quarter)

    @inlinable public static var strideBits: Int { 8 }
    @usableFromInline static var quarterBytes: Int { 32 }

    public init(nodeBase: UInt32, leafBase: UInt32, isNode: [Bool], runStart: [Bool]) {
        let vector = Self.bitmap(isNode), leafVector = Self.bitmap(runStart)
        var nodeBase = nodeBase, leafBase = leafBase
        var quarters: [Quarter] = []
        for word in 0..<4 {
            quarters.append(Quarter(children: PoptrieNode64(vector: vector[word], leafVector: leafVector[word],
                                                            nodeBase: nodeBase, leafBase: leafBase)))
            nodeBase += UInt32(vector[word].nonzeroBitCount)
            leafBase += UInt32(leafVector[word].nonzeroBitCount)
        }
        // Stored last quarter first, so that the walk's inverted key indexes them directly
        // (`quarter(of:invertedKey:)`).
        self.quarters = (quarters[3], quarters[2], quarters[1], quarters[0])
    }

    public func placingLeaves(atWord nodeWord: Int, from leaves: [UInt32], into placed: inout [UInt32], placedStart: Int) -> Self {
        var node = self
        let quarterWords = Self.quarterBytes / 4
        node.quarters.0.placeLeaves(atWord: nodeWord, from: leaves, into: &placed, placedStart: placedStart)
        node.quarters.1.placeLeaves(atWord: nodeWord + quarterWords, from: leaves, into: &placed, placedStart: placedStart)
        node.quarters.2.placeLeaves(atWord: nodeWord + 2 * quarterWords, from: leaves, into: &placed, placedStart: placedStart)
        node.quarters.3.placeLeaves(atWord: nodeWord + 3 * quarterWords, from: leaves, into: &placed, placedStart: placedStart)
        return node
    }

    @inlinable @inline(__always)
    static func quarter(of node: UnsafePointer<Self>, _ slot: Int) -> UnsafePointer<PoptrieNode64> {
        (UnsafeRawPointer(node) + (slot &>> 6 ^ 3) &* quarterBytes).assumingMemoryBound(to: PoptrieNode64.self)
    }

    /// The quarter of the slot in the top 8 bits of `~invertedKey`: with the quarters stored in
    /// reverse, its index is the inverted key's top two bits.
    @inlinable @inline(__always)
    static func quarter(of node: UnsafePointer<Self>, invertedKey: UInt64) -> UnsafePointer<PoptrieNode64> {
        (UnsafeRawPointer(node) + Int(truncatingIfNeeded: invertedKey &>> 62) &* quarterBytes).assumingMemoryBound(to: PoptrieNode64.self)
    }

    /// A step on an inverted key, at its quarter: `63 - slot % 64` is the inverted key's top
    /// byte, as a shift count taken modulo 64, and a bitmap shifted left by it keeps exactly its
    /// bits 0...slot, with the slot's own bit on top. So the sign of the shifted node bitmap says
    /// whether the child is a node, and its population count is the rank, without building a mask.
    @inlinable @inline(__always)
    public static func child(atStep bytes: UnsafeRawPointer, invertedKey: UInt64) -> (isNode: Bool, index: Int) {
        let quarter = bytes.assumingMemoryBound(to: PoptrieNode64.self)
        let shift = invertedKey &>> 56
        let nodeBits = quarter.pointee.vector &<< shift
        let isNode = Int64(bitPattern: nodeBits) < 0
        let bitmap = isNode ? nodeBits : quarter.pointee.leafVector &<< shift
        let origin = isNode ? quarter.pointee.nodeOrigin : quarter.pointee.leafOrigin
        return (isNode, PoptrieNode64.index(origin: origin, rank: Int(truncatingIfNeeded: vpcemu_popcount(bitmap))))
    }

    @inlinable @inline(__always)
    public static func stepBytes(of node: UnsafePointer<Self>, invertedKey: UInt64) -> UnsafeRawPointer {
        UnsafeRawPointer(quarter(of: node, invertedKey: invertedKey))
    }

    /// Pieces and their quarters are both stored last first, so the inverted key's top
    /// `pieceBits + 2` bits count quarters from the first stored.
    @inlinable @inline(__always)
    public static func stepBytes(ofPieces node: UnsafePointer<Self>, pieceBits: Int, invertedKey: UInt64) -> UnsafeRawPointer {
        UnsafeRawPointer(node) + Int(truncatingIfNeeded: invertedKey &>> UInt64(62 - pieceBits)) &* quarterBytes
    }

    @inlinable @inline(__always)
    public static func child(of node: UnsafePointer<Self>, _ slot: Int) -> (isNode: Bool, index: Int) {
        PoptrieNode64.child(of: quarter(of: node, slot), slot & 63)
    }

    @inlinable @inline(__always)
    public static func stepBytes(of node: UnsafePointer<Self>, _ slot: Int) -> UnsafeRawPointer {
        UnsafeRawPointer(quarter(of: node, slot))
    }
    @inlinable public static var stepByteCount: Int { MemoryLayout<PoptrieNode64>.size }
    @inlinable public static var stepFitsOneLine: Bool { true }
}

/// An address type the Poptrie can walk: it exposes itself as a left-aligned bit window.
public protocol PoptrieKey: RouteKey {
    associatedtype Window: PoptrieWindow
    associatedtype Node: PoptrieNode
    /// The address with its first bit in bit 63 of `Window.top`.
    var window: Window { get }
    /// The root width for a full-size table (measured; see docs/routing.md).
    static var maxRootBits: Int { get }
    /// Whether the batch lookup walks groups of addresses level by level (true) or runs a
    /// pipelined loop of single lookups (false); measured per family, see docs/routing.md.
    static var batchWalksInGroups: Bool { get }
    /// Whether a node's leaves follow it in the node array (padded to a whole node), so that
    /// they share its lines, or all follow the last node, keeping the array compact; measured
    /// per family, see docs/routing.md.
    static var leavesFollowTheirNode: Bool { get }
    /// Bits resolved by a first-level node, the one a tagged root entry names, below a full
    /// table's root (`maxRootBits`). Equal to `Node.strideBits`, it is one ordinary node. Wider,
    /// it is `1 << (fullTableFirstStrideBits - Node.strideBits)` ordinary nodes in a row
    /// ("pieces", stored last first, see `Poptrie.firstPiece`) whose origins count on from piece
    /// to piece: a step reads one piece's line, as an ordinary step does, and resolves all of
    /// these bits. Below a smaller root the first level is ordinary: a VPC-sized table would
    /// spend most of its memory and build time on a wide node.
    static var fullTableFirstStrideBits: Int { get }
}

extension PoptrieKey {
    /// The root width `build()` uses unless told otherwise: about 64 root entries per route,
    /// 8 bits at least and `maxRootBits` at most, so that a VPC route table of tens of routes
    /// builds in microseconds into a few KiB while a full BGP table gets the measured optimum.
    public static func rootBits(forRoutes count: Int) -> Int {
        min(maxRootBits, max(8, (Int.bitWidth - count.leadingZeroBitCount) + 6))
    }
}

/// A left-aligned key being consumed from the top, one Poptrie level at a time.
public protocol PoptrieWindow: Sendable {
    /// The next 64 bits of the key (zeros past its end).
    var top: UInt64 { get }
    /// Drops `bits` (1 up to the key's width) bits from the top.
    mutating func shiftLeft(_ bits: Int)
}

extension UInt64: PoptrieWindow {
    @inlinable public var top: UInt64 { self }
    /// A 32-bit key sits in the top half, so `bits` stays below 64.
    @inlinable public mutating func shiftLeft(_ bits: Int) { self = self &<< UInt64(bits) }
}

/// A 128-bit window for IPv6.
public struct Window128: PoptrieWindow {
    @usableFromInline var high: UInt64
    @usableFromInline var low: UInt64

    @inlinable init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    @inlinable public var top: UInt64 { high }

    @inlinable public mutating func shiftLeft(_ bits: Int) {
        if bits >= 64 {
            high = low &<< UInt64(bits &- 64)
            low = 0
        } else {
            high = high &<< UInt64(bits) | low &>> UInt64(64 - bits)
            low = low &<< UInt64(bits)
        }
    }
}

extension IPv4Address: PoptrieKey {
    public typealias Node = PoptrieNode64
    @inlinable public var window: UInt64 { UInt64(value) &<< 32 }
    public static var maxRootBits: Int { 18 }
    @inlinable public static var batchWalksInGroups: Bool { false }
    public static var leavesFollowTheirNode: Bool { true }
    @inlinable public static var fullTableFirstStrideBits: Int { Node.strideBits }
}

extension IPv6Address: PoptrieKey {
    public typealias Node = PoptrieNode256
    @inlinable public var window: Window128 { Window128(high: high, low: low) }
    public static var maxRootBits: Int { 16 }
    @inlinable public static var batchWalksInGroups: Bool { true }
    public static var leavesFollowTheirNode: Bool { false }
    @inlinable public static var fullTableFirstStrideBits: Int { 16 }
}

public typealias IPv4FIB = Poptrie<IPv4Address>
public typealias IPv6FIB = Poptrie<IPv6Address>

extension BinaryTrie where Value == UInt32, Key: PoptrieKey {
    /// Compiles this RIB into its FIB. Every value must be at most `Poptrie.maxNextHop`.
    public func build(rootBits: Int? = nil) -> Poptrie<Key> {
        Poptrie(self, rootBits: rootBits)
    }
}

/// Turns the binary trie into Poptrie arrays, depth first. A node's node-children are
/// reserved as one contiguous block before any of them is filled in, as the lookup requires.
/// With `Key.leavesFollowTheirNode`, a node's leaves are written as soon as it is made (so a
/// root-level node's leaves follow the node itself, and a child's follow its block), padded to
/// a whole node so that the nodes after them stay aligned; otherwise all leaves follow the last
/// node.
struct PoptrieBuilder<Key: PoptrieKey> {
    typealias RIBNode = BinaryTrie<Key, UInt32>.Node
    typealias Node = Key.Node

    /// What one child slot of a node (or one root entry) becomes.
    enum Slot {
        /// No prefix longer than the slot's depth below it: a next hop.
        case leaf(UInt32)
        /// Longer prefixes below: a node built from this RIB node, inheriting `nextHop`.
        case subtree(ribNode: Int32, nextHop: UInt32)
    }

    let rib: [RIBNode]
    /// Nodes and leaves as 32-bit words: node `i` is words `i * nodeWords ..< (i + 1) * nodeWords`.
    var words: [UInt32] = []
    let nodeWords = MemoryLayout<Node>.stride / MemoryLayout<UInt32>.stride
    /// Without `Key.leavesFollowTheirNode`: the leaves, placed after the nodes by `finish`.
    var trailingLeaves: [UInt32] = []

    init(rib: [RIBNode]) { self.rib = rib }

    /// The root entries: a next hop, or the tagged index of a first-level node made for the
    /// longer prefixes below.
    mutating func buildRoot(bits: Int) -> [UInt32] {
        var slots = [Slot](repeating: .leaf(PoptrieLimits.noRoute), count: 1 << bits)
        collect(BinaryTrie<Key, UInt32>.rootIndex, levels: bits, nextHop: PoptrieLimits.noRoute, position: 0, into: &slots)
        var root = [UInt32](repeating: 0, count: slots.count)
        for (index, slot) in slots.enumerated() {
            switch slot {
            case .leaf(let nextHop):
                root[index] = nextHop
            case .subtree(let ribNode, let nextHop):
                let strideBits = Poptrie<Key>.firstStrideBits(rootBits: bits)
                let first = reserveNodes(1 << (strideBits - Node.strideBits))
                storeNode(ribNode, nextHop: nextHop, strideBits: strideBits, at: first)
                root[index] = PoptrieLimits.nodeTag | UInt32(first)
            }
        }
        return root
    }

    /// Stores the node that resolves `strideBits` below RIB node `ribNode` (whose own prefix is
    /// already in `nextHop`) at node index `first`: one ordinary node, or for a wider first
    /// level its pieces last first, each with origins that count the children of the pieces
    /// before it in slot order (a leaf run that starts in an earlier piece is that piece's last,
    /// at rank 0).
    private mutating func storeNode(_ ribNode: Int32, nextHop: UInt32, strideBits: Int, at first: Int) {
        let children = layOutChildren(ribNode, nextHop: nextHop, strideBits: strideBits)
        let width = 1 << Node.strideBits
        let pieces = 1 << (strideBits - Node.strideBits)
        var nodeBase = children.nodeBase, leafBase = children.leafBase
        for piece in 0..<pieces {
            let isNode = Array(children.isNode[piece * width ..< (piece + 1) * width])
            let runStart = Array(children.runStart[piece * width ..< (piece + 1) * width])
            store(Node(nodeBase: UInt32(nodeBase), leafBase: UInt32(leafBase), isNode: isNode, runStart: runStart),
                  at: first + pieces - 1 - piece)
            nodeBase += isNode.count(where: { $0 })
            leafBase += runStart.count(where: { $0 })
        }
    }

    /// Fills `slots[position << levels ..< (position + 1) << levels]` with what lies
    /// `levels` bits below RIB node `index` (which is `nil` when `index` is -1).
    private func collect(_ index: Int32, levels: Int, nextHop: UInt32, position: Int, into slots: inout [Slot]) {
        guard index >= 0 else {
            for slot in position << levels ..< (position + 1) << levels { slots[slot] = .leaf(nextHop) }
            return
        }
        let node = rib[Int(index)]
        var nextHop = nextHop
        if let value = node.value {
            precondition(value < PoptrieLimits.noRoute, "next hop \(value) is not below Poptrie.noRoute")
            nextHop = value
        }
        if levels == 0 {
            slots[position] = node.isLeaf ? .leaf(nextHop) : .subtree(ribNode: index, nextHop: nextHop)
            return
        }
        collect(node.children.0, levels: levels - 1, nextHop: nextHop, position: position << 1, into: &slots)
        collect(node.children.1, levels: levels - 1, nextHop: nextHop, position: position << 1 | 1, into: &slots)
    }

    /// The `1 << strideBits` children below RIB node `ribNode`: its leaf runs are placed and
    /// its node children built and stored. Says which slots are nodes, where runs start, and
    /// the index of the first node child and of the first leaf run.
    private mutating func layOutChildren(_ ribNode: Int32, nextHop: UInt32, strideBits: Int)
        -> (isNode: [Bool], runStart: [Bool], nodeBase: Int, leafBase: Int) {
        let width = 1 << strideBits
        var slots = [Slot](repeating: .leaf(nextHop), count: width)
        collect(ribNode, levels: strideBits, nextHop: nextHop, position: 0, into: &slots)
        var isNode = [Bool](repeating: false, count: width), runStart = isNode
        var leaves: [UInt32] = []
        var children: [(ribNode: Int32, nextHop: UInt32)] = []
        for (slot, kind) in slots.enumerated() {
            switch kind {
            case .leaf(let value):
                if value != leaves.last {
                    runStart[slot] = true
                    leaves.append(value)
                }
            case .subtree(let child, let value):
                isNode[slot] = true
                children.append((child, value))
            }
        }
        let leafBase: Int
        if Key.leavesFollowTheirNode {
            leafBase = words.count
            words.append(contentsOf: leaves)
            padToWholeNode()
        } else {
            leafBase = trailingLeaves.count
            trailingLeaves.append(contentsOf: leaves)
        }
        precondition(words.count + trailingLeaves.count <= Int(Int32.max), "Poptrie leaf index overflow")
        let nodeBase = reserveNodes(children.count)
        for (offset, child) in children.enumerated() {
            storeNode(child.ribNode, nextHop: child.nextHop, strideBits: Node.strideBits, at: nodeBase + offset)
        }
        return (isNode, runStart, nodeBase, leafBase)
    }

    /// Appends `count` zeroed nodes, returning the index of the first.
    private mutating func reserveNodes(_ count: Int) -> Int {
        let first = words.count / nodeWords
        // Root entries tag node indices with their top bit.
        precondition(first + count <= Int(PoptrieLimits.nodeTag), "Poptrie node index overflow")
        words.append(contentsOf: repeatElement(0, count: count * nodeWords))
        return first
    }

    /// Places the trailing leaves: each node's reachable ones in its spare words where they fit
    /// (`PoptrieNode.placingLeaves`), the rest after the last node (padded to a whole node).
    mutating func finish() {
        guard !trailingLeaves.isEmpty else { return }
        let placedStart = words.count
        var placed: [UInt32] = []
        for index in 0..<words.count / nodeWords {
            let node = words.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: index * MemoryLayout<Node>.stride, as: Node.self) }
            store(node.placingLeaves(atWord: index * nodeWords, from: trailingLeaves, into: &placed, placedStart: placedStart), at: index)
        }
        words.append(contentsOf: placed)
        padToWholeNode()
    }

    /// Zero words up to the next node boundary, so that the nodes after leaves stay aligned.
    private mutating func padToWholeNode() {
        words.append(contentsOf: repeatElement(0, count: (nodeWords - words.count % nodeWords) % nodeWords))
    }

    private mutating func store(_ node: Node, at index: Int) {
        words.withUnsafeMutableBytes { $0.storeBytes(of: node, toByteOffset: index * MemoryLayout<Node>.stride, as: Node.self) }
    }
}
