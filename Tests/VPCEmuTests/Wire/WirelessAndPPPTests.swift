import Testing
@testable import VPCEmu

/// PPP, NFLOG, IEEE 802.11 and radiotap: real frames from tcpdump's corpus with what tshark
/// decodes in them, and built variants of each header.
@Suite struct WirelessAndPPPTests {
    static let ipv4 = bytesFromHex(RealFrame.rawIPv4UDP.hex)
    static let ipv6 = bytesFromHex(RealFrame.ipv6LinkTypeUDP.hex)

    /// tshark: 10.1.1.3 → 224.0.0.2, UDP 646 → 646 (LDP), behind ff 03 00 21.
    @Test(arguments: [RealFrame.pppLDPHello, .pppHDLCLDPHello])
    func pppLDPHello(frame: RealFrame) {
        let (outcome, headers) = parse(frame.bytes, frame.linkType, options: [.verifyTransportChecksums])
        #expect(outcome == .ip && headers.l3Offset == 4)
        #expect(headers.source == IPAddress("10.1.1.3") && headers.destination == IPAddress("224.0.0.2"))
        #expect(headers.sourcePort == 646 && headers.destinationPort == 646 && headers.ttl == 1)
    }

    @Test func pppFramings() {
        // No HDLC framing, a 2-byte and a compressed 1-byte protocol field; IPv6 is 0x0057.
        #expect(parse([0x00, 0x21] + Self.ipv4, .ppp).1.l3Offset == 2)
        #expect(parse([0x21] + Self.ipv4, .ppp).1.l3Offset == 1)
        let (outcome6, headers6) = parse([0xFF, 0x03, 0x00, 0x57] + Self.ipv6, .ppp)
        #expect(outcome6 == .ip && headers6.family == .ipv6 && headers6.l3Offset == 4)
        // LCP (0xC021) is not IP; neither is a frame with the address but another control byte.
        #expect(parse([0xFF, 0x03, 0xC0, 0x21, 1, 1, 0, 4], .ppp).0 == .notIP(0xC021))
        #expect(parse([0xFF, 0x13, 0x00, 0x21] + Self.ipv4, .ppp).0 == .notIP(0xFF13))
        // PPP_HDLC requires a framing: PPP's, or Cisco HDLC's (address 0x0F, an EtherType).
        #expect(parse([0x00, 0x21] + Self.ipv4, .pppHDLC).0 == .notIP(0))
        #expect(parse([0x0F, 0x00, 0x08, 0x00] + Self.ipv4, .pppHDLC).1.l3Offset == 4)
        #expect(parse([0x8F, 0x00, 0x86, 0xDD] + Self.ipv6, .pppHDLC).1.family == .ipv6)
        #expect(parse([0x0F, 0x00, 0x08], .pppHDLC).0 == .malformed(.truncatedPPP))
        #expect(parse([0xFF], .ppp).0 == .malformed(.truncatedPPP))
        #expect(parse([0xFF, 0x03, 0x00], .ppp).0 == .malformed(.truncatedPPP))
        #expect(parse([0x00, 0x21, 0x45], .ppp).0 == .malformed(.truncatedIPv4))
    }

    /// tshark: 74.82.42.42 → 10.0.0.20, UDP 53 → 42585, the packet at offset 104 (its payload attribute at 100).
    @Test func nflogDNSAnswer() {
        let (outcome, headers) = parse(RealFrame.nflogDNSAnswer.bytes, .nflog, options: [.verifyTransportChecksums])
        #expect(outcome == .ip && headers.l3Offset == 104)
        #expect(headers.source == IPAddress("74.82.42.42") && headers.destination == IPAddress("10.0.0.20"))
        #expect(headers.sourcePort == 53 && headers.destinationPort == 42585)
    }

    @Test func nflogAttributes() {
        // IPv6 by the family; a payload attribute whose length ends the packet before trailing bytes.
        let (outcome6, headers6) = parse(nflogFrame(Self.ipv6, family: 10), .nflog)
        #expect(outcome6 == .ip && headers6.family == .ipv6)
        var short = nflogFrame(Self.ipv4)
        short[16] = 20  // the payload attribute now holds 16 bytes of the 57-byte packet
        #expect(parse(short, .nflog).0 == .malformed(.truncatedIPv4))
        // No payload: not IP, by the family. An attribute shorter than its header: damage.
        #expect(parse([2, 0, 0, 5, 8, 0, 10, 0, 1, 2, 3, 4], .nflog).0 == .notIP(2))
        #expect(parse([2, 0, 0, 5, 3, 0, 10, 0, 1, 2, 3, 4], .nflog).0 == .malformed(.badNFLOGAttributeLength))
        #expect(parse([2, 0, 0, 5, 12, 0, 10, 0, 1, 2, 3, 4], .nflog).0 == .malformed(.truncatedNFLOG))
        #expect(parse([2, 0, 0], .nflog).0 == .malformed(.truncatedNFLOG))
        #expect(parse(nflogFrame(Self.ipv4, family: 7), .nflog).0 == .notIP(7))
    }

    /// tshark: radiotap of 60 bytes, QoS data (0x28) with HT control, 0.0.0.0:68 → 255.255.255.255:67.
    @Test(arguments: [RealFrame.radiotapQoSDataDHCP, .ieee80211QoSDataDHCP])
    func qosDataWithHTControl(frame: RealFrame) {
        let (outcome, headers) = parse(frame.bytes, frame.linkType, options: [.verifyTransportChecksums])
        let radiotap = frame.linkType == .radiotap ? 60 : 0
        // Header 24, QoS control 2, HT control 4, LLC/SNAP 8.
        #expect(outcome == .ip && headers.l3Offset == UInt32(radiotap + 38))
        #expect(headers.source == IPAddress("0.0.0.0") && headers.destination == IPAddress("255.255.255.255"))
        #expect(headers.sourcePort == 68 && headers.destinationPort == 67)
    }

