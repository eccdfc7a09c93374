/// Builds the classifier's decision trees (slow path). Each node holds the rules that intersect
/// its region, in list order; a node splits its region in two on the dimension and point that
/// best balance the rules (smallest larger side, then least replication), until at most
/// `leafSize` rules remain or no split separates them.
struct DecisionTreeBuilder {
    private let rules: ContiguousArray<PackedRule>
    private let configuration: PacketClassifier.Configuration
    /// Per rule, 8 dimensions: lower and upper bounds, rule-major.
    private let lower: [UInt64]
    private let upper: [UInt64]
    private let exact: [Bool]
    private let dimensions = ClassifierDimension.allCases
    private let extraction = ClassifierDimension.allCases.map(\.extraction)

    private(set) var nodes = ContiguousArray<ClassifierNode>()
    private(set) var leafRules = ContiguousArray<UInt32>()
    private(set) var leafCount = 0
    private(set) var deepest = 0
    /// Leaf rule references allowed before the build gives up (`overBudget` is then set).
    var referenceBudget = Int.max
    private(set) var overBudget = false

    private static let dimensionCount = ClassifierDimension.allCases.count

    init(rules: ContiguousArray<PackedRule>, configuration: PacketClassifier.Configuration) {
        self.rules = rules
        self.configuration = configuration
        var lower: [UInt64] = [], upper: [UInt64] = []
        lower.reserveCapacity(rules.count * Self.dimensionCount)
        upper.reserveCapacity(rules.count * Self.dimensionCount)
        for rule in rules {
            for range in rule.bounds {
                lower.append(range.lowerBound)
                upper.append(range.upperBound)
            }
        }
        self.lower = lower
        self.upper = upper
        self.exact = rules.map(\.boundsAreExact)
    }

    /// Builds one tree over `subset` (ascending rule indices) and returns its root node.
    mutating func build(subset: [Int32]) -> Int {
        let everything = dimensions.map { dimension -> ClosedRange<UInt64> in
            switch dimension {
            case .sourcePort, .destinationPort: 0...0xFFFF
            case .ipProtocol, .family: 0...0xFF
            default: 0...UInt64.max
            }
        }
        let root = nodes.count
        nodes.append(ClassifierNode.leaf(firstRule: 0, count: 0))
        fill(slot: root, candidates: subset,
             regionLower: everything.map(\.lowerBound), regionUpper: everything.map(\.upperBound), depth: 0)
        return root
    }

    private mutating func fill(slot: Int, candidates: [Int32], regionLower: [UInt64], regionUpper: [UInt64], depth: Int) {
        if leafRules.count > referenceBudget { overBudget = true }
        guard !overBudget else { return }
        let live = pruneShadowed(candidates, regionLower, regionUpper)
        guard live.count > configuration.leafSize, depth < configuration.maximumDepth,
              let split = bestSplit(live, regionLower, regionUpper) else {
            makeLeaf(slot: slot, rules: live, depth: depth)
            return
        }
        let d = split.dimension
        var left: [Int32] = [], right: [Int32] = []
        for rule in live {
            let index = Int(rule) * Self.dimensionCount + d
            if lower[index] <= split.threshold { left.append(rule) }
            if upper[index] > split.threshold { right.append(rule) }
        }
        let child = nodes.count
        nodes.append(ClassifierNode.leaf(firstRule: 0, count: 0))
        nodes.append(ClassifierNode.leaf(firstRule: 0, count: 0))
        let (offset, leftShift, rightShift) = extraction[d]
        nodes[slot] = ClassifierNode(threshold: split.threshold, child: UInt32(child), wordOffset: offset,
                                     leftShift: leftShift, rightShift: rightShift, kind: 0)
        var leftUpper = regionUpper, rightLower = regionLower
        leftUpper[d] = split.threshold
        rightLower[d] = split.threshold + 1
        fill(slot: child, candidates: left, regionLower: regionLower, regionUpper: leftUpper, depth: depth + 1)
        fill(slot: child + 1, candidates: right, regionLower: rightLower, regionUpper: regionUpper, depth: depth + 1)
    }

    private mutating func makeLeaf(slot: Int, rules live: [Int32], depth: Int) {
        nodes[slot] = ClassifierNode.leaf(firstRule: leafRules.count, count: live.count)
        leafRules.append(contentsOf: live.lazy.map { UInt32($0) })
        leafCount += 1
        deepest = max(deepest, depth)
    }

    /// Drops every rule after the first one that covers the whole region: it answers there.
    private func pruneShadowed(_ candidates: [Int32], _ regionLower: [UInt64], _ regionUpper: [UInt64]) -> [Int32] {
        for (position, rule) in candidates.enumerated() where exact[Int(rule)] {
            let base = Int(rule) * Self.dimensionCount
            var covers = true
            for d in 0..<Self.dimensionCount where lower[base + d] > regionLower[d] || upper[base + d] < regionUpper[d] {
                covers = false
                break
            }
            if covers { return Array(candidates[...position]) }
        }
        return candidates
    }

    /// The split minimising the larger side, then the total (replication); nil when no split
    /// leaves both sides smaller than the node.
    private func bestSplit(_ live: [Int32], _ regionLower: [UInt64], _ regionUpper: [UInt64])
        -> (dimension: Int, threshold: UInt64)? {
        var best: (dimension: Int, threshold: UInt64, larger: Int, total: Int)?
        var lows = [UInt64](), highs = [UInt64]()
        lows.reserveCapacity(live.count)
        highs.reserveCapacity(live.count)
        for d in 0..<Self.dimensionCount where regionLower[d] < regionUpper[d] {
            lows.removeAll(keepingCapacity: true)
            highs.removeAll(keepingCapacity: true)
            for rule in live {
                let index = Int(rule) * Self.dimensionCount + d
                lows.append(max(lower[index], regionLower[d]))
                highs.append(min(upper[index], regionUpper[d]))
            }
            lows.sort()
            highs.sort()
            // A threshold t sends rules with low <= t left and rules with high > t right.
            // Only t = some high, or some low - 1, can be optimal.
            var lowIndex = 0, highIndex = 0
            func consider(_ t: UInt64) {
                guard t >= regionLower[d], t < regionUpper[d] else { return }
                while lowIndex < lows.count, lows[lowIndex] <= t { lowIndex += 1 }
                while highIndex < highs.count, highs[highIndex] <= t { highIndex += 1 }
                let leftCount = lowIndex, rightCount = live.count - highIndex
                let larger = max(leftCount, rightCount), total = leftCount + rightCount
                if larger < live.count,
                   best == nil || larger < best!.larger || (larger == best!.larger && total < best!.total) {
                    best = (d, t, larger, total)
                }
            }
            // Merge the two candidate streams in ascending order so the counters only advance.
            var l = 0, h = 0
            while l < lows.count || h < highs.count {
                let fromLow: UInt64? = l < lows.count ? (lows[l] == 0 ? nil : lows[l] - 1) : nil
                if l < lows.count, fromLow == nil { l += 1; continue }
                if let candidate = fromLow, h >= highs.count || candidate <= highs[h] {
                    consider(candidate)
                    l += 1
                } else {
                    consider(highs[h])
                    h += 1
                }
            }
        }
        return best.map { ($0.dimension, $0.threshold) }
    }
}
