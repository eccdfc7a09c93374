import Foundation
import Testing
@testable import VPCEmu

@Suite struct AddressMapTests {
    static func rules(_ texts: String...) throws -> AddressMap {
        try AddressMap(texts.map { text throws(AddressMap.RuleError) in try AddressMap.Rule(parsing: text) })
    }

    @Test func parsesBlocksAndHostsAndRefusesBadRules() throws {
        let rule = try AddressMap.Rule(parsing: "192.168.1.0/24=10.0.1.0/24")
        let from = try IPNetwork(parsing: "192.168.1.0/24"), to = try IPNetwork(parsing: "10.0.1.0/24")
        #expect(rule.from == from && rule.to == to)
        #expect(try AddressMap.Rule(parsing: "1.2.3.4=10.0.0.5").from.prefixLength == 32)
        #expect(try AddressMap.Rule(parsing: "2001:db8::/32=fd00::/32").to.family == .ipv6)
        #expect(throws: AddressMap.RuleError.malformed("10.0.0.0/8")) { try AddressMap.Rule(parsing: "10.0.0.0/8") }
        #expect(throws: AddressMap.RuleError.badBlock("10.0.0.1/8=11.0.0.0/8", .hostBitsSet("10.0.0.1/8", network: "10.0.0.0/8"))) {
            try AddressMap.Rule(parsing: "10.0.0.1/8=11.0.0.0/8")
        }
        let slash8 = try IPNetwork(parsing: "10.0.0.0/8"), slash16 = try IPNetwork(parsing: "11.0.0.0/16")
        #expect(throws: AddressMap.RuleError.lengthMismatch(from: slash8, to: slash16)) { try AddressMap.Rule(parsing: "10.0.0.0/8=11.0.0.0/16") }
        #expect(throws: AddressMap.RuleError.self) { try AddressMap.Rule(parsing: "10.0.0.0/8=fd00::/8") }
        let error = #expect(throws: AddressMap.RuleError.self) { try Self.rules("10.0.0.0/8=11.0.0.0/8", "10.1.0.0/16=12.1.0.0/16") }
        #expect(error?.description == "--map 10.0.0.0/8=11.0.0.0/8 and --map 10.1.0.0/16=12.1.0.0/16: the FROM blocks overlap")
    }

    /// The compiled map against a linear scan of the rules, on seeded random addresses drawn
    /// mostly inside the FROM blocks.
    @Test func mapAgreesWithALinearScan() throws {
        var random = SeededGenerator(seed: 1624)
        var rules: [AddressMap.Rule] = []
        while rules.count < 40 {
            let family: AddressFamily = rules.count % 2 == 0 ? .ipv4 : .ipv6
            let length = Int.random(in: family == .ipv4 ? 4...32 : 8...128, using: &random)
            let from = IPNetwork(address: AddressRewriterTests.randomAddress(family, &random), prefixLength: length)
            let to = IPNetwork(address: AddressRewriterTests.randomAddress(family, &random), prefixLength: length)
            guard !rules.contains(where: { $0.from.overlaps(from) }) else { continue }
            rules.append(try AddressMap.Rule(from: from, to: to))
        }
        let map = try AddressMap(rules)
        func slow(_ address: IPAddress) -> IPAddress {
            guard let rule = rules.first(where: { $0.from.contains(address) }) else { return address }
            let (a, m, t) = (address.bits, IPNetwork(address: address, prefixLength: rule.from.prefixLength).address.bits, rule.to.address.bits)
            let bits = (a.high ^ m.high | t.high, a.low ^ m.low | t.low)  // host bits of `address` into TO
            return address.family == .ipv4 ? .v4(IPv4Address(UInt32(bits.1))) : .v6(IPv6Address(high: bits.0, low: bits.1))
        }
        var mapped = 0
        for index in 0..<20_000 {
            let rule = rules[index % rules.count]
            var address = AddressRewriterTests.randomAddress(rule.from.family, &random)
            if index % 4 != 0 {  // inside the rule's block: its network bits, random host bits
                let network = rule.from.address.bits
                let host = IPNetwork(address: address, prefixLength: rule.from.prefixLength).address.bits
                let bits = (address.bits.high ^ host.high | network.high, address.bits.low ^ host.low | network.low)
                address = address.family == .ipv4 ? .v4(IPv4Address(UInt32(bits.1))) : .v6(IPv6Address(high: bits.0, low: bits.1))
            }
            #expect(map.map(address) == slow(address), "\(address)")
            if map.map(address) != address { mapped += 1 }
        }
        #expect(mapped > 10_000)
    }

    /// Every IP packet of the tcpdump corpus whose checksums verify, rewritten by a map that
    /// moves every address (top bit flipped), still verifies and carries the mapped addresses.
    @Test(.needsSharedData) func corpusPacketsRewriteWithValidChecksums() throws {
        let map = try Self.rules("0.0.0.0/1=128.0.0.0/1", "128.0.0.0/1=0.0.0.0/1", "::/1=8000::/1", "8000::/1=::/1")
        var rewritten = 0, families = Set<AddressFamily>()
        for (name, path) in try SharedData.tcpdumpCorpusFiles() {
            guard let reader = try? PcapReader(path: path) else { continue }
            var batch = PacketBatch()
            while (try? reader.nextBatch(into: &batch)) == true {
                for index in 0..<batch.count {
                    var frame = batch.withUnsafeBytes { Array(batch.frame(index, in: $0)) }
                    let (before, original) = AddressRewriterTests.verified(frame, linkType: reader.linkType)
                    guard before == .ip, !original.isSnapped, !original.fragment.isFragment else { continue }
                    var headers = PacketHeaders()
                    let changed = frame.withUnsafeMutableBytes { map.rewrite($0, linkType: reader.linkType, wireLength: nil, headers: &headers) }
                    #expect(changed)
                    let (after, parsed) = AddressRewriterTests.verified(frame, linkType: reader.linkType)
                    #expect(after == .ip, "\(name) record \(batch.firstRecordIndex + index)")
                    #expect(parsed.source == map.map(original.source) && parsed.destination == map.map(original.destination))
                    rewritten += 1
                    families.insert(parsed.family)
                }
            }
        }
        #expect(rewritten > 3_000 && families == [.ipv4, .ipv6])
    }

    /// A batch rewritten in place: mapped packets change, others and non-IP frames stay as they were.
    @Test func batchRewriteTouchesOnlyMappedPackets() throws {
        let map = try Self.rules("192.168.1.0/24=172.16.1.0/24")
        let frames = [
            PacketBuilder.frame(for: PacketSpec(ethernet: EthernetSpec(), source: address("192.168.1.11"), destination: address("209.87.249.18"),
                                                transport: .udp(sourcePort: 1, destinationPort: 53))),
            PacketBuilder.frame(for: PacketSpec(ethernet: EthernetSpec(), source: address("10.0.0.1"), destination: address("10.0.0.2"),
                                                transport: .udp(sourcePort: 1, destinationPort: 53))),
            [UInt8](repeating: 0xAB, count: 30),
        ]
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("map-\(UUID()).pcap").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try PcapWriter(path: path, linkType: .ethernet)
        for frame in frames { frame.withUnsafeBytes { writer.write($0, timestamp: 1) } }
        try writer.finish()
        var batch = PacketBatch()
        #expect(try PcapReader(path: path).nextBatch(into: &batch))
        map.rewrite(&batch)
        let after = batch.withUnsafeBytes { bytes in (0..<batch.count).map { Array(batch.frame($0, in: bytes)) } }
        #expect(AddressRewriterTests.verified(after[0]).1.source == address("172.16.1.11"))
        #expect(after[1] == frames[1] && after[2] == frames[2])
    }
}
