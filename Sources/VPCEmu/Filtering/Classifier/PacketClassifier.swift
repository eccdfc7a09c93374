/// A compiled, immutable 5-tuple classifier: the answer is exactly the index of the first rule
/// of the ordered list that matches (what `LinearClassifier` returns), found in a balanced
/// binary decision tree over 8 dimensions (HyperSplit-style, see docs/filtering.md) — or a few
/// such trees for wildcard-heavy sets — whose leaves hold the few rules, in list order, that
/// can match there.
///
/// Lookups never allocate, never throw and touch no class or existential. The batch lookup
/// walks a group of packets through the tree in lockstep so their node loads overlap.
public struct PacketClassifier: Sendable {
    /// Written to a result slot when no rule matches. `result &+ 1` is the ClassBench
    /// 1-based index, 0 for no match.
    public static let noMatch: UInt32 = .max

    /// One tree, or one per merged address-width class (`mergedClasses`), ordered by first rule.
    @usableFromInline let trees: ContiguousArray<Tree>
    @usableFromInline let nodes: ContiguousArray<ClassifierNode>
    @usableFromInline let leafRules: ContiguousArray<UInt32>
    @usableFromInline let rules: ContiguousArray<PackedRule>
    /// Number of rules compiled in.
    public let ruleCount: Int
    /// Build statistics: node count, deepest leaf, rule references stored in leaves.
    public let statistics: Statistics
    @usableFromInline let lockstepGroup: Int

    public struct Statistics: Sendable, Hashable {
        public var trees: Int
        public var nodes: Int
        public var leaves: Int
        public var maximumDepth: Int
        public var leafRuleReferences: Int
    }

    /// Tuning of the tree build; the defaults are the measured best (docs/filtering.md).
    public struct Configuration: Sendable, Hashable {
        /// A node with at most this many candidate rules becomes a leaf.
        public var leafSize: Int = 4
        /// Guard against pathological rule sets: nodes this deep become leaves.
        public var maximumDepth: Int = 64
        /// A single tree may store each rule this many times on average in its leaves before
        /// the rules are partitioned into several trees instead.
        public var singleTreeReplication: Int = 12
        /// Packets the batch lookup walks through a tree together.
        public var lockstepGroup: Int = 8

        public init(leafSize: Int = 4, maximumDepth: Int = 64, singleTreeReplication: Int = 12, lockstepGroup: Int = 8) {
            precondition(leafSize >= 1 && lockstepGroup >= 1, "leaf size and lockstep group are at least 1")
            self.leafSize = leafSize
            self.maximumDepth = maximumDepth
            self.singleTreeReplication = singleTreeReplication
            self.lockstepGroup = lockstepGroup
        }
    }

    public init(rules: [ClassifierRule], configuration: Configuration = .init()) {
        let packed = ContiguousArray(rules.map(PackedRule.init))
        // One tree is fastest to search: keep it unless it stores each rule more than
        // `singleTreeReplication` times in its leaves.
        var builder = DecisionTreeBuilder(rules: packed, configuration: configuration)
        builder.referenceBudget = configuration.singleTreeReplication * rules.count + 1024
        var trees: ContiguousArray<Tree> = [Tree(root: UInt32(builder.build(subset: (0..<rules.count).map(Int32.init))), firstRule: 0)]
        if builder.overBudget {
            builder = DecisionTreeBuilder(rules: packed, configuration: configuration)
            trees = ContiguousArray(Self.mergedClasses(packed, rules, configuration).map { subset in
                Tree(root: UInt32(builder.build(subset: subset)), firstRule: subset.first.map(UInt32.init) ?? 0)
            })
        }
        self.trees = trees
        self.nodes = builder.nodes
        self.leafRules = builder.leafRules
        self.rules = packed
        self.ruleCount = rules.count
        self.lockstepGroup = configuration.lockstepGroup
        self.statistics = Statistics(trees: trees.count, nodes: builder.nodes.count, leaves: builder.leafCount,
                                     maximumDepth: builder.deepest, leafRuleReferences: builder.leafRules.count)
    }

