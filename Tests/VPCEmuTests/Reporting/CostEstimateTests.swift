import Foundation
import Testing
@testable import VPCEmu

@Suite struct CostEstimateTests {
    /// The documented example: 200 GB of inter-region outbound traffic at 0.072 USD/GB costs 14.4 USD —
    /// whichever GB the table uses, as long as the traffic is measured in the same GB.
    @Test(arguments: [PriceTable.binaryGB, PriceTable.decimalGB])
    func theDocumentedExampleCosts14point4USD(bytesPerGB: Int64) throws {
        var estimator = CostEstimator()
        estimator.addOutbound(account: "account-a", linkType: .gold, bytes: 150 * bytesPerGB)
        estimator.addOutbound(account: "account-a", linkType: .gold, bytes: 50 * bytesPerGB)
        let price = try #require(MicroUSD(parsing: "0.072"))
        let report = estimator.estimate(prices: PriceTable(pricePerGB: [.gold: price], bytesPerGB: bytesPerGB))
        #expect(report.totalUSD == Decimal(string: "14.4"))
        #expect(report.lines.count == 1)
        #expect(report.lines.first?.outboundGB == 200)
        #expect(report.lines.first?.costUSD == Decimal(string: "14.4"))
        #expect(report.unpricedLinkTypes.isEmpty)
    }

    @Test func theDefaultTableUsesTheBinaryGBAndTheExamplePrice() {
        let table = PriceTable()
        #expect(table.bytesPerGB == 1_073_741_824)
        #expect(table.pricePerGB == [.platinum: MicroUSD(72_000), .gold: MicroUSD(72_000)])
        #expect(table.cost(bytes: 200 * 1_073_741_824, price: MicroUSD(72_000)) == MicroUSD(14_400_000))
        // 200 decimal GB are only 186.26 binary GB.
        #expect(table.cost(bytes: 200_000_000_000, price: MicroUSD(72_000)) == MicroUSD(13_411_045))
    }

    @Test func costsRoundToTheNearestMicroDollarAndNeverOverflow() {
        let table = PriceTable(pricePerGB: [:], bytesPerGB: 1 << 30)
        #expect(table.cost(bytes: 1 << 29, price: MicroUSD(1)) == MicroUSD(1))            // exactly half: up
        #expect(table.cost(bytes: (1 << 29) - 1, price: MicroUSD(1)) == MicroUSD(0))
        #expect(table.cost(bytes: .max, price: MicroUSD(72_000)) == MicroUSD(618_475_290_624_000))
        #expect(PriceTable(pricePerGB: [:], bytesPerGB: 1).cost(bytes: .max, price: MicroUSD(.max)) == MicroUSD(.max))
    }

    @Test func accountsAndLinkTypesArePricedSeparatelyAndMissingPricesAreReported() {
        var estimator = CostEstimator()
        estimator.addOutbound(account: "b", linkType: .platinum, bytes: 1 << 30)
        estimator.addOutbound(account: "a", linkType: .gold, bytes: 10 << 30)
        estimator.addOutbound(account: "a", linkType: .platinum, bytes: 2 << 30)
        let report = estimator.estimate(prices: PriceTable(pricePerGB: [.gold: MicroUSD(50_000)]))
        #expect(report.lines.map(\.account) == ["a", "a", "b"])
        #expect(report.lines.map(\.linkType) == [.gold, .platinum, .platinum])
        #expect(report.lines.map(\.costUSD) == [Decimal(string: "0.5"), nil, nil])
        #expect(report.totalUSD == Decimal(string: "0.5"))
        #expect(report.unpricedLinkTypes == [.platinum])
    }

