/// The FIB: an immutable Poptrie (Asai & Ohara, "Poptrie: A Compressed Trie with Population
/// Count for Fast and Scalable Software IP Routing Table Lookup", SIGCOMM 2015), compiled
/// from a `BinaryTrie` RIB by `build()`. docs/routing.md has the measurements that chose it.
///
/// Layout: a direct-pointing root array indexed by the first `rootBits` bits of the address,
/// then 64-way nodes, each consuming 6 bits. A node keeps two bitmaps instead of 64 pointers:
/// `vector` marks the children that are nodes (stored contiguously from `nodeBase`), and
/// `leafVector` marks where a run of equal next hops starts among the leaf children (stored
/// contiguously from `leafBase`, one entry per run). A child's slot is a population count of
/// the bitmap below it. The whole IPv4 BGP table fits in a few MiB, so lookups mostly hit the
/// cache instead of walking DRAM as DIR-24-8's 64 MiB table does.
///
/// Route changes are handled by rebuilding from the RIB (docs/routing.md gives the times).
public struct Poptrie<Key: PoptrieKey>: Sendable {
    /// `lookup` answers this when no route matches (not even a default route).
    public static var noRoute: UInt32 { PoptrieNode.noRoute }
    /// The largest next hop a FIB can hold; larger RIB values are a programming error.
    public static var maxNextHop: UInt32 { PoptrieNode.noRoute - 1 }

    @usableFromInline let rootBits: Int
    @usableFromInline let root: [UInt32]
    @usableFromInline let nodes: [PoptrieNode]
    @usableFromInline let leaves: [UInt32]

    /// Compiles `rib`. `rootBits` (1...24) trades root-array memory for one fewer level.
    public init(_ rib: BinaryTrie<Key, UInt32>, rootBits: Int = Key.defaultRootBits) {
        precondition((1...24).contains(rootBits), "rootBits must be 1...24")
        var builder = PoptrieBuilder<Key>(rib: rib.nodes)
        self.rootBits = rootBits
        root = builder.buildRoot(bits: rootBits)
        nodes = builder.nodes
        leaves = builder.leaves
    }

    /// Bytes held by the lookup tables.
    public var memoryBytes: Int {
        root.count * MemoryLayout<UInt32>.stride + nodes.count * MemoryLayout<PoptrieNode>.stride
            + leaves.count * MemoryLayout<UInt32>.stride
    }

    /// The next hop of the longest prefix containing `address`, or `noRoute`.
    @inlinable public func lookup(_ address: Key) -> UInt32 {
        root.withUnsafeBufferPointer { root in
            nodes.withUnsafeBufferPointer { nodes in
                leaves.withUnsafeBufferPointer { leaves in
                    Self.find(address.window, rootBits: rootBits, root: root, nodes: nodes, leaves: leaves)
                }
            }
        }
    }

    /// Looks up every address of `addresses` into the same position of `results`
    /// (which must be at least as long). This is the call the forwarding pipeline makes.
    ///
    /// Addresses are walked `lanes` at a time in lockstep, one level per pass and without
    /// branches inside a pass, so the cache misses of different addresses overlap instead of
    /// each waiting behind the mispredicted loop exit of the previous one.
    @inlinable public func lookup(_ addresses: UnsafeBufferPointer<Key>, into results: UnsafeMutableBufferPointer<UInt32>) {
        precondition(results.count >= addresses.count, "results buffer is shorter than the addresses")
        guard let input = addresses.baseAddress, let output = results.baseAddress else { return }
        root.withUnsafeBufferPointer { root in
            nodes.withUnsafeBufferPointer { nodes in
                leaves.withUnsafeBufferPointer { leaves in
                    var start = 0
                    while start + Self.lanes <= addresses.count {
                        Self.findLanes(input + start, output + start, rootBits: rootBits, root: root, nodes: nodes, leaves: leaves)
                        start += Self.lanes
                    }
                    while start < addresses.count {
                        output[start] = Self.find(input[start].window, rootBits: rootBits, root: root, nodes: nodes, leaves: leaves)
                        start += 1
                    }
                }
            }
        }
    }

    @usableFromInline static var lanes: Int { 8 }

