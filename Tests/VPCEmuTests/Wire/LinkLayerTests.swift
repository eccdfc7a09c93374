import Testing
@testable import VPCEmu

@Suite struct LinkLayerTests {
    static let ipv4Packet = bytesFromHex(RealFrame.rawIPv4UDP.hex)
    static let ipv6Packet = bytesFromHex(RealFrame.ipv6LinkTypeUDP.hex)

    /// BSD NULL: AF in the capturing host's order, so both orders are accepted; AF_INET6 has
    /// four values depending on the OS.
    @Test(arguments: [
        ([2, 0, 0, 0], 4), ([0, 0, 0, 2], 4),
        ([10, 0, 0, 0], 6), ([24, 0, 0, 0], 6), ([28, 0, 0, 0], 6), ([30, 0, 0, 0], 6),
        ([0, 0, 0, 10], 6), ([0, 0, 0, 24], 6), ([0, 0, 0, 28], 6), ([0, 0, 0, 30], 6),
    ] as [([UInt8], Int)])
    func nullLoopbackFamilies(header: [UInt8], version: Int) {
        let packet = version == 4 ? Self.ipv4Packet : Self.ipv6Packet
        let (outcome, headers) = parse(header + packet, .null)
        #expect(outcome == .ip)
        #expect(headers.family == (version == 4 ? .ipv4 : .ipv6) && headers.l3Offset == 4)
    }

    @Test func loopIsNetworkOrderOnly() {
        #expect(parse([0, 0, 0, 2] + Self.ipv4Packet, .loop).0 == .ip)
        #expect(parse([0, 0, 0, 24] + Self.ipv6Packet, .loop).0 == .ip)
        #expect(parse([2, 0, 0, 0] + Self.ipv4Packet, .loop).0 == .notIP(0))  // 0x02000000 is no family
        #expect(parse([0, 0, 0, 7] + Self.ipv4Packet, .null).0 == .notIP(7))
        #expect(parse([0, 0, 0], .null).0 == .malformed(.truncatedLoopback))
    }

    @Test func linuxSLL2() {
        // protocol 0x0800, reserved, ifindex 3, ARPHRD_ETHER 1, PACKET_OUTGOING 4, addr len 6, MAC + 2 pad.
        let header: [UInt8] = [0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 4, 6, 2, 0, 0, 0, 0, 1, 0, 0]
        let (outcome, headers) = parse(header + Self.ipv4Packet, .linuxSLL2)
        #expect(outcome == .ip && headers.l3Offset == 20 && headers.destinationPort == 53)
        var arp = header
        arp[0] = 0x08; arp[1] = 0x06
        #expect(parse(arp + [0, 1, 8, 0], .linuxSLL2).0 == .notIP(0x0806))
        #expect(parse(Array(header[..<19]), .linuxSLL2).0 == .malformed(.truncatedLinuxSLL))
        // A VLAN tag libpcap re-inserted after the cooked header.
        var tagged = header
        tagged[0] = 0x81; tagged[1] = 0x00
        let (taggedOutcome, taggedHeaders) = parse(tagged + [0x20, 0x0A, 0x08, 0x00] + Self.ipv4Packet, .linuxSLL2)
        #expect(taggedOutcome == .ip && taggedHeaders.vlanTagCount == 1 && taggedHeaders.outerVLANID == 10 && taggedHeaders.l3Offset == 24)
    }

    @Test func linuxSLLNonEthernetProtocolIsNotIP() {
        // ARPHRD_IEEE80211 frames carry protocol 0x0004 (ETH_P_802_2).
        let header: [UInt8] = [0, 0, 0x03, 0x21, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x00, 0x04]
        #expect(parse(header + [0xAA, 0xAA, 3], .linuxSLL).0 == .notIP(4))
    }

    @Test func ethernetVariants() {
        let macs = [UInt8](repeating: 0x02, count: 12)
        // IEEE 802.3 length field with LLC: not IP, reported by its length value.
        #expect(parse(macs + [0x00, 0x26, 0x42, 0x42, 0x03], .ethernet).0 == .notIP(0x26))
        // Three stacked tags with the legacy 0x9100 TPID outermost.
        let tags: [UInt8] = [0x91, 0x00, 0x00, 0x05, 0x88, 0xA8, 0x00, 0x06, 0x81, 0x00, 0xE0, 0x07, 0x08, 0x00]
        let (outcome, headers) = parse(macs + tags + Self.ipv4Packet, .ethernet)
        #expect(outcome == .ip && headers.vlanTagCount == 3 && headers.outerVLANID == 5 && headers.innerVLANID == 6)
        #expect(headers.l3Offset == 26)
        #expect(parse(macs + [0x81, 0x00, 0x00], .ethernet).0 == .malformed(.truncatedVLAN))
        // EtherType IPv6 with an IPv4 header behind it.
        #expect(parse(macs + [0x86, 0xDD] + Self.ipv4Packet, .ethernet).0 == .malformed(.badVersion))
        #expect(parse([0x45], .raw).0 == .malformed(.truncatedIPv4))
        #expect(parse([0x55] + Self.ipv4Packet, .raw).0 == .malformed(.badVersion))
    }

    @Test(arguments: LinkType.allCases)
    func emptyFrameIsTruncatedForEveryLinkType(linkType: LinkType) {
        #expect(parse([], linkType).0.malformedReason?.isTruncation == true)
    }
}

@Suite struct MalformedReasonTests {
    /// Codes are unique and stable in form; truncation reasons are exactly the truncated- codes.
    @Test func codesAreUniqueAndConsistent() {
        let codes = MalformedReason.allCases.map(\.code)
        #expect(Set(codes).count == codes.count)
        for reason in MalformedReason.allCases {
            #expect(reason.isTruncation == reason.code.hasPrefix("truncated-"), "\(reason)")
            #expect(reason.code.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" })
            #expect(!reason.explanation.isEmpty)
        }
        #expect(MalformedReason.truncatedIPv4.code == "truncated-ipv4")
        #expect(MalformedReason.truncatedIPv6Extension.code == "truncated-ipv6-extension")
        #expect(MalformedReason.allCases.filter(\.isTruncation).count == 15)
    }
}
