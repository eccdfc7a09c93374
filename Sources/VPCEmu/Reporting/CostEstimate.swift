import Foundation

/// An amount of US dollars in whole micro-dollars (10⁻⁶ USD): exact, and parsed from decimal text without
/// going through binary floating point.
public struct MicroUSD: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var value: Int64

    public init(_ value: Int64) { self.value = value }

    /// Parses a non-negative decimal such as "0.072" with at most six decimals.
    public init?(parsing text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty || parts.count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard fraction.count <= 6, !(parts.count == 2 && fraction.isEmpty),
              let whole = parts[0].isEmpty ? 0 : Int64(parts[0]),
              let fractional = Int64(fraction.padding(toLength: 6, withPad: "0", startingAt: 0))
        else { return nil }
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: 1_000_000)
        guard !overflow, scaled <= Int64.max - fractional else { return nil }
        value = scaled + fractional
    }

    /// "14.400000"-style text is noisy; this prints "14.4".
    public var description: String {
        let whole = value / 1_000_000, fraction = value % 1_000_000
        guard fraction != 0 else { return String(whole) }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 6 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }

    /// The amount in USD as a decimal number (exact, for JSON).
    public var usd: Decimal { Decimal(value) / Decimal(1_000_000) }

    public static func < (lhs: MicroUSD, rhs: MicroUSD) -> Bool { lhs.value < rhs.value }

    /// Encoded as a plain decimal number of USD ("0.072").
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(usd)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let usd = try container.decode(Decimal.self)
        guard let parsed = MicroUSD(parsing: usd.description) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "\(usd) is not a non-negative USD amount with at most six decimals")
        }
        self = parsed
    }
}

/// Prices of inter-region outbound traffic per link type, in USD per GB.
///
/// Alibaba Cloud bills the inter-region traffic of a VPC peering connection by Cloud Data Transfer,
/// pay-by-outbound-data-transfer: each account pays for what its VPCs send to another region, at a unit
/// price per GB that depends on the region pair and service level ("Cross-region data transfers",
/// CDT documentation; the example there: 200 GB outbound at 0.072 USD/GB costs 14.4 USD). Real prices
/// vary, so the table is configurable; the default prices every link type at the documented example's
/// 0.072 USD/GB.
public struct PriceTable: Hashable, Sendable, Codable {
    public var pricePerGB: [InterRegionLinkType: MicroUSD]
    /// Bytes in the billing GB.
    public var bytesPerGB: Int64

    enum CodingKeys: String, CodingKey {
        case pricePerGB = "usd_per_gb", bytesPerGB = "bytes_per_gb"
    }

    /// The documentation writes prices "per GB" without defining the GB, and its example gives the same
    /// 14.4 USD either way. The default is the binary GB (2³⁰ bytes), the unit cloud billing documents that
    /// do define it use for traffic (Tencent Cloud: "the traffic unit conversion ratio is 1:1,024"); set
    /// `bytesPerGB` to 1,000,000,000 for the decimal GB.
    public static let binaryGB: Int64 = 1 << 30
    public static let decimalGB: Int64 = 1_000_000_000
    public static let documentedExamplePrice = MicroUSD(72_000)

    public init(pricePerGB: [InterRegionLinkType: MicroUSD] = [.platinum: documentedExamplePrice, .gold: documentedExamplePrice],
                bytesPerGB: Int64 = PriceTable.binaryGB) {
        self.pricePerGB = pricePerGB
        self.bytesPerGB = bytesPerGB
    }

    /// The cost of `bytes` at `price` per GB, rounded to the nearest micro-dollar (halves round up).
    /// Computed in 128-bit intermediate precision, so no traffic volume loses precision or overflows
    /// (a result beyond Int64 saturates).
    public func cost(bytes: Int64, price: MicroUSD) -> MicroUSD {
        let divisor = UInt64(max(bytesPerGB, 1))
        let product = UInt64(max(bytes, 0)).multipliedFullWidth(by: UInt64(max(price.value, 0)))
        let (low, carry) = product.low.addingReportingOverflow(divisor / 2)
        let high = product.high &+ (carry ? 1 : 0)
        guard high < divisor else { return MicroUSD(.max) }
        let quotient = divisor.dividingFullWidth((high: high, low: low)).quotient
        return MicroUSD(quotient > UInt64(Int64.max) ? .max : Int64(quotient))
    }
}