    @Test func pricesParseFromDecimalTextExactly() {
        #expect(MicroUSD(parsing: "0.072") == MicroUSD(72_000))
        #expect(MicroUSD(parsing: "14.4") == MicroUSD(14_400_000))
        #expect(MicroUSD(parsing: ".5") == MicroUSD(500_000))
        #expect(MicroUSD(parsing: "3") == MicroUSD(3_000_000))
        for bad in ["", ".", "1.", "-1", "1e3", "0.0000001", "1.2.3", "abc", "٣"] {
            #expect(MicroUSD(parsing: bad) == nil, "\(bad)")
        }
        #expect(MicroUSD(14_400_000).description == "14.4")
        #expect(MicroUSD(72_000).description == "0.072")
        #expect(MicroUSD(5).description == "0.000005")
    }

    @Test func priceTablesRoundTripThroughJSON() throws {
        let table = PriceTable(pricePerGB: [.gold: MicroUSD(72_000), .platinum: MicroUSD(123_456)], bytesPerGB: 1_000_000_000)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(table), as: UTF8.self)
        #expect(json == #"{"bytes_per_gb":1000000000,"usd_per_gb":{"gold":0.072,"platinum":0.123456}}"#)
        #expect(try JSONDecoder().decode(PriceTable.self, from: Data(json.utf8)) == table)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(PriceTable.self, from: Data(#"{"bytes_per_gb":1,"usd_per_gb":{"gold":-1}}"#.utf8))
        }
    }
}

/// Hourly billing cycles (`PeeringBilling`) against a reference that looks at every record alone.
@Suite struct BillingCycleTests {
    static let hour = PeeringBilling.cycleLength

    /// The reference: a record's cycle is its hour; the link types in effect in that hour are the one
    /// at its start and each that starts inside it; the record is billed at the dearest of them.
    static func referenceBytes(_ peering: PeeringBilling.Peering, records: [(direction: Int, bytes: Int64, time: Int64)],
                               prices: PriceTable) -> [String: [InterRegionLinkType: Int64]] {
        var out: [String: [InterRegionLinkType: Int64]] = [:]
        for record in records {
            let cycle = record.time / hour  // the records' times are not negative
            let start = cycle * hour
            var types: [InterRegionLinkType] = []
            let atStart = peering.linkTypes.last { $0.from <= start } ?? peering.linkTypes.first
            if let type = atStart?.linkType { types.append(type) }
            types += peering.linkTypes.filter { $0.from > start && $0.from < start + hour }.compactMap(\.linkType)
            let billed = types.max { a, b in
                let (pa, pb) = (prices.pricePerGB[a]!, prices.pricePerGB[b]!)
                return pa != pb ? pa < pb : (a == .gold && b == .platinum)
            }!
            let account = record.direction == 0 ? peering.requesterAccount : peering.accepterAccount
            out[account, default: [:]][billed, default: 0] += record.bytes
        }
        return out
    }

    @Test(arguments: 1...40 as ClosedRange<UInt64>)
    func billingMatchesTheReferenceOnRandomSchedules(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        func below(_ n: Int64) -> Int64 { Int64(random.next() % UInt64(n)) }
        var linkTypes: [(from: Int64, linkType: InterRegionLinkType?)] = [(0, below(2) == 0 ? .gold : .platinum)]
        var time: Int64 = 0
        for _ in 0..<Int(below(6)) {
            // Some changes exactly on an hour, most inside one.
            time += below(3) == 0 ? (below(3) + 1) * Self.hour - time % Self.hour : below(2 * Self.hour) + 1
            linkTypes.append((time, below(2) == 0 ? .gold : .platinum))
        }
        let peering = PeeringBilling.Peering(name: "pcx", requesterAccount: "a", accepterAccount: "b", linkTypes: linkTypes)
        let prices = PriceTable(pricePerGB: [.gold: MicroUSD(50_000 + below(3) * 20_000), .platinum: MicroUSD(70_000)])
        var records: [(direction: Int, bytes: Int64, time: Int64)] = []
        var clock: Int64 = 0
        for _ in 0..<500 {
            // Mostly in time order, sometimes back (concatenated captures).
            clock = below(10) == 0 ? below(clock + 1) : clock + below(Self.hour / 20)
            records.append((Int(below(2)), below(1500) + 1, clock))
        }
        var billing = PeeringBilling(peerings: [peering])
        for record in records { billing.record(direction: record.direction, bytes: record.bytes, at: record.time) }
        let report = billing.estimate(prices: prices)
        var fast: [String: [InterRegionLinkType: Int64]] = [:]
        for line in report.lines where line.outboundBytes > 0 { fast[line.account, default: [:]][line.linkType] = line.outboundBytes }
        #expect(fast == Self.referenceBytes(peering, records: records, prices: prices))
        // The cycles hold the same bytes, each cycle once, ascending.
        #expect(report.cycles.flatMap(\.senders).map(\.outboundBytes).reduce(0, +) == records.map(\.bytes).reduce(0, +))
        #expect(report.cycles.map(\.index) == report.cycles.map(\.index).sorted() && Set(report.cycles.map(\.index)).count == report.cycles.count)
    }

