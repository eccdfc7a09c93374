extension LinkType {
    /// A link-layer header of this type for an IP packet of `family`, for re-framing a packet that
    /// arrived on another link type: Ethernet with zero MAC addresses and the EtherType of the IP
    /// version (0x0800, 0x86DD); Linux cooked v1/v2 with no link address ("sent to us", ARPHRD_ETHER);
    /// BSD and OpenBSD loopback with AF_INET 2 / AF_INET6 24 (the value every reader accepts), in host
    /// or network order; PPP's protocol field (0x0021, 0x0057; RFC 1661), after HDLC's address and
    /// control bytes for PPP_HDLC (RFC 1662); nothing for raw IP. Nil when the link type cannot carry
    /// `family` (an IPv6 packet on LINKTYPE_IPV4) or has no header worth inventing (IEEE 802.11,
    /// radiotap, NFLOG).
    public func syntheticHeader(for family: AddressFamily) -> [UInt8]? {
        let etherType: [UInt8] = family == .ipv4 ? [0x08, 0x00] : [0x86, 0xDD]
        let addressFamily: UInt32 = family == .ipv4 ? 2 : 24
        switch self {
        case .raw: return []
        case .ipv4: return family == .ipv4 ? [] : nil
        case .ipv6: return family == .ipv6 ? [] : nil
        case .ethernet: return [UInt8](repeating: 0, count: 12) + etherType
        // packet type 0 (to us), ARPHRD_ETHER, address length 0, 8 address bytes, protocol.
        case .linuxSLL: return [0, 0, 0, 1, 0, 0] + [UInt8](repeating: 0, count: 8) + etherType
        // protocol, reserved, interface index, ARPHRD_ETHER, packet type, address length, 8 address bytes.
        case .linuxSLL2: return etherType + [0, 0, 0, 0, 0, 0, 0, 1, 0, 0] + [UInt8](repeating: 0, count: 8)
        case .null: return withUnsafeBytes(of: addressFamily) { Array($0) }
        case .loop: return withUnsafeBytes(of: addressFamily.bigEndian) { Array($0) }
        case .ppp: return family == .ipv4 ? [0x00, 0x21] : [0x00, 0x57]
        case .pppHDLC: return [0xFF, 0x03] + (family == .ipv4 ? [0x00, 0x21] : [0x00, 0x57])
        case .ieee80211, .radiotap, .nflog: return nil
        }
    }
}