    /// An 802.11 data frame: frame control, duration, addresses, sequence; then LLC/SNAP.
    static func dataFrame(typeByte: UInt8 = 0x08, flags: UInt8 = 0x01, llc: [UInt8] = [0xAA, 0xAA, 0x03, 0, 0, 0, 0x08, 0x00],
                          payload: [UInt8] = ipv4) -> [UInt8] {
        var frame = [typeByte, flags, 0, 0] + [UInt8](repeating: 0x02, count: 18) + [0x10, 0x00]
        if flags & 0x03 == 0x03 { frame += [UInt8](repeating: 0x04, count: 6) }
        if typeByte & 0x80 != 0 { frame += [0x00, 0x00] + (flags & 0x80 != 0 ? [0, 0, 0, 0] : []) }
        return frame + llc + payload
    }

    @Test func ieee80211DataFrames() {
        #expect(parse(Self.dataFrame(), .ieee80211).1.l3Offset == 32)
        // Four addresses (to and from DS), QoS data, QoS with HT control, bridge-tunnel OUI, IPv6.
        #expect(parse(Self.dataFrame(flags: 0x03), .ieee80211).1.l3Offset == 38)
        #expect(parse(Self.dataFrame(typeByte: 0x88), .ieee80211).1.l3Offset == 34)
        #expect(parse(Self.dataFrame(typeByte: 0x88, flags: 0x83), .ieee80211).1.l3Offset == 44)
        #expect(parse(Self.dataFrame(llc: [0xAA, 0xAA, 0x03, 0, 0, 0xF8, 0x08, 0x00]), .ieee80211).0 == .ip)
        #expect(parse(Self.dataFrame(llc: [0xAA, 0xAA, 0x03, 0, 0, 0, 0x86, 0xDD], payload: Self.ipv6), .ieee80211).1.family == .ipv6)
        // Not IP: ARP, another OUI, LLC without SNAP, a management beacon (0x80), a control ACK
        // (0xD4), a null data frame (0x48), a protected body, an A-MSDU, protocol version 1.
        #expect(parse(Self.dataFrame(llc: [0xAA, 0xAA, 0x03, 0, 0, 0, 0x08, 0x06]), .ieee80211).0 == .notIP(0x0806))
        #expect(parse(Self.dataFrame(llc: [0xAA, 0xAA, 0x03, 0, 0x0C, 0x29, 0x08, 0x00]), .ieee80211).0 == .notIP(0xAA))
        #expect(parse(Self.dataFrame(llc: [0x42, 0x42, 0x03]), .ieee80211).0 == .notIP(0x42))
        #expect(parse(Self.dataFrame(typeByte: 0x80), .ieee80211).0 == .notIP(0x80))
        #expect(parse([0xD4, 0x00, 0, 0, 1, 2, 3, 4, 5, 6], .ieee80211).0 == .notIP(0xD4))
        #expect(parse(Self.dataFrame(typeByte: 0x48), .ieee80211).0 == .notIP(0x48))
        #expect(parse(Self.dataFrame(flags: 0x41), .ieee80211).0 == .notIP(0x08))
        var amsdu = Self.dataFrame(typeByte: 0x88)
        amsdu[24] = 0x80
        #expect(parse(amsdu, .ieee80211).0 == .notIP(0x88))
        #expect(parse(Self.dataFrame(typeByte: 0x09), .ieee80211).0 == .notIP(0x09))
        #expect(parse(Array(Self.dataFrame().prefix(30)), .ieee80211).0 == .malformed(.truncatedIEEE80211))
    }

    /// A radiotap header with TSFT and flags: the FCS flag takes the frame's last 4 bytes off.
    @Test func radiotapLengthAndFCS() {
        func radiotap(flags: UInt8, extraPresentWords: Int = 0) -> [UInt8] {
            let words = extraPresentWords
            let present: [UInt8] = [0x03, 0, 0, words > 0 ? 0x80 : 0]
            var header = [0, 0, 0, 0] + present
            for word in 0 ..< words { header += [0, 0, 0, word + 1 < words ? 0x80 : 0] }
            while header.count % 8 != 0 { header.append(0) }
            header += [UInt8](repeating: 0x77, count: 8) + [flags, 0, 0, 0]
            header[2] = UInt8(header.count)
            return header
        }
        let frame = Self.dataFrame()
        let fcs: [UInt8] = [0xDE, 0xAD, 0xBE, 0xEF]
        for words in [0, 1, 2] {
            let plain = radiotap(flags: 0, extraPresentWords: words)
            #expect(parse(plain + frame, .radiotap).1.l3Offset == UInt32(plain.count + 32))
            // With the FCS flag, an IP packet reaching into the last 4 bytes is cut short.
            let withFCS = radiotap(flags: 0x10, extraPresentWords: words)
            #expect(parse(withFCS + frame + fcs, .radiotap).0 == .ip)
            #expect(parse(withFCS + frame, .radiotap).0 == .malformed(.truncatedIPv4), "\(words) extra present words")
            #expect(parse(withFCS + frame + fcs, .radiotap).1.l3Offset == UInt32(withFCS.count + 32))
        }
        #expect(parse([0, 0, 4, 0, 0, 0, 0, 0] + frame, .radiotap).0 == .malformed(.badRadiotapLength))
        #expect(parse([0, 0, 200, 0, 0, 0, 0, 0] + frame, .radiotap).0 == .malformed(.truncatedRadiotap))
        #expect(parse([0, 0, 8, 0, 0, 0, 0], .radiotap).0 == .malformed(.truncatedRadiotap))
    }
}
