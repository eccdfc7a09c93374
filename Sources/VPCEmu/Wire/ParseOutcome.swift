/// The protocol layer a malformed-packet reason refers to.
public enum ProtocolLayer: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// `ip` is for problems that apply to either IP version (version nibble, fragments).
    case ethernet, vlan, linuxSLL, loopback, ppp, nflog, ieee80211, radiotap, ip, ipv4, ipv6, ipv6Extension, icmp, icmpv6, tcp, udp

    public var description: String {
        switch self {
        case .ethernet: "ethernet"
        case .vlan: "vlan"
        case .linuxSLL: "sll"
        case .loopback: "loopback"
        case .ppp: "ppp"
        case .nflog: "nflog"
        case .ieee80211: "ieee80211"
        case .radiotap: "radiotap"
        case .ip: "ip"
        case .ipv4: "ipv4"
        case .ipv6: "ipv6"
        case .ipv6Extension: "ipv6-extension"
        case .icmp: "icmp"
        case .icmpv6: "icmpv6"
        case .tcp: "tcp"
        case .udp: "udp"
        }
    }
}

/// Why a frame was refused. A flat enum with a dense raw value so that hot loops can count
/// drops in a fixed-size array (`counts[Int(reason.rawValue)] &+= 1`) and reports can list
/// every reason (`allCases`) by its stable `code`.
public enum MalformedReason: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case truncatedEthernet, truncatedVLAN, truncatedLinuxSLL, truncatedLoopback
    case truncatedPPP, truncatedNFLOG, truncatedIEEE80211, truncatedRadiotap
    case truncatedIPv4, truncatedIPv6, truncatedIPv6Extension
    case truncatedICMP, truncatedICMPv6, truncatedTCP, truncatedUDP
    /// The IP version nibble disagrees with the link layer (or is neither 4 nor 6 for raw IP).
    case badVersion
    /// IPv4 IHL below 5 (RFC 791).
    case badIPv4HeaderLength
    /// IPv4 total length smaller than the header it declares.
    case badIPv4TotalLength
    /// IPv4 header checksum mismatch (RFC 791, RFC 1071).
    case badIPv4Checksum
    /// IPv6 extension chain: hop-by-hop options not first, or more extension headers than
    /// `PacketParser.maximumExtensionHeaders` (RFC 8200 section 4.1).
    case badIPv6ExtensionChain
    /// A fragment that cannot be reassembled: data past 65,535 bytes, or a non-final fragment
    /// whose data length is not a multiple of 8 (RFC 791, RFC 8200 section 4.5).
    case badFragment
    /// TCP data offset below 5 words (RFC 9293).
    case badTCPHeaderLength
    /// UDP length below 8 or beyond the IP payload (RFC 768).
    case badUDPLength
    /// An NFLOG attribute whose length is below its own 4-byte header.
    case badNFLOGAttributeLength
    /// A radiotap header whose length is below its own 8-byte fixed part.
    case badRadiotapLength
    /// Transport checksum mismatches, reported only when verification was asked for.
    case badICMPChecksum, badICMPv6Checksum, badTCPChecksum, badUDPChecksum

    /// The layer the problem was found in.
    public var layer: ProtocolLayer {
        switch self {
        case .truncatedEthernet: .ethernet
        case .truncatedVLAN: .vlan
        case .truncatedLinuxSLL: .linuxSLL
        case .truncatedLoopback: .loopback
        case .truncatedPPP: .ppp
        case .truncatedNFLOG, .badNFLOGAttributeLength: .nflog
        case .truncatedIEEE80211: .ieee80211
        case .truncatedRadiotap, .badRadiotapLength: .radiotap
        case .truncatedIPv4, .badIPv4HeaderLength, .badIPv4TotalLength, .badIPv4Checksum: .ipv4
        case .truncatedIPv6: .ipv6
        case .truncatedIPv6Extension, .badIPv6ExtensionChain: .ipv6Extension
        case .badVersion, .badFragment: .ip
        case .truncatedICMP, .badICMPChecksum: .icmp
        case .truncatedICMPv6, .badICMPv6Checksum: .icmpv6
        case .truncatedTCP, .badTCPHeaderLength, .badTCPChecksum: .tcp
        case .truncatedUDP, .badUDPLength, .badUDPChecksum: .udp
        }
    }

    /// True for the `truncated…` reasons: a header runs past the captured bytes or the packet.
    public var isTruncation: Bool { rawValue <= MalformedReason.truncatedUDP.rawValue }

    /// A stable, machine-friendly name used in reports, JSON and pcapng comments.
    public var code: String {
        switch self {
        case .badVersion: "bad-ip-version"
        case .badIPv4HeaderLength: "bad-ipv4-header-length"
        case .badIPv4TotalLength: "bad-ipv4-total-length"
        case .badIPv4Checksum: "bad-checksum-ipv4"
        case .badIPv6ExtensionChain: "bad-ipv6-extension-chain"
        case .badFragment: "bad-fragment"
        case .badTCPHeaderLength: "bad-tcp-header-length"
        case .badUDPLength: "bad-udp-length"
        case .badNFLOGAttributeLength: "bad-nflog-attribute-length"
        case .badRadiotapLength: "bad-radiotap-length"
        case .badICMPChecksum: "bad-checksum-icmp"
        case .badICMPv6Checksum: "bad-checksum-icmpv6"
        case .badTCPChecksum: "bad-checksum-tcp"
        case .badUDPChecksum: "bad-checksum-udp"
        default: "truncated-\(layer)"  // the truncated… reasons
        }
    }

    /// A sentence for people reading a report.
    public var explanation: String {
        switch self {
        case .badVersion: "the IP version nibble does not match the link-layer protocol"
        case .badIPv4HeaderLength: "IPv4 header length (IHL) is below 5 words"
        case .badIPv4TotalLength: "IPv4 total length is smaller than its header"
        case .badIPv4Checksum: "IPv4 header checksum does not match"
        case .badIPv6ExtensionChain: "IPv6 extension header chain is malformed or too long"
        case .badFragment: "fragment extends past 65,535 bytes or a non-final fragment is not a multiple of 8 bytes"
        case .badTCPHeaderLength: "TCP data offset is below 5 words"
        case .badUDPLength: "UDP length is below 8 or beyond the IP payload"
        case .badNFLOGAttributeLength: "an NFLOG attribute length is below its 4-byte header"
        case .badRadiotapLength: "the radiotap header length is below its 8-byte fixed part"
        case .badICMPChecksum: "ICMP checksum does not match"
        case .badICMPv6Checksum: "ICMPv6 checksum does not match"
        case .badTCPChecksum: "TCP checksum does not match"
        case .badUDPChecksum: "UDP checksum does not match"
        default: "the \(layer) header extends past the captured bytes or the IP packet"  // truncated…
        }
    }

    public var description: String { code }
}

/// What `PacketParser.parse` found in one frame.
public enum ParseOutcome: Sendable, Hashable {
    /// An IPv4 or IPv6 packet; `PacketHeaders` holds its fields.
    case ip
    /// A well-formed frame that does not carry IP (ARP, LLDP, …). The value is the EtherType;
    /// for frames without one it is below 0x0600 and means: the IEEE 802.3 length field
    /// (Ethernet), the protocol field (Linux SLL with a non-Ethernet ARPHRD type), the address
    /// family (BSD loopback NULL/LOOP, NFLOG), the PPP protocol number (PPP: any value), or the
    /// frame control's type/subtype byte or the LLC DSAP (IEEE 802.11, radiotap).
    case notIP(UInt16)
    /// A frame that cannot be decoded; count it and move on.
    case malformed(MalformedReason)
}