    @usableFromInline struct Tree: Sendable {
        @usableFromInline var root: UInt32
        /// The lowest rule index in the tree: once a packet has a better answer, skip the tree.
        @usableFromInline var firstRule: UInt32
    }

    /// The rule subsets to build one tree each for when all rules do not fit one tree: the
    /// address-width classes (`partition`) merged greedily, largest first, into as few trees as
    /// stay within the replication budget.
    static func mergedClasses(_ packed: ContiguousArray<PackedRule>, _ rules: [ClassifierRule],
                            _ configuration: Configuration) -> [[Int32]] {
        func fitsOneTree(_ subset: [Int32]) -> Bool {
            var trial = DecisionTreeBuilder(rules: packed, configuration: configuration)
            trial.referenceBudget = configuration.singleTreeReplication * subset.count + 1024
            _ = trial.build(subset: subset)
            return !trial.overBudget
        }
        var subsets: [[Int32]] = []
        for rulesOfClass in partition(rules).sorted(by: { $0.count > $1.count }) {
            if let index = subsets.indices.first(where: { fitsOneTree((subsets[$0] + rulesOfClass).sorted()) }) {
                subsets[index] = (subsets[index] + rulesOfClass).sorted()
            } else {
                subsets.append(rulesOfClass)
            }
        }
        return subsets.sorted { $0[0] < $1[0] }
    }

    /// Splits the rules by whether each address is wide (prefix shorter than half the address)
    /// or narrow, as EffiCuts and CutSplit do: one tree over wide and narrow prefixes together
    /// must copy every wide rule into each narrow rule's region and explodes on firewall sets.
    /// Empty classes are left out; an empty rule list gets one empty tree.
    static func partition(_ rules: [ClassifierRule]) -> [[Int32]] {
        var classes = [[Int32]](repeating: [], count: 4)
        for (index, rule) in rules.enumerated() {
            let sourceWide = rule.source.prefixLength * 2 < rule.family.bitWidth
            let destinationWide = rule.destination.prefixLength * 2 < rule.family.bitWidth
            classes[(sourceWide ? 2 : 0) + (destinationWide ? 1 : 0)].append(Int32(index))
        }
        let used = classes.filter { !$0.isEmpty }.sorted { $0[0] < $1[0] }
        return used.isEmpty ? [[]] : used
    }

    /// Bytes held by the compiled structure (nodes, leaf lists, packed rules).
    public var memoryBytes: Int {
        trees.count * MemoryLayout<Tree>.stride + nodes.count * MemoryLayout<ClassifierNode>.stride + leafRules.count * MemoryLayout<UInt32>.stride
            + rules.count * MemoryLayout<PackedRule>.stride
    }

    /// The index of the first matching rule, nil when none matches.
    public func firstMatch(_ tuple: FiveTuple) -> Int? {
        var result = Self.noMatch
        withUnsafePointer(to: tuple) { key in
            withUnsafeMutablePointer(to: &result) { slot in
                classify(UnsafeBufferPointer(start: key, count: 1), into: UnsafeMutableBufferPointer(start: slot, count: 1))
            }
        }
        return result == Self.noMatch ? nil : Int(result)
    }

    /// Classifies `tuples` into `results` (same count): each slot gets the index of the first
    /// matching rule or `noMatch`.
    public func classify(_ tuples: [FiveTuple], into results: inout [UInt32]) {
        precondition(results.count == tuples.count, "one result slot per tuple")
        tuples.withUnsafeBufferPointer { keys in
            results.withUnsafeMutableBufferPointer { slots in classify(keys, into: slots) }
        }
    }