    /// Two packets a year apart and one change: three cycles listed, however long the span.
    @Test func aYearLongReplayListsOnlyTheCyclesWithTrafficOrAChange() {
        let year = 365 * 24 * Self.hour
        let peering = PeeringBilling.Peering(name: "pcx", requesterAccount: "a", accepterAccount: "b",
                                             linkTypes: [(0, .gold), (year / 2 + 60, .platinum)])
        var billing = PeeringBilling(peerings: [peering])
        billing.record(direction: 0, bytes: 100, at: 5)
        billing.record(direction: 1, bytes: 200, at: year)
        let report = billing.estimate(prices: PriceTable())
        #expect(report.cycles.map(\.index) == [0, year / 2 / Self.hour, year / Self.hour])
        #expect(report.cycles.map(\.linkTypes) == [[.gold], [.gold, .platinum], [.platinum]])
        #expect(report.cycles[1].senders.isEmpty)
        #expect(report.cycles.map(\.billedLinkType) == [.gold, .platinum, .platinum])
    }

    /// A change exactly at an hour's start does not mix the hours on either side of it.
    @Test func aChangeOnTheHourStartsTheNextCycleAlone() {
        let peering = PeeringBilling.Peering(name: "pcx", requesterAccount: "a", accepterAccount: "b",
                                             linkTypes: [(0, .platinum), (Self.hour, .gold)])
        var billing = PeeringBilling(peerings: [peering])
        billing.record(direction: 0, bytes: 10, at: Self.hour - 1)
        billing.record(direction: 0, bytes: 20, at: Self.hour)
        let report = billing.estimate(prices: PriceTable(pricePerGB: [.gold: MicroUSD(50_000), .platinum: MicroUSD(90_000)]))
        #expect(report.cycles.map(\.billedLinkType) == [.platinum, .gold])
        #expect(report.lines.filter { $0.outboundBytes > 0 }.map(\.linkType) == [.gold, .platinum])
    }

    /// A cycle with a link type the table has no price for is billed at it, unpriced, not guessed lower.
    @Test func anUnpricedLinkTypeInAChangedCycleIsReportedNotGuessed() {
        let peering = PeeringBilling.Peering(name: "pcx", requesterAccount: "a", accepterAccount: "b",
                                             linkTypes: [(0, .gold), (60, .platinum)])
        var billing = PeeringBilling(peerings: [peering])
        billing.record(direction: 0, bytes: 1 << 30, at: 10)
        let report = billing.estimate(prices: PriceTable(pricePerGB: [.gold: MicroUSD(50_000)]))
        #expect(report.cycles.map(\.billedLinkType) == [.platinum])
        #expect(report.cycles.first?.senders.first?.costUSD == nil)
        #expect(report.unpricedLinkTypes == [.platinum])
        #expect(report.totalUSD == 0)
    }
}
