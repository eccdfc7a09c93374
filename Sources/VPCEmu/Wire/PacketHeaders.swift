/// TCP control bits (RFC 9293 section 3.1; CWR and ECE from RFC 3168).
public struct TCPFlags: OptionSet, Sendable, Hashable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let fin = TCPFlags(rawValue: 0x01)
    public static let syn = TCPFlags(rawValue: 0x02)
    public static let rst = TCPFlags(rawValue: 0x04)
    public static let psh = TCPFlags(rawValue: 0x08)
    public static let ack = TCPFlags(rawValue: 0x10)
    public static let urg = TCPFlags(rawValue: 0x20)
    public static let ece = TCPFlags(rawValue: 0x40)
    public static let cwr = TCPFlags(rawValue: 0x80)
}

/// Well-known IP protocol numbers (IANA "Assigned Internet Protocol Numbers").
public enum IPProtocolNumber {
    public static let hopByHop: UInt8 = 0
    public static let icmp: UInt8 = 1
    public static let tcp: UInt8 = 6
    public static let udp: UInt8 = 17
    public static let ipv6Routing: UInt8 = 43
    public static let ipv6Fragment: UInt8 = 44
    public static let esp: UInt8 = 50
    public static let ah: UInt8 = 51
    public static let icmpv6: UInt8 = 58
    public static let ipv6NoNextHeader: UInt8 = 59
    public static let ipv6DestinationOptions: UInt8 = 60
}

/// Everything forwarding needs to know about one packet, decoded once by `PacketParser`.
///
/// A flat value (no references, no optionals on the hot fields): cheap to copy and compare.
/// Addresses are stored as 128-bit halves in the `IPAddress.bits` layout (IPv4 in the low 32
/// bits of `…Low`) so that lookups read integers directly; `source`/`destination` give the
/// typed view. Fields of layers the packet does not have are zero.
public struct PacketHeaders: Equatable, Hashable, Sendable {
    // From the capture record (set by the caller; `parse` keeps them).
    /// Capture time in nanoseconds since the Unix epoch.
    public var timestampNanoseconds: Int64 = 0
    /// Length of the packet on the wire; larger than `capturedLength` when snaplen cut it.
    public var wireLength: UInt32 = 0
    /// Bytes present in the frame handed to the parser.
    public var capturedLength: UInt32 = 0

    // Link layer.
    /// Number of 802.1Q / 802.1ad VLAN tags (0 when untagged).
    public var vlanTagCount: UInt8 = 0
    /// VLAN id of the outermost tag (service VLAN in QinQ).
    public var outerVLANID: UInt16 = 0
    /// VLAN id of the second tag (customer VLAN in QinQ), 0 with fewer than two tags.
    public var innerVLANID: UInt16 = 0

    // Network layer.
    public var family: AddressFamily = .ipv4
    public var sourceHigh: UInt64 = 0
    public var sourceLow: UInt64 = 0
    public var destinationHigh: UInt64 = 0
    public var destinationLow: UInt64 = 0
    /// IPv4 TTL or IPv6 hop limit.
    public var ttl: UInt8 = 0
    /// DSCP and ECN: IPv4 type-of-service byte or IPv6 traffic class.
    public var trafficClass: UInt8 = 0
    /// Offset of the IP header within the frame (the link-layer header length).
    public var l3Offset: UInt32 = 0
    /// Offset of the upper-layer header within the frame (after IPv4 options / IPv6 extension
    /// headers); for a non-first fragment, the start of the fragment data.
    public var l4Offset: UInt32 = 0
    /// IP packet length as declared: IPv4 total length, or 40 + IPv6 payload length.
    public var ipTotalLength: UInt32 = 0
    /// The final upper-layer protocol: after the IPv6 extension chain (e.g. 6, 17, 1, 58, or 59
    /// for "no next header", 50 for ESP).
    public var ipProtocol: UInt8 = 0
    public var fragment = FragmentInfo()

    // Transport layer (valid when `hasTransportHeader`).
    /// True when ports / ICMP fields were decoded: false for non-first fragments, ESP, and
    /// protocols VPCEmu does not decode.
    public var hasTransportHeader = false
    public var sourcePort: UInt16 = 0
    public var destinationPort: UInt16 = 0
    public var tcpFlags = TCPFlags()
    public var icmpType: UInt8 = 0
    public var icmpCode: UInt8 = 0
    /// Echo identifier and sequence number (ICMP types 0/8, ICMPv6 types 128/129).
    public var icmpIdentifier: UInt16 = 0
    public var icmpSequence: UInt16 = 0
    /// Bytes after the transport header as declared by the IP (and UDP) lengths: TCP segment
    /// data, UDP datagram data, ICMP message body after the first 8 bytes. For packets without
    /// a decoded transport header, the bytes after `l4Offset`.
    public var payloadLength: UInt32 = 0

    public init() {}

    /// Source address as a typed value.
    public var source: IPAddress {
        family == .ipv4 ? .v4(IPv4Address(UInt32(truncatingIfNeeded: sourceLow)))
                        : .v6(IPv6Address(high: sourceHigh, low: sourceLow))
    }

    /// Destination address as a typed value.
    public var destination: IPAddress {
        family == .ipv4 ? .v4(IPv4Address(UInt32(truncatingIfNeeded: destinationLow)))
                        : .v6(IPv6Address(high: destinationHigh, low: destinationLow))
    }

    /// True when snaplen cut the frame short of its wire length.
    @inlinable public var isSnapped: Bool { wireLength > capturedLength }
}

/// Fragmentation fields of an IPv4 header or an IPv6 fragment header.
public struct FragmentInfo: Equatable, Hashable, Sendable {
    /// Byte offset of this fragment's data in the original packet (the header field × 8).
    public var offset: UInt16 = 0
    /// More-fragments flag.
    public var moreFragments = false
    /// IPv4 don't-fragment flag (always false for IPv6).
    public var dontFragment = false
    /// IPv4: the identification field. IPv6: the fragment header's identification
    /// (0 when the packet has no fragment header).
    public var identification: UInt32 = 0
    /// True when this packet is a fragment (IPv4 MF or offset, or an IPv6 fragment header,
    /// including RFC 6946 atomic fragments).
    public var isFragment = false

    public init() {}

    /// A fragment other than the first: carries no upper-layer header.
    @inlinable public var isNonFirst: Bool { offset != 0 }
}