    /// `lanes` lookups in lockstep: first every root entry, then node levels until all lanes hit a leaf.
    @inlinable @inline(__always)
    static func findLanes(_ input: UnsafePointer<Key>, _ output: UnsafeMutablePointer<UInt32>, rootBits: Int,
                         root: UnsafeBufferPointer<UInt32>, nodes: UnsafeBufferPointer<PoptrieNode>,
                         leaves: UnsafeBufferPointer<UInt32>) {
        let rootBase = root.baseAddress.unsafelyUnwrapped
        let nodeBase = nodes.baseAddress.unsafelyUnwrapped
        let leafBase = leaves.baseAddress.unsafelyUnwrapped
        var keys = InlineArray<8, Key.Window>(repeating: input[0].window)
        var current = InlineArray<8, Int>(repeating: 0)
        var active: UInt32 = 0
        for lane in 0..<8 {
            var key = input[lane].window
            let entry = rootBase[Int(truncatingIfNeeded: key.top &>> UInt64(64 - rootBits))]
            key.shiftLeft(rootBits)
            keys[lane] = key
            let isNode = entry >> 31
            active |= isNode &<< UInt32(lane)
            // Lanes done at the root walk node 0 harmlessly until the others finish.
            current[lane] = isNode != 0 ? Int(truncatingIfNeeded: entry & ~PoptrieNode.nodeTag) : 0
            output[lane] = entry
        }
        while active != 0 {
            for lane in 0..<8 {
                let node = nodeBase[current[lane]]
                let slot = keys[lane].top &>> 58
                let upToSlot = (2 &<< slot) &- 1
                let isNode = node.vector &>> slot & 1 != 0
                let child = Int(truncatingIfNeeded: node.nodeBase) &+ (node.vector & upToSlot).nonzeroBitCount &- 1
                // Index 0 is a sentinel leaf, so this read stays in range even when slot holds a node.
                let leaf = leafBase[Int(truncatingIfNeeded: node.leafBase) &+ (node.leafVector & upToSlot).nonzeroBitCount &- 1]
                let laneBit: UInt32 = 1 &<< UInt32(lane)
                let finishes = active & laneBit != 0 && !isNode
                output[lane] = finishes ? leaf : output[lane]
                active = finishes ? active & ~laneBit : active
                current[lane] = isNode ? child : current[lane]
                keys[lane].shiftLeft(isNode ? PoptrieNode.strideBits : 0)
            }
        }
    }

    /// The walk itself. Indices are in range by construction (`PoptrieBuilder`), so the
    /// buffers are read without bounds checks.
    @inlinable @inline(__always)
    static func find(_ key: Key.Window, rootBits: Int, root: UnsafeBufferPointer<UInt32>,
                     nodes: UnsafeBufferPointer<PoptrieNode>, leaves: UnsafeBufferPointer<UInt32>) -> UInt32 {
        var key = key
        let entry = root.baseAddress.unsafelyUnwrapped[Int(truncatingIfNeeded: key.top &>> UInt64(64 - rootBits))]
        if entry & PoptrieNode.nodeTag == 0 { return entry }
        let nodeBase = nodes.baseAddress.unsafelyUnwrapped
        var node = nodeBase[Int(truncatingIfNeeded: entry & ~PoptrieNode.nodeTag)]
        key.shiftLeft(rootBits)
        while true {
            let slot = key.top &>> 58
            // Bits 0...slot: `&<<` masks the count, and 2 << 63 wraps to 0, so slot 63 gives all ones.
            let upToSlot = (2 &<< slot) &- 1
            if node.vector &>> slot & 1 != 0 {
                node = nodeBase[Int(truncatingIfNeeded: node.nodeBase) &+ (node.vector & upToSlot).nonzeroBitCount &- 1]
                key.shiftLeft(PoptrieNode.strideBits)
            } else {
                return leaves.baseAddress.unsafelyUnwrapped[
                    Int(truncatingIfNeeded: node.leafBase) &+ (node.leafVector & upToSlot).nonzeroBitCount &- 1]
            }
        }
    }
}

/// One 64-way Poptrie node (24 bytes).
@usableFromInline struct PoptrieNode: Sendable {
    @usableFromInline static var strideBits: Int { 6 }
    @usableFromInline static var noRoute: UInt32 { 0x7FFF_FFFF }
    /// A root entry with this bit set holds a node index; otherwise it is a next hop.
    @usableFromInline static var nodeTag: UInt32 { 0x8000_0000 }
    /// Bit i set: child i is a node.
    @usableFromInline var vector: UInt64
    /// Bit i set: child i is a leaf whose next hop differs from the previous leaf child's.
    @usableFromInline var leafVector: UInt64
    @usableFromInline var nodeBase: UInt32
    @usableFromInline var leafBase: UInt32
}

/// An address type the Poptrie can walk: it exposes itself as a left-aligned bit window.
public protocol PoptrieKey: RouteKey {
    associatedtype Window: PoptrieWindow
    /// The address with its first bit in bit 63 of `Window.top`.
    var window: Window { get }
    /// The root width `build()` uses unless told otherwise (measured; see docs/routing.md).
    static var defaultRootBits: Int { get }
}

/// A left-aligned key being consumed from the top, 6 bits per Poptrie level.
public protocol PoptrieWindow: Sendable {
    /// The next 64 bits of the key (zeros past its end).
    var top: UInt64 { get }
    mutating func shiftLeft(_ bits: Int)
}

extension UInt64: PoptrieWindow {
    @inlinable public var top: UInt64 { self }
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

    /// `bits` is 0...63 for every caller (root width, one stride, or 0 for a finished lane).
    @inlinable public mutating func shiftLeft(_ bits: Int) {
        // Two shifts so that 0 bits moves nothing from `low` (`&>> 64` would shift by 0).
        high = high &<< UInt64(bits) | (low &>> 1) &>> UInt64(63 - bits)
        low = low &<< UInt64(bits)
    }
}

