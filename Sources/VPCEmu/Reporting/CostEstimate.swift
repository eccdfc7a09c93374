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

    public var lines: [Line]
    public var totalUSD: Decimal
    public var bytesPerGB: Int64
    /// Link types that carried traffic but have no price: their cost is missing from the total.
    public var unpricedLinkTypes: [InterRegionLinkType]

    enum CodingKeys: String, CodingKey {
        case lines, totalUSD = "total_usd", bytesPerGB = "bytes_per_gb", unpricedLinkTypes = "unpriced_link_types"
    }
}

/// The traffic a replay bills: each peering direction's bytes over an inter-region peering, priced
/// for the account of the VPC that sent them at the link type in effect when they were sent
/// (intra-region peerings, without a link type, are free).
public struct PeeringBilling: Sendable {
    /// One peering: the accounts of its two sides and its link type through the replay.
    public struct Peering: Sendable {
        public var requesterAccount: String
        public var accepterAccount: String
        /// The link type from `from` (emulated ns) on, ascending; the first entry also holds before
        /// its `from`. nil: intra-region at that time.
        public var linkTypes: [(from: Int64, linkType: InterRegionLinkType?)]

        public init(requesterAccount: String, accepterAccount: String, linkTypes: [(from: Int64, linkType: InterRegionLinkType?)]) {
            self.requesterAccount = requesterAccount
            self.accepterAccount = accepterAccount
            self.linkTypes = linkTypes
        }

        func linkType(at time: Int64) -> InterRegionLinkType? {
            (linkTypes.last { $0.from <= time } ?? linkTypes.first)?.linkType
        }
    }

    private let peerings: [Peering]
    private static let linkTypes = InterRegionLinkType.allCases
    /// Bytes per peering direction (`2 × peering + direction`, requester→accepter first) and link
    /// type in effect when they were sent (`direction × linkTypes.count + position in linkTypes`).
    private var bytes: [Int64]

    public init(peerings: [Peering]) {
        self.peerings = peerings
        bytes = Array(repeating: 0, count: 2 * peerings.count * Self.linkTypes.count)
    }

    /// `count` IP bytes sent in peering direction `direction` at emulated time `time`.
    public mutating func record(direction: Int, bytes count: Int64, at time: Int64) {
        guard let linkType = peerings[direction / 2].linkType(at: time), let position = Self.linkTypes.firstIndex(of: linkType) else { return }
        bytes[direction * Self.linkTypes.count + position] &+= count
    }

    /// The cost per account and link type: every link type a peering had during the replay has a
    /// line per side, sent bytes or not.
    public func estimate(prices: PriceTable) -> CostReport {
        var cost = CostEstimator()
        for (id, peering) in peerings.enumerated() {
            let linkTypes = Set(peering.linkTypes.compactMap(\.linkType))
            for (side, account) in [peering.requesterAccount, peering.accepterAccount].enumerated() {
                for (position, linkType) in Self.linkTypes.enumerated() where linkTypes.contains(linkType) {
                    cost.addOutbound(account: account, linkType: linkType, bytes: bytes[(2 * id + side) * Self.linkTypes.count + position])
                }
            }
        }
        return cost.estimate(prices: prices)
    }
}
