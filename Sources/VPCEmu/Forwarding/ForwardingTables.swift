/// The pipeline's per-packet copy of a `CompiledTopology`: every fact the walk reads by id, in
/// contiguous arrays of plain values (instances, vSwitches, peerings, packed filter rules, FIBs
/// pooled by `FIBPool`), entered once per run of packets through `withView`.
///
/// Why: reading `CompiledTopology`'s nested arrays from the pipeline's mutating walk made Swift
/// copy each element it touched — a security-group pair, an ACL pair, a route table — costing
/// about 18 retain/release pairs per packet (a third of the profile). Through the view's unsafe
/// buffers the walk reads in place. Rebuilt, with the rest of the compiled state, only when a
/// timeline event changes the topology. Filters are evaluated through `FlatFilters`.
struct ForwardingTables {
    /// A missing filter id: no ACL bound (everything passes), or security groups that failed to
    /// compile (the instance's traffic is dropped).
    static let noFilter = UInt32.max

    struct InstanceEntry {
        var vswitch: UInt32
        var egressFilter: UInt32
        var ingressFilter: UInt32
    }

    struct VSwitchEntry {
        var vpc: UInt32
        var table: UInt32
        var egressACL: UInt32
        var ingressACL: UInt32
    }

    struct PeeringEntry {
        var requesterVPC: UInt32
        var accepterVPC: UInt32
        var state: PeeringState?
        var latencyForward: Int64
        var latencyReverse: Int64
    }

    private(set) var instances: ContiguousArray<InstanceEntry> = []
    private(set) var vswitches: ContiguousArray<VSwitchEntry> = []
    private(set) var peerings: ContiguousArray<PeeringEntry> = []
    /// Per VPC: its system route table.
    private(set) var vpcTable: ContiguousArray<UInt32> = []
    private(set) var filters = FlatFilters()
    private var routes: FIBPool<CompiledTopology.RouteSlot>
    /// Per VPC: address -> instance (`CompiledTopology.hosts`).
    private var hosts: HostTablePool
    /// Source attribution, tried in order: the `--bind` blocks (longest match; a pool of none or
    /// one table), then the topology's owners.
    private var bindings: FIBPool<UInt32>
    private var owners: HostTablePool

    /// `hosts`, `owners` and `bindings` do not change with timeline events; the pipeline builds them once.
    init(_ compiled: CompiledTopology, vpcTable: [UInt32], hosts: HostTablePool, owners: HostTablePool, bindings: FIBPool<UInt32>) {
        self.vpcTable = ContiguousArray(vpcTable)
        for (instance, groups) in compiled.instanceFilters.enumerated() {
            var entry = InstanceEntry(vswitch: compiled.instanceVSwitch[instance], egressFilter: Self.noFilter, ingressFilter: Self.noFilter)
            if let groups {
                entry.egressFilter = filters.add(groups.egress.filter)
                entry.ingressFilter = filters.add(groups.ingress.filter)
            }
            instances.append(entry)
        }
        for (vswitch, acl) in compiled.vswitchFilters.enumerated() {
            var entry = VSwitchEntry(vpc: compiled.vswitchVPC[vswitch], table: compiled.vswitchTable[vswitch],
                                     egressACL: Self.noFilter, ingressACL: Self.noFilter)
            if let acl {
                entry.egressACL = filters.add(acl.egress.filter)
                entry.ingressACL = filters.add(acl.ingress.filter)
            }
            vswitches.append(entry)
        }
        peerings = ContiguousArray(compiled.peerings.map {
            PeeringEntry(requesterVPC: $0.requesterVPC, accepterVPC: $0.accepterVPC, state: $0.state,
                         latencyForward: $0.latencyForward.nanoseconds, latencyReverse: $0.latencyReverse.nanoseconds)
        })
        routes = FIBPool(compiled.tables.map(\.fib))
        self.hosts = hosts
        self.owners = owners
        self.bindings = bindings
    }

    /// The tables as unsafe buffers, valid only inside `body`.
    struct View {
        let instances: UnsafeBufferPointer<InstanceEntry>
        let vswitches: UnsafeBufferPointer<VSwitchEntry>
        let peerings: UnsafeBufferPointer<PeeringEntry>
        let vpcTable: UnsafeBufferPointer<UInt32>
        let filters: FlatFilters.View
        let routes: FIBPool<CompiledTopology.RouteSlot>.View
        let hosts: HostTablePool.View
        let owners: HostTablePool.View
        let bindings: FIBPool<UInt32>.View

        /// The instance `address` is attributed to (possibly `CompiledTopology.ambiguousOwner`).
        @inline(__always)
        func owner(of address: IPAddress) -> UInt32? {
            if bindings.entries.count != 0, let bound = bindings.lookup(0, address) { return bound }
            for table in owners.tables.indices {
                if let owner = owners.lookup(table, address) { return owner }
            }
            return nil
        }

        /// The route `table` takes to `address`.
        @inline(__always)
        func route(_ table: UInt32, to address: IPAddress) -> CompiledTopology.RouteSlot? {
            routes.lookup(Int(table), address)
        }

        /// The instance of `vpc` that owns `address`.
        @inline(__always)
        func instance(in vpc: UInt32, owning address: IPAddress) -> UInt32? {
            hosts.lookup(Int(vpc), address)
        }

        /// The verdict of filter `id` (not `noFilter`) for `tuple`.
        @inline(__always)
        func evaluate(_ id: UInt32, _ tuple: FiveTuple) -> FilterVerdict { filters.evaluate(id, tuple) }
    }

    func withView<R>(_ body: (View) throws -> R) rethrows -> R {
        try instances.withUnsafeBufferPointer { instances in
            try vswitches.withUnsafeBufferPointer { vswitches in
                try peerings.withUnsafeBufferPointer { peerings in
                    try vpcTable.withUnsafeBufferPointer { vpcTable in
                        try filters.withView { filters in
                            try routes.withView { routes in
                                try hosts.withView { hosts in
                                    try owners.withView { owners in
                                        try bindings.withView { bindings in
                                            try body(View(instances: instances, vswitches: vswitches, peerings: peerings,
                                                          vpcTable: vpcTable, filters: filters, routes: routes, hosts: hosts,
                                                          owners: owners, bindings: bindings))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Security groups and network ACLs side by side, each a `CompiledFilter` with an id. A filter of
/// up to `linearScanLimit` rules is evaluated by a first-match scan over its packed rules (what
/// the decision tree does in its leaves anyway, without the descent and the batch set-up of a
/// one-tuple `classify`); a larger one keeps its decision tree. Same verdicts either way
/// (`FlatFiltersTests`).
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