/// Sums inter-region outbound bytes per account and link type, then prices them.
public struct CostEstimator: Sendable {
    private var usage: [UsageKey: Int64] = [:]

    public init() {}

    /// Traffic that `account` sent over an inter-region peering with `linkType`.
    public mutating func addOutbound(account: String, linkType: InterRegionLinkType, bytes: Int64) {
        usage[UsageKey(account: account, linkType: linkType), default: 0] &+= bytes
    }

    public func estimate(prices: PriceTable) -> CostReport {
        var lines: [CostReport.Line] = []
        var total = MicroUSD(0)
        var unpriced: [InterRegionLinkType] = []
        for key in usage.keys.sorted(by: { ($0.account, $0.linkType) < ($1.account, $1.linkType) }) {
            let bytes = usage[key] ?? 0
            let price = prices.pricePerGB[key.linkType]
            if price == nil, !unpriced.contains(key.linkType) { unpriced.append(key.linkType) }
            let cost = price.map { prices.cost(bytes: bytes, price: $0) }
            if let cost { total.value &+= cost.value }
            lines.append(CostReport.Line(
                account: key.account, linkType: key.linkType, outboundBytes: bytes,
                outboundGB: Decimal(bytes) / Decimal(prices.bytesPerGB),
                usdPerGB: price?.usd, costUSD: cost?.usd))
        }
        return CostReport(lines: lines, totalUSD: total.usd, bytesPerGB: prices.bytesPerGB,
                          unpricedLinkTypes: unpriced.sorted())
    }

    private struct UsageKey: Hashable, Sendable {
        var account: String
        var linkType: InterRegionLinkType
    }
}

/// The cost section of the report.
public struct CostReport: Hashable, Sendable, Codable {
    public struct Line: Hashable, Sendable, Codable {
        public var account: String
        public var linkType: InterRegionLinkType
        public var outboundBytes: Int64
        public var outboundGB: Decimal
        /// nil when the price table has no price for the link type.
        public var usdPerGB: Decimal?
        public var costUSD: Decimal?

        enum CodingKeys: String, CodingKey {
            case account, linkType = "link_type", outboundBytes = "outbound_bytes", outboundGB = "outbound_gb"
            case usdPerGB = "usd_per_gb", costUSD = "cost_usd"
        }
    }

    /// One hourly billing cycle of one inter-region peering (`PeeringBilling`): listed when it carried
    /// traffic or the link type changed in it.
    public struct Cycle: Hashable, Sendable, Codable {
        /// What one side sent in the cycle (sides that sent nothing are left out).
        public struct Sender: Hashable, Sendable, Codable {
            public var direction: PeeringDirectionKey.Direction
            public var account: String
            public var outboundBytes: Int64
            /// nil when the billed link type has no price.
            public var costUSD: Decimal?

            enum CodingKeys: String, CodingKey {
                case direction, account, outboundBytes = "outbound_bytes", costUSD = "cost_usd"
            }
        }

        public var peering: String
        public var index: Int64
        public var start: Int64
        /// In effect at some time in the cycle, in the order they took effect: two after a change.
        public var linkTypes: [InterRegionLinkType]
        public var billedLinkType: InterRegionLinkType
        public var usdPerGB: Decimal?
        public var senders: [Sender]

        enum CodingKeys: String, CodingKey {
            case peering, index, start = "start_ns", linkTypes = "link_types", billedLinkType = "billed_link_type"
            case usdPerGB = "usd_per_gb", senders
        }
    }

    public var lines: [Line]
    public var totalUSD: Decimal
    public var bytesPerGB: Int64
    /// Link types that carried traffic but have no price: their cost is missing from the total.
    public var unpricedLinkTypes: [InterRegionLinkType]
    /// Ascending by peering (topology order), then cycle.
    public var cycles: [Cycle] = []

