/// The link-layer header types VPCEmu decodes, numbered as LINKTYPE_* values in pcap and
/// pcapng files (https://www.tcpdump.org/linktypes.html). Capture maps libpcap's DLT_* values
/// onto these; everything else is refused with an error that names the type.
public enum LinkType: UInt32, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// BSD loopback: 4-byte address family in the capturing host's byte order.
    case null = 0
    case ethernet = 1
    /// PPP (RFC 1661): the 2-byte protocol field, or HDLC-like framing (RFC 1662) before it.
    case ppp = 9
    /// PPP in HDLC-like framing (RFC 1662; LINKTYPE_PPP_HDLC).
    case pppHDLC = 50
    /// Raw IP: the packet starts with an IPv4 or IPv6 header.
    case raw = 101
    /// IEEE 802.11 frames without a radio header.
    case ieee80211 = 105
    /// OpenBSD loopback: 4-byte address family in network byte order.
    case loop = 108
    /// Linux cooked capture v1 (16-byte header).
    case linuxSLL = 113
    /// A radiotap radio header, then an IEEE 802.11 frame.
    case radiotap = 127
    case ipv4 = 228
    case ipv6 = 229
    /// Linux netfilter NFLOG: a 4-byte header, then type-length-value attributes.
    case nflog = 239
    /// Linux cooked capture v2 (20-byte header).
    case linuxSLL2 = 276

    public var description: String {
        switch self {
        case .null: "NULL"
        case .ethernet: "EN10MB"
        case .ppp: "PPP"
        case .pppHDLC: "PPP_HDLC"
        case .ieee80211: "IEEE802_11"
        case .radiotap: "IEEE802_11_RADIO"
        case .nflog: "NFLOG"
        case .raw: "RAW"
        case .loop: "LOOP"
        case .linuxSLL: "LINUX_SLL"
        case .ipv4: "IPV4"
        case .ipv6: "IPV6"
        case .linuxSLL2: "LINUX_SLL2"
        }
    }
}
