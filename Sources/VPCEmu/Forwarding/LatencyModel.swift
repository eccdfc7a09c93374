/// The modeled one-way latency of a hop between VPCs, in emulated nanoseconds.
///
/// Within a region every hop costs `intraRegion`. Between regions the latency comes from a table of
/// region pairs (symmetric: A→B and B→A are the same entry) that the topology file declares; a pair that
/// is missing is an error, never a silent zero. `linkTypeAdjustment` adds a per-link-type amount to
/// inter-region hops and is empty by default: Alibaba Cloud describes Platinum as meant for latency- and
/// jitter-sensitive traffic and Gold for traffic that is not, but documents no latency figure for either,
/// so the emulator does not invent a difference (see docs/forwarding-metering.md).
///
/// Look latencies up on the slow path (when the topology is compiled) and keep the result with the
/// compiled peering; the dictionaries here are not meant for the per-packet loop.
public struct LatencyModel: Sendable, Equatable {
    /// One-way latency inside a region. The default, 1 ms, is half of the 2 ms round trip that cloud
    /// providers quote as the upper bound between zones of one region; a peering inside a region usually
    /// joins VPCs whose instances sit in different zones.
    public var intraRegion: Int64
    public var interRegion: [RegionPair: Int64]
    public var linkTypeAdjustment: [InterRegionLinkType: Int64]

    public static let defaultIntraRegion: Int64 = 1_000_000

    public init(
        intraRegion: Int64 = LatencyModel.defaultIntraRegion,
        interRegion: [RegionPair: Int64] = [:],
        linkTypeAdjustment: [InterRegionLinkType: Int64] = [:]
    ) {
        self.intraRegion = intraRegion
        self.interRegion = interRegion
        self.linkTypeAdjustment = linkTypeAdjustment
    }

    /// The one-way latency from a VPC in `source` to a VPC in `destination`; `linkType` is the peering's
    /// link type for an inter-region hop (ignored within a region).
    public func oneWayLatency(
        from source: String, to destination: String, linkType: InterRegionLinkType? = nil
    ) throws(LookupError) -> Int64 {
        if source == destination { return intraRegion }
        let pair = RegionPair(source, destination)
        guard let base = interRegion[pair] else { throw .missingRegionPair(pair) }
        guard let linkType, let adjustment = linkTypeAdjustment[linkType] else { return base }
        return base + adjustment
    }

    /// Two region names in a canonical order, so that one entry serves both directions.
    public struct RegionPair: Hashable, Sendable, Codable, CustomStringConvertible {
        public let first: String
        public let second: String

        public init(_ a: String, _ b: String) {
            (first, second) = a <= b ? (a, b) : (b, a)
        }

        public var description: String { "\(first) ↔ \(second)" }
    }

    public enum LookupError: Error, Equatable, CustomStringConvertible {
        case missingRegionPair(RegionPair)

        public var description: String {
            switch self {
            case .missingRegionPair(let pair): "no one-way latency declared for the region pair \(pair)"
            }
        }
    }
}