    public init(lines: [Line], totalUSD: Decimal, bytesPerGB: Int64, unpricedLinkTypes: [InterRegionLinkType], cycles: [Cycle] = []) {
        self.lines = lines
        self.totalUSD = totalUSD
        self.bytesPerGB = bytesPerGB
        self.unpricedLinkTypes = unpricedLinkTypes
        self.cycles = cycles
    }

    enum CodingKeys: String, CodingKey {
        case lines, totalUSD = "total_usd", bytesPerGB = "bytes_per_gb", unpricedLinkTypes = "unpriced_link_types"
        case cycles = "billing_cycles"
    }
}

/// The traffic a replay bills, per hourly billing cycle: each peering direction's bytes over an
/// inter-region peering, priced for the account of the VPC that sent them. Alibaba Cloud's rule
/// (CDT, "Billing of inter-region data transfer"): "The billing cycle is hourly. If you switch the link
/// type within a billing cycle, you are billed at the unit price of the higher level for that
/// cycle." A cycle is a whole hour of emulated time from the timeline's origin (emulated time 0): cycle
/// `k` is `[k h, (k + 1) h)`. Every byte of a cycle in which the link type changed is billed at the
/// link type of the highest price in effect during it; a change at exactly a cycle's start leaves one
/// link type in each cycle. Intra-region peerings (no link type) are free.
///
/// Memory grows with the cycles that carry traffic, not with the span: each direction sums its
/// current cycle, and a cycle it leaves is kept only if it carried bytes.
public struct PeeringBilling: Sendable {
    /// One hour of emulated time, ns.
    public static let cycleLength: Int64 = 3_600_000_000_000

    /// One peering: its name, the accounts of its two sides and its link type through the replay.
    public struct Peering: Sendable {
        public var name: String
        public var requesterAccount: String
        public var accepterAccount: String
        /// The link type from `from` (emulated ns) on, ascending; the first entry also holds before
        /// its `from`. nil: intra-region.
        public var linkTypes: [(from: Int64, linkType: InterRegionLinkType?)]

        public init(name: String, requesterAccount: String, accepterAccount: String, linkTypes: [(from: Int64, linkType: InterRegionLinkType?)]) {
            self.name = name
            self.requesterAccount = requesterAccount
            self.accepterAccount = accepterAccount
            self.linkTypes = linkTypes
        }

        /// The link types in effect at some time in cycle `cycle`, in the order they took effect.
        func linkTypes(inCycle cycle: Int64) -> [InterRegionLinkType] {
            let start = cycle &* PeeringBilling.cycleLength, end = start &+ PeeringBilling.cycleLength
            var types: [InterRegionLinkType] = []
            if let first = (linkTypes.last { $0.from <= start } ?? linkTypes.first)?.linkType { types.append(first) }
            for entry in linkTypes where entry.from > start && entry.from < end {
                if let type = entry.linkType, types.last != type { types.append(type) }
            }
            return types
        }

        /// The cycles in which the link type changed.
        var changedCycles: Set<Int64> {
            var cycles = Set<Int64>()
            for (previous, entry) in zip(linkTypes, linkTypes.dropFirst()) where previous.linkType != entry.linkType {
                let cycle = PeeringBilling.cycle(of: entry.from)
                if entry.from != cycle &* PeeringBilling.cycleLength { cycles.insert(cycle) }
            }
            return cycles
        }

        var isBilled: Bool { linkTypes.contains { $0.linkType != nil } }
    }

    private let peerings: [Peering]
    /// Per peering direction (`2 × peering + direction`, requester→accepter first): the cycle it
    /// is summing and its bytes so far.
    private var current: [(cycle: Int64, bytes: Int64)]
    /// The bytes of cycles a direction has left (traffic out of time order, `--concatenate`, can
    /// return to one).
    private var past: [DirectionCycle: Int64] = [:]

    private struct DirectionCycle: Hashable, Sendable {
        var direction: Int
        var cycle: Int64
    }

