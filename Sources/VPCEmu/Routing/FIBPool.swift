/// Several compiled route tables in one set of arrays, entered together with one `withView`, so
/// a caller on the hot path looks up any of them through unsafe buffers. A `CompiledRouteTable`
/// holds seven array references; reading one out of an array of tables copies it (seven retains
/// and releases per lookup, 15 % of the forwarding profile), which this layout avoids.
///
/// Each table's FIB arrays are appended to per-family pools. Node and leaf indices inside a
/// Poptrie are relative to its own node array, and IPv6 block indices to its own root array, so
/// the pool slices rebased at the table's offsets are read by `Poptrie.find` unchanged; next-hop
/// indices are offset by the table's first next hop.
struct FIBPool<NextHop: Sendable> {
    /// Where one table's arrays of one family lie in the pools.
    struct Slice {
        var rootBits: Int
        var root: Range<Int>
        var nodes: Range<Int>
    }

    struct Entry {
        var ipv4: Slice
        var ipv6: Slice
        var firstNextHop: Int
    }

    /// The FIB arrays of every table for one address family.
    struct Family<Key: PoptrieKey> {
        var root: ContiguousArray<UInt32> = []
        /// Nodes and their leaves. Not line-aligned as a `Poptrie`'s own are: VPC-sized tables
        /// stay in L1/L2, where a node step that crosses a line costs little.
        var nodes: ContiguousArray<Key.Node> = []

        mutating func append(_ fib: Poptrie<Key>) -> Slice {
            let slice = Slice(rootBits: fib.rootBits, root: root.count ..< root.count + fib.root.count,
                              nodes: nodes.count ..< nodes.count + fib.nodes.count)
            root.append(contentsOf: fib.root)
            fib.nodes.withUnsafeBufferPointer { nodes.append(contentsOf: $0) }
            return slice
        }

        func withView<R>(_ body: (FamilyView<Key>) throws -> R) rethrows -> R {
            try root.withUnsafeBufferPointer { root in
                try nodes.withUnsafeBufferPointer { nodes in try body(FamilyView(root: root, nodes: nodes)) }
            }
        }
    }

    struct FamilyView<Key: PoptrieKey> {
        let root: UnsafeBufferPointer<UInt32>
        let nodes: UnsafeBufferPointer<Key.Node>

        /// `Poptrie.lookup` of the table at `slice`.
        @inline(__always)
        func lookup(_ address: Key, in slice: Slice) -> UInt32 {
            Poptrie<Key>.find(address.window, rootBits: slice.rootBits, root: UnsafeBufferPointer(rebasing: root[slice.root]),
                              nodes: UnsafeBufferPointer(rebasing: nodes[slice.nodes]))
        }
    }

    private var entries: ContiguousArray<Entry> = []
    private var ipv4 = Family<IPv4Address>()
    private var ipv6 = Family<IPv6Address>()
    private var nextHops: ContiguousArray<NextHop> = []

    /// Table `i` of the pool is `tables[i]`.
    init(_ tables: [CompiledRouteTable<NextHop>]) {
        for table in tables {
            entries.append(Entry(ipv4: ipv4.append(table.ipv4), ipv6: ipv6.append(table.ipv6), firstNextHop: nextHops.count))
            nextHops.append(contentsOf: table.nextHops)
        }
    }

    var count: Int { entries.count }

    struct View {
        let entries: UnsafeBufferPointer<Entry>
        let ipv4: FamilyView<IPv4Address>
        let ipv6: FamilyView<IPv6Address>
        let nextHops: UnsafeBufferPointer<NextHop>

        /// `CompiledRouteTable.lookup` of table `table` (which must be in the pool).
        @inline(__always)
        func lookup(_ table: Int, _ address: IPAddress) -> NextHop? {
            let entry = entries[table]
            let index = switch address {
            case .v4(let a): ipv4.lookup(a, in: entry.ipv4)
            case .v6(let a): ipv6.lookup(a, in: entry.ipv6)
            }
            return index == PoptrieLimits.noRoute ? nil : nextHops[entry.firstNextHop &+ Int(index)]
        }
    }

    func withView<R>(_ body: (View) throws -> R) rethrows -> R {
        try entries.withUnsafeBufferPointer { entries in
            try nextHops.withUnsafeBufferPointer { nextHops in
                try ipv4.withView { ipv4 in
                    try ipv6.withView { ipv6 in try body(View(entries: entries, ipv4: ipv4, ipv6: ipv6, nextHops: nextHops)) }
                }
            }
        }
    }
}