    /// Classifies `tuples` into `results` (same count). Each group of packets descends every
    /// tree in lockstep; a leaf is scanned only up to the best answer found so far.
    public func classify(_ tuples: UnsafeBufferPointer<FiveTuple>, into results: UnsafeMutableBufferPointer<UInt32>) {
        precondition(results.count >= tuples.count, "one result slot per tuple")
        guard let keyBase = tuples.baseAddress, let resultBase = results.baseAddress else { return }
        let keys = UnsafeRawPointer(keyBase)
        let stride = MemoryLayout<FiveTuple>.stride
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: lockstepGroup) { cursors in
            trees.withUnsafeBufferPointer { trees in
                nodes.withUnsafeBufferPointer { nodes in
                    leafRules.withUnsafeBufferPointer { leafRules in
                        rules.withUnsafeBufferPointer { rules in
                            var start = 0
                            while start < tuples.count {
                                let end = min(start &+ lockstepGroup, tuples.count)
                                for index in start..<end { resultBase[index] = Self.noMatch }
                                for tree in trees {
                                    // Descend: each pass moves every packet still on an inner node one level.
                                    for index in start..<end { cursors[index &- start] = tree.root }
                                    var moving = true
                                    while moving {
                                        moving = false
                                        for index in start..<end {
                                            let node = nodes[Int(cursors[index &- start])]
                                            guard node.isInner else { continue }
                                            let word = keys.load(fromByteOffset: index &* stride &+ Int(node.wordOffset), as: UInt64.self)
                                            let value = (word &<< node.leftShift) &>> node.rightShift
                                            cursors[index &- start] = node.child &+ (value > node.threshold ? 1 : 0)
                                            moving = true
                                        }
                                    }
                                    for index in start..<end {
                                        let best = resultBase[index]
                                        guard tree.firstRule < best else { continue }
                                        let leaf = nodes[Int(cursors[index &- start])]
                                        let key = keyBase[index]
                                        var position = Int(leaf.child)
                                        let last = position &+ Int(leaf.threshold)
                                        while position < last {
                                            let rule = leafRules[position]
                                            if rule >= best { break }
                                            if rules[Int(rule)].matches(key) {
                                                resultBase[index] = rule
                                                break
                                            }
                                            position &+= 1
                                        }
                                    }
                                }
                                start = end
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One tree node, 16 bytes. Inner: go to `child` when the selected field is at most
/// `threshold`, else to `child + 1`. Leaf: `threshold` rules listed from `leafRules[child]`.
@usableFromInline struct ClassifierNode: Sendable {
    @usableFromInline var threshold: UInt64
    @usableFromInline var child: UInt32
    /// Byte offset of the 64-bit word of `FiveTuple` that holds the field.
    @usableFromInline var wordOffset: UInt8
    /// The field is `word << leftShift >> rightShift`.
    @usableFromInline var leftShift: UInt8
    @usableFromInline var rightShift: UInt8
    @usableFromInline var kind: UInt8

    @inlinable var isInner: Bool { kind == 0 }

    static func leaf(firstRule: Int, count: Int) -> ClassifierNode {
        ClassifierNode(threshold: UInt64(count), child: UInt32(firstRule), wordOffset: 0, leftShift: 0, rightShift: 0, kind: 1)
    }
}

/// The eight dimensions the tree splits on and where each lives in a `FiveTuple`.
enum ClassifierDimension: Int, CaseIterable {
    case sourceHigh, sourceLow, destinationHigh, destinationLow, sourcePort, destinationPort, ipProtocol, family

    /// (byte offset of the word, left shift, right shift) extracting the field.
    var extraction: (offset: UInt8, left: UInt8, right: UInt8) {
        func offset(_ path: KeyPath<FiveTuple, UInt64>) -> UInt8 {
            guard let offset = MemoryLayout<FiveTuple>.offset(of: path) else {
                preconditionFailure("FiveTuple words must be stored properties")
            }
            return UInt8(offset)
        }
        return switch self {
        case .sourceHigh: (offset(\.sourceHigh), 0, 0)
        case .sourceLow: (offset(\.sourceLow), 0, 0)
        case .destinationHigh: (offset(\.destinationHigh), 0, 0)
        case .destinationLow: (offset(\.destinationLow), 0, 0)
        case .sourcePort: (offset(\.scalars), 0, 48)
        case .destinationPort: (offset(\.scalars), 16, 48)
        case .ipProtocol: (offset(\.scalars), 32, 56)
        case .family: (offset(\.scalars), 40, 56)
        }
    }
}