    public init(peerings: [Peering]) {
        self.peerings = peerings
        current = Array(repeating: (.min, 0), count: 2 * peerings.count)
    }

    /// The cycle of emulated time `time`, ns (rounded down: a time before the origin is in a negative cycle).
    public static func cycle(of time: Int64) -> Int64 {
        let (quotient, remainder) = time.quotientAndRemainder(dividingBy: cycleLength)
        return remainder < 0 ? quotient - 1 : quotient
    }

    /// `count` IP bytes sent in peering direction `direction` at emulated time `time`.
    public mutating func record(direction: Int, bytes count: Int64, at time: Int64) {
        let cycle = Self.cycle(of: time)
        if current[direction].cycle == cycle {
            current[direction].bytes &+= count
            return
        }
        if current[direction].cycle != .min, peerings[direction / 2].isBilled {
            past[DirectionCycle(direction: direction, cycle: current[direction].cycle), default: 0] &+= current[direction].bytes
        }
        current[direction] = (cycle, count)
    }

    /// The cost per account and billed link type (every link type a peering had during the replay
    /// has a line per side, sent bytes or not), and the cycles that carried traffic or a change.
    public func estimate(prices: PriceTable) -> CostReport {
        var bytes = past
        for (direction, entry) in current.enumerated() where entry.cycle != .min && peerings[direction / 2].isBilled {
            bytes[DirectionCycle(direction: direction, cycle: entry.cycle), default: 0] &+= entry.bytes
        }
        var cost = CostEstimator()
        var cycles: [CostReport.Cycle] = []
        for (id, peering) in peerings.enumerated() where peering.isBilled {
            let accounts = [peering.requesterAccount, peering.accepterAccount]
            let linkTypes = Set(peering.linkTypes.compactMap(\.linkType))
            for account in accounts {
                for linkType in InterRegionLinkType.allCases where linkTypes.contains(linkType) {
                    cost.addOutbound(account: account, linkType: linkType, bytes: 0)
                }
            }
            let changed = peering.changedCycles
            let active = Set(bytes.keys.filter { $0.direction / 2 == id }.map(\.cycle))
            for index in changed.union(active).sorted() {
                let inEffect = peering.linkTypes(inCycle: index)
                guard let billed = Self.billedLinkType(inEffect, prices: prices) else { continue }
                let price = prices.pricePerGB[billed]
                var senders: [CostReport.Cycle.Sender] = []
                for (side, direction) in PeeringDirectionKey.Direction.allCases.enumerated() {
                    let sent = bytes[DirectionCycle(direction: 2 * id + side, cycle: index)] ?? 0
                    guard sent > 0 else { continue }
                    cost.addOutbound(account: accounts[side], linkType: billed, bytes: sent)
                    senders.append(.init(direction: direction, account: accounts[side], outboundBytes: sent,
                                         costUSD: price.map { prices.cost(bytes: sent, price: $0).usd }))
                }
                cycles.append(.init(peering: peering.name, index: index, start: index &* Self.cycleLength, linkTypes: inEffect,
                                    billedLinkType: billed, usdPerGB: price?.usd, senders: senders))
            }
        }
        var report = cost.estimate(prices: prices)
        report.cycles = cycles
        return report
    }

    /// Of the link types in effect during a cycle, the one it is billed at: the highest price, the
    /// higher level (Platinum) on a tie. A link type without a price is billed (its cost unknown,
    /// listed in `unpriced_link_types`) rather than guessed lower.
    static func billedLinkType(_ linkTypes: [InterRegionLinkType], prices: PriceTable) -> InterRegionLinkType? {
        if let unpriced = linkTypes.first(where: { prices.pricePerGB[$0] == nil }) { return unpriced }
        let levels = InterRegionLinkType.allCases  // highest level first
        return linkTypes.max { a, b in
            let (pa, pb) = (prices.pricePerGB[a]!, prices.pricePerGB[b]!)
            return pa != pb ? pa < pb : levels.firstIndex(of: a)! > levels.firstIndex(of: b)!
        }
    }
}
