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