extension IPv4Address: PoptrieKey {
    @inlinable public var window: UInt64 { UInt64(value) &<< 32 }
    public static var defaultRootBits: Int { 18 }
}

extension IPv6Address: PoptrieKey {
    @inlinable public var window: Window128 { Window128(high: high, low: low) }
    public static var defaultRootBits: Int { 18 }
}

public typealias IPv4FIB = Poptrie<IPv4Address>
public typealias IPv6FIB = Poptrie<IPv6Address>

extension BinaryTrie where Value == UInt32, Key: PoptrieKey {
    /// Compiles this RIB into its FIB. Every value must be at most `Poptrie.maxNextHop`.
    public func build(rootBits: Int = Key.defaultRootBits) -> Poptrie<Key> {
        Poptrie(self, rootBits: rootBits)
    }
}

/// Turns the binary trie into Poptrie arrays, depth first. A node's node-children are
/// reserved as one contiguous block before any of them is filled in, as the lookup requires.
struct PoptrieBuilder<Key: RouteKey> {
    typealias RIBNode = BinaryTrie<Key, UInt32>.Node

    /// What one child slot of a node (or one root entry) becomes.
    enum Slot {
        /// No prefix longer than the slot's depth below it: a next hop.
        case leaf(UInt32)
        /// Longer prefixes below: a node built from this RIB node, inheriting `nextHop`.
        case subtree(ribNode: Int32, nextHop: UInt32)
    }

    let rib: [RIBNode]
    var nodes: [PoptrieNode] = []
    /// Starts with a sentinel so that every node's `leafBase` is at least 1 (see `findLanes`).
    var leaves: [UInt32] = [PoptrieNode.noRoute]

    init(rib: [RIBNode]) { self.rib = rib }

    mutating func buildRoot(bits: Int) -> [UInt32] {
        var slots = [Slot](repeating: .leaf(PoptrieNode.noRoute), count: 1 << bits)
        collect(BinaryTrie<Key, UInt32>.rootIndex, levels: bits, nextHop: PoptrieNode.noRoute, position: 0, into: &slots)
        var root = [UInt32](repeating: 0, count: slots.count)
        for (index, slot) in slots.enumerated() {
            switch slot {
            case .leaf(let nextHop):
                root[index] = nextHop
            case .subtree(let ribNode, let nextHop):
                let nodeIndex = nodes.count
                precondition(nodeIndex < Int(PoptrieNode.nodeTag), "Poptrie node index overflow")
                nodes.append(PoptrieNode(vector: 0, leafVector: 0, nodeBase: 0, leafBase: 0))
                nodes[nodeIndex] = makeNode(ribNode, nextHop: nextHop)
                root[index] = PoptrieNode.nodeTag | UInt32(nodeIndex)
            }
        }
        return root
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
            precondition(value < PoptrieNode.noRoute, "next hop \(value) is not below Poptrie.noRoute")
            nextHop = value
        }
        if levels == 0 {
            slots[position] = node.isLeaf ? .leaf(nextHop) : .subtree(ribNode: index, nextHop: nextHop)
            return
        }
        collect(node.children.0, levels: levels - 1, nextHop: nextHop, position: position << 1, into: &slots)
        collect(node.children.1, levels: levels - 1, nextHop: nextHop, position: position << 1 | 1, into: &slots)
    }

    /// Builds the node for RIB node `ribNode`, whose own prefix is already in `nextHop`.
    private mutating func makeNode(_ ribNode: Int32, nextHop: UInt32) -> PoptrieNode {
        let stride = PoptrieNode.strideBits
        var slots = [Slot](repeating: .leaf(nextHop), count: 1 << stride)
        collect(ribNode, levels: stride, nextHop: nextHop, position: 0, into: &slots)
        var node = PoptrieNode(vector: 0, leafVector: 0, nodeBase: UInt32(nodes.count), leafBase: UInt32(leaves.count))
        var previousLeaf: UInt32?
        var children: [(ribNode: Int32, nextHop: UInt32)] = []
        for (bit, slot) in slots.enumerated() {
            switch slot {
            case .leaf(let value):
                if value != previousLeaf {
                    node.leafVector |= 1 << UInt64(bit)
                    leaves.append(value)
                    previousLeaf = value
                }
            case .subtree(let child, let value):
                node.vector |= 1 << UInt64(bit)
                children.append((child, value))
            }
        }
        precondition(nodes.count + children.count < Int(PoptrieNode.nodeTag), "Poptrie node index overflow")
        let blank = PoptrieNode(vector: 0, leafVector: 0, nodeBase: 0, leafBase: 0)
        nodes.append(contentsOf: repeatElement(blank, count: children.count))
        for (offset, child) in children.enumerated() {
            nodes[Int(node.nodeBase) + offset] = makeNode(child.ribNode, nextHop: child.nextHop)
        }
        return node
    }
}
