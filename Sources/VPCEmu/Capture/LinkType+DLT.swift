import CPcap

/// libpcap reports a file's link type as a DLT_* value, which differs from the LINKTYPE_* value
/// stored in the file for raw IP (DLT_RAW is 12 on Linux, 14 on OpenBSD; LINKTYPE_RAW is 101)
/// and OpenBSD loopback (DLT_LOOP is 12 on OpenBSD). The pcap headers' macros carry the right
/// numbers for the platform we build on.
extension LinkType {
    init?(dlt: Int32) {
        switch dlt {
        case DLT_NULL: self = .null
        case DLT_EN10MB: self = .ethernet
        case DLT_PPP: self = .ppp
        case DLT_PPP_SERIAL: self = .pppHDLC
        case DLT_IEEE802_11: self = .ieee80211
        case DLT_IEEE802_11_RADIO: self = .radiotap
        case DLT_NFLOG: self = .nflog
        case DLT_RAW: self = .raw
        case DLT_LOOP: self = .loop
        case DLT_LINUX_SLL: self = .linuxSLL
        case DLT_LINUX_SLL2: self = .linuxSLL2
        case DLT_IPV4: self = .ipv4
        case DLT_IPV6: self = .ipv6
        default: return nil
        }
    }

    var dlt: Int32 {
        switch self {
        case .null: DLT_NULL
        case .ethernet: DLT_EN10MB
        case .ppp: DLT_PPP
        case .pppHDLC: DLT_PPP_SERIAL
        case .ieee80211: DLT_IEEE802_11
        case .radiotap: DLT_IEEE802_11_RADIO
        case .nflog: DLT_NFLOG
        case .raw: DLT_RAW
        case .loop: DLT_LOOP
        case .linuxSLL: DLT_LINUX_SLL
        case .linuxSLL2: DLT_LINUX_SLL2
        case .ipv4: DLT_IPV4
        case .ipv6: DLT_IPV6
        }
    }
}
