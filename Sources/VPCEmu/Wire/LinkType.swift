/// The link-layer header types VPCEmu decodes, numbered as LINKTYPE_* values in pcap and
/// pcapng files (https://www.tcpdump.org/linktypes.html). Capture maps libpcap's DLT_* values
/// onto these; everything else is refused with an error that names the type.
public enum LinkType: UInt32, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// BSD loopback: 4-byte address family in the capturing host's byte order.
    case null = 0
    case ethernet = 1
    /// Raw IP: the packet starts with an IPv4 or IPv6 header.
    case raw = 101
    /// OpenBSD loopback: 4-byte address family in network byte order.
    case loop = 108
    /// Linux cooked capture v1 (16-byte header).
    case linuxSLL = 113
    case ipv4 = 228
    case ipv6 = 229
    /// Linux cooked capture v2 (20-byte header).
    case linuxSLL2 = 276

    public var description: String {
        switch self {
        case .null: "NULL"
        case .ethernet: "EN10MB"
        case .raw: "RAW"
        case .loop: "LOOP"
        case .linuxSLL: "LINUX_SLL"
        case .ipv4: "IPV4"
        case .ipv6: "IPV6"
        case .linuxSLL2: "LINUX_SLL2"
        }
    }
}
