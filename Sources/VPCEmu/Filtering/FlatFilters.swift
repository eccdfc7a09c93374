/// Security groups and network ACLs side by side, each a `CompiledFilter` with an id. A filter of
/// up to `linearScanLimit` rules is evaluated by a first-match scan over its packed rules (what
/// the decision tree does in its leaves anyway, without the descent and the batch set-up of a
/// one-tuple `classify`); a larger one keeps its decision tree. Same verdicts either way
/// (`DataPlaneViewTests`).
struct FlatFilters {
    /// Filters with more rules than this keep their decision tree.
    static let linearScanLimit = 32

    /// One filter: its rules are `rules[start ..< start + count]`, unless `tree` (≥ 0) names its
    /// decision tree in `trees`.
    struct Span {
        var start: Int
        var count: Int
        var tree: Int
        var defaultVerdict: FilterVerdict
    }

    private var spans: ContiguousArray<Span> = []
    private var rules: ContiguousArray<PackedRule> = []
    private var ruleVerdicts: ContiguousArray<FilterVerdict> = []
    private var trees: ContiguousArray<CompiledFilter> = []

    var count: Int { spans.count }

    /// Appends `filter` and returns its id.
    mutating func add(_ filter: CompiledFilter) -> UInt32 {
        let packed = filter.classifier.rules
        var span = Span(start: rules.count, count: packed.count, tree: -1, defaultVerdict: filter.defaultVerdict)
        if packed.count > Self.linearScanLimit {
            span.tree = trees.count
            trees.append(filter)
        } else {
            rules.append(contentsOf: packed)
            ruleVerdicts.append(contentsOf: filter.ruleVerdicts)
        }
        spans.append(span)
        return UInt32(spans.count - 1)
    }

    struct View {
        let spans: UnsafeBufferPointer<Span>
        let rules: UnsafeBufferPointer<PackedRule>
        let ruleVerdicts: UnsafeBufferPointer<FilterVerdict>
        let trees: UnsafeBufferPointer<CompiledFilter>

        /// The verdict of filter `id` for `tuple`: its first matching rule's, else its default.
        @inline(__always)
        func evaluate(_ id: UInt32, _ tuple: FiveTuple) -> FilterVerdict {
            let span = spans[Int(id)]
            if span.tree >= 0 { return trees[span.tree].evaluate(tuple) }
            var rule = span.start
            let end = span.start &+ span.count
            while rule < end {
                if rules[rule].matches(tuple) { return ruleVerdicts[rule] }
                rule &+= 1
            }
            return span.defaultVerdict
        }
    }

    func withView<R>(_ body: (View) throws -> R) rethrows -> R {
        try spans.withUnsafeBufferPointer { spans in
            try rules.withUnsafeBufferPointer { rules in
                try ruleVerdicts.withUnsafeBufferPointer { ruleVerdicts in
                    try trees.withUnsafeBufferPointer { trees in
                        try body(View(spans: spans, rules: rules, ruleVerdicts: ruleVerdicts, trees: trees))
                    }
                }
            }
        }
    }
}

