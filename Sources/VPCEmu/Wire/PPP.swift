/// PPP (RFC 1661) as captured: LINKTYPE_PPP is the protocol field, possibly after the RFC 1662
/// HDLC-like address and control bytes (0xFF 0x03, which libpcap and tcpdump accept there too);
/// LINKTYPE_PPP_HDLC always has them, or is Cisco HDLC (RFC 1547 section 4.3.1: address 0x0F or
/// 0x8F, control 0x00, then an EtherType). https://www.tcpdump.org/linktypes/LINKTYPE_PPP_HDLC.html
enum PPPProtocol {
    static let ipv4: UInt16 = 0x0021
    static let ipv6: UInt16 = 0x0057
    static let hdlcAddress: UInt8 = 0xFF
    static let hdlcControl: UInt8 = 0x03
    static let ciscoUnicast: UInt8 = 0x0F
    static let ciscoMulticast: UInt8 = 0x8F
}

extension WireCursor {
    /// LINKTYPE_PPP, and LINKTYPE_PPP_HDLC (`hdlcFramed`) whose framing is checked first.
    func decodePPP(hdlcFramed: Bool, into headers: inout PacketHeaders) -> ParseOutcome {
        // `parse` has checked that the frame is not empty.
        var offset = 0
        let address = base.loadByte(at: 0)
        if address == PPPProtocol.hdlcAddress {
            // 0xFF is no protocol field's first byte (RFC 1661 section 2): the HDLC address.
            guard count >= 2 else { return .malformed(.truncatedPPP) }
            guard base.loadByte(at: 1) == PPPProtocol.hdlcControl else { return .notIP(base.loadBigEndian(at: 0, as: UInt16.self)) }
            offset = 2
        } else if hdlcFramed {
            guard address == PPPProtocol.ciscoUnicast || address == PPPProtocol.ciscoMulticast else {
                // Neither PPP's nor Cisco's framing: not a frame this link type defines.
                return .notIP(UInt16(address))
            }
            guard count >= 4 else { return .malformed(.truncatedPPP) }
            return decodeEtherTypePayload(base.loadBigEndian(at: 2, as: UInt16.self), at: 4, into: &headers)
        }
        guard offset < count else { return .malformed(.truncatedPPP) }
        // Protocol-field compression (RFC 1661 section 6.5): an odd first byte is a 1-byte field.
        let protocolField: UInt16
        if base.loadByte(at: offset) & 1 == 1 {
            protocolField = UInt16(base.loadByte(at: offset))
            offset &+= 1
        } else {
            guard offset &+ 2 <= count else { return .malformed(.truncatedPPP) }
            protocolField = base.loadBigEndian(at: offset, as: UInt16.self)
            offset &+= 2
        }
        switch protocolField {
        case PPPProtocol.ipv4: return decodeIPv4(at: offset, into: &headers)
        case PPPProtocol.ipv6: return decodeIPv6(at: offset, into: &headers)
        default: return .notIP(protocolField)
        }
    }
}
