/// The bandwidth limit and link type of every peering through a replay, computed before it starts
/// by stepping the topology's timeline through each change (docs/forwarding.md, "Timeline changes").
/// The pipeline's token buckets follow `modify_peering` as it happens; this schedule lets the meter
/// measure each interval against the limit then in effect and the cost estimate price each byte at
/// the link type it was sent on.
public struct PeeringTermsSchedule: Sendable {
    public struct Terms: Hashable, Sendable {
        /// Emulated time (ns) from which these terms hold.
        public var from: Int64
        /// The inter-region bandwidth limit in bit/s; nil when the peering is not limited.
        public var rateLimitBitsPerSecond: Int64?
        /// nil for intra-region peerings, which are not billed.
        public var linkType: InterRegionLinkType?
    }

    /// Per peering name, its terms in time order (a new entry only where something changed).
    public let termsByPeering: [String: [Terms]]

    public init(topology: Topology) {
        var timeline = TopologyTimeline(topology: topology)
        var terms: [String: [Terms]] = [:]
        func record(at time: Int64) {
            for peering in timeline.state.peerings {
                let current = Terms(from: time, rateLimitBitsPerSecond: peering.bandwidthMbps.map { Int64($0) * 1_000_000 },
                                    linkType: peering.linkType)
                if let last = terms[peering.name]?.last, last.rateLimitBitsPerSecond == current.rateLimitBitsPerSecond,
                   last.linkType == current.linkType { continue }
                terms[peering.name, default: []].append(current)
            }
        }
        record(at: 0)
        while let next = timeline.nextChangeTime {
            timeline.advance(to: next)
            record(at: next.nanoseconds)
        }
        termsByPeering = terms
    }

    /// The terms of `peering` at `time` (the first ones before they start); nil for an unknown peering.
    public func terms(of peering: String, at time: Int64) -> Terms? {
        termsByPeering[peering].flatMap { Self.terms(in: $0, at: time) }
    }

    /// The entry of one peering's `terms` (in time order) in effect at `time`; the first before they start.
    static func terms(in terms: [Terms], at time: Int64) -> Terms? {
        terms.last { $0.from <= time } ?? terms.first
    }

    /// The limit changes after the first terms, in the meter's form.
    public func rateLimitChanges(of peering: String) -> [MeteredDirection.RateLimitChange] {
        var changes: [MeteredDirection.RateLimitChange] = []
        var limit = termsByPeering[peering]?.first?.rateLimitBitsPerSecond
        for terms in termsByPeering[peering]?.dropFirst() ?? [] where terms.rateLimitBitsPerSecond != limit {
            changes.append(.init(time: terms.from, bitsPerSecond: terms.rateLimitBitsPerSecond))
            limit = terms.rateLimitBitsPerSecond
        }
        return changes
    }
}
