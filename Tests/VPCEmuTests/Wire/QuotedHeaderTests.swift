import Testing
@testable import VPCEmu

/// `QuotedHeader.decode` on ICMP and ICMPv6 errors built around known probes, on every cut of
/// the quote (never a trap; a quote without its addresses and first 8 transport bytes is nil),
/// and on packets that are not errors.
@Suite struct QuotedHeaderTests {
    static let probes: [PacketSpec] = [
        PacketSpec(source: address("10.0.0.1"), destination: address("10.0.0.2"), transport: .udp(sourcePort: 5000, destinationPort: 53)),
        PacketSpec(source: address("10.0.0.1"), destination: address("10.0.0.2"),
                   transport: .tcp(TCPSegmentSpec(sourcePort: 4000, destinationPort: 443, flags: [.syn]))),
        PacketSpec(source: address("10.0.0.1"), destination: address("10.0.0.2"), transport: .icmpEcho(isRequest: true, identifier: 77, sequence: 1)),
        PacketSpec(source: address("2001:db8::1"), destination: address("2001:db8::2"), transport: .udp(sourcePort: 5000, destinationPort: 33_434)),
    ]

    static func error(quoting probe: PacketSpec, cut: Int? = nil) -> (bytes: [UInt8], headers: PacketHeaders) {
        var quote = PacketBuilder.frame(for: probe)
        if let cut { quote = Array(quote.prefix(cut)) }
        let isVersion4 = probe.family == .ipv4
        let frame = PacketBuilder.frame(for: PacketSpec(source: probe.destination, destination: probe.source,
                                                        transport: .icmpMessage(type: isVersion4 ? 3 : 1, code: isVersion4 ? 3 : 4, restOfHeader: 0),
                                                        payload: quote))
        var headers = PacketHeaders()
        _ = frame.withUnsafeBytes { PacketParser.parse($0, linkType: .raw, into: &headers) }
        return (frame, headers)
    }

    @Test(arguments: probes)
    func decodesTheQuotedProbe(probe: PacketSpec) throws {
        let (frame, headers) = Self.error(quoting: probe)
        let quoted = try #require(frame.withUnsafeBytes { QuotedHeader.decode($0, headers: headers) })
        var probeHeaders = PacketHeaders()
        _ = PacketBuilder.frame(for: probe).withUnsafeBytes { PacketParser.parse($0, linkType: .raw, into: &probeHeaders) }
        #expect(quoted.family == probeHeaders.family)
        #expect((quoted.sourceHigh, quoted.sourceLow) == (probeHeaders.sourceHigh, probeHeaders.sourceLow))
        #expect((quoted.destinationHigh, quoted.destinationLow) == (probeHeaders.destinationHigh, probeHeaders.destinationLow))
        #expect(quoted.ipProtocol == probeHeaders.ipProtocol)
        #expect(quoted.sourcePort == probeHeaders.sourcePort && quoted.destinationPort == probeHeaders.destinationPort)
        #expect(quoted.icmpType == probeHeaders.icmpType && quoted.icmpIdentifier == probeHeaders.icmpIdentifier)
    }

    @Test(arguments: probes)
    func everyCutOfTheQuoteIsNilOrWhole(probe: PacketSpec) {
        let whole = PacketBuilder.frame(for: probe).count
        let needed = (probe.family == .ipv4 ? 20 : 40) + 8
        for cut in 0..<whole {
            let (frame, headers) = Self.error(quoting: probe, cut: cut)
            let quoted = frame.withUnsafeBytes { QuotedHeader.decode($0, headers: headers) }
            #expect((quoted != nil) == (cut >= needed), "cut at \(cut)")
        }
    }

    @Test func packetsThatAreNotErrorsQuoteNothing() {
        for probe in Self.probes {
            let frame = PacketBuilder.frame(for: probe)
            var headers = PacketHeaders()
            _ = frame.withUnsafeBytes { PacketParser.parse($0, linkType: .raw, into: &headers) }
            #expect(!QuotedHeader.isError(headers))
            #expect(frame.withUnsafeBytes { QuotedHeader.decode($0, headers: headers) } == nil)
        }
    }
}
