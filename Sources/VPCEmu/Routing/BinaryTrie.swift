/// The RIB: a plain binary trie over address bits, one node per bit of every stored prefix.
///
/// It is the slow-path source of truth — simple enough to be obviously correct — that the
/// control plane edits and that `build()` compiles into a `Poptrie` FIB for the hot path.
/// Nodes live in one array and refer to each other by index (no class per node, no ARC);
/// deleted nodes go to a free list and are reused.
///
/// Prefixes are given as a key plus a length; host bits past the length are ignored.
public struct BinaryTrie<Key: RouteKey, Value>: Sequence {
    struct Node {
        var children: (Int32, Int32) = (Self.none, Self.none)
        var value: Value?

        static var none: Int32 { -1 }

        func child(_ bit: Bool) -> Int32 { bit ? children.1 : children.0 }
        mutating func setChild(_ bit: Bool, _ index: Int32) {
            if bit { children.1 = index } else { children.0 = index }
        }
        var isLeaf: Bool { children.0 == Self.none && children.1 == Self.none }
    }

    /// `nodes[0]` is the root: the /0 prefix.
    private(set) var nodes: [Node] = [Node()]
    private var freeList: [Int32] = []
    /// Number of stored prefixes.
    public private(set) var count = 0

    public init() {}

    static var rootIndex: Int32 { 0 }

    /// Stores `value` for `prefix/length`, returning the value it replaced, if any.
    @discardableResult
    public mutating func insert(_ prefix: Key, length: Int, value: Value) -> Value? {
        precondition((0...Key.bitWidth).contains(length), "prefix length \(length) out of range")
        var index = Self.rootIndex
        for depth in 0..<length {
            let bit = prefix.bit(depth)
            var next = nodes[Int(index)].child(bit)
            if next == Node.none {
                next = allocateNode()
                nodes[Int(index)].setChild(bit, next)
            }
            index = next
        }
        let old = nodes[Int(index)].value
        nodes[Int(index)].value = value
        if old == nil { count += 1 }
        return old
    }

    /// Removes `prefix/length`, returning its value, or nil when it was not stored.
    /// Nodes left with neither a value nor children are pruned.
    @discardableResult
    public mutating func remove(_ prefix: Key, length: Int) -> Value? {
        precondition((0...Key.bitWidth).contains(length), "prefix length \(length) out of range")
        var path: [Int32] = [Self.rootIndex]
        path.reserveCapacity(length + 1)
        for depth in 0..<length {
            let next = nodes[Int(path[depth])].child(prefix.bit(depth))
            guard next != Node.none else { return nil }
            path.append(next)
        }
        guard let old = nodes[Int(path[length])].value else { return nil }
        nodes[Int(path[length])].value = nil
        count -= 1
        var depth = length
        while depth > 0, nodes[Int(path[depth])].isLeaf, nodes[Int(path[depth])].value == nil {
            nodes[Int(path[depth - 1])].setChild(prefix.bit(depth - 1), Node.none)
            freeList.append(path[depth])
            depth -= 1
        }
        return old
    }

    /// The value stored for exactly `prefix/length`.
    public func exactMatch(_ prefix: Key, length: Int) -> Value? {
        precondition((0...Key.bitWidth).contains(length), "prefix length \(length) out of range")
        var index = Self.rootIndex
        for depth in 0..<length {
            index = nodes[Int(index)].child(prefix.bit(depth))
            if index == Node.none { return nil }
        }
        return nodes[Int(index)].value
    }

    /// The most specific stored prefix that contains `address`.
    public func longestMatch(_ address: Key) -> Element? {
        var index = Self.rootIndex
        var best: Element?
        var depth = 0
        while true {
            if let value = nodes[Int(index)].value {
                best = (address.masked(to: depth), depth, value)
            }
            guard depth < Key.bitWidth else { break }
            index = nodes[Int(index)].child(address.bit(depth))
            if index == Node.none { break }
            depth += 1
        }
        return best
    }

    /// Whether no prefix is stored.
    public var isEmpty: Bool { count == 0 }

    /// Every stored route exactly once, ordered by address and then by length (as `IPNetwork` sorts).
    public typealias Element = (prefix: Key, length: Int, value: Value)

    public func makeIterator() -> Iterator { Iterator(nodes: nodes) }

    /// Pre-order walk, the 0 branch first, with an explicit stack.
    public struct Iterator: IteratorProtocol {
        let nodes: [Node]
        var stack: [(index: Int32, prefix: Key, length: Int)] = [(BinaryTrie.rootIndex, .zero, 0)]

        init(nodes: [Node]) { self.nodes = nodes }

        public mutating func next() -> Element? {
            while let (index, prefix, length) = stack.popLast() {
                let node = nodes[Int(index)]
                if node.children.1 != Node.none { stack.append((node.children.1, prefix.settingBit(length), length + 1)) }
                if node.children.0 != Node.none { stack.append((node.children.0, prefix, length + 1)) }
                if let value = node.value { return (prefix, length, value) }
            }
            return nil
        }
    }

    private mutating func allocateNode() -> Int32 {
        if let reused = freeList.popLast() {
            nodes[Int(reused)] = Node()
            return reused
        }
        precondition(nodes.count < Int(Int32.max), "binary trie is full")
        nodes.append(Node())
        return Int32(nodes.count - 1)
    }
}

extension BinaryTrie: Sendable where Value: Sendable {}
extension BinaryTrie.Node: Sendable where Value: Sendable {}
extension BinaryTrie.Iterator: Sendable where Value: Sendable {}

/// The RIB of each family, holding next hops as FIB-ready integers.
public typealias IPv4RIB = BinaryTrie<IPv4Address, UInt32>
public typealias IPv6RIB = BinaryTrie<IPv6Address, UInt32>
