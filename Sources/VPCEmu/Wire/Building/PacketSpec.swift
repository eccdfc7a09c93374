/// A description of a packet to build: everything `PacketBuilder` writes, as plain values.

/// An Ethernet II header, optionally VLAN-tagged.
public struct EthernetSpec: Sendable, Hashable {
    /// MAC addresses in the low 48 bits (`0x0200_0000_0001` is 02:00:00:00:00:01).
    public var destinationMAC: UInt64
    public var sourceMAC: UInt64
    /// VLAN ids, outermost first. With two or more tags the outer ones use the 802.1ad TPID
    /// 0x88A8 and the innermost 802.1Q 0x8100 (IEEE 802.1ad QinQ); one tag uses 0x8100.
    public var vlanIDs: [UInt16]

    public init(destinationMAC: UInt64 = 0x0200_0000_0002, sourceMAC: UInt64 = 0x0200_0000_0001, vlanIDs: [UInt16] = []) {
        self.destinationMAC = destinationMAC
        self.sourceMAC = sourceMAC
        self.vlanIDs = vlanIDs
    }
}

/// IPv6 extension headers the builder can emit (RFC 8200 section 4). Options headers are
/// filled with one PadN option; the routing header is type 253 (RFC 4727 experimental) with
/// segments left 0, which nodes skip.
public enum IPv6ExtensionHeaderSpec: Sendable, Hashable {
    /// Hdr Ext Len `units`: the header is (units + 1) × 8 bytes.
    case hopByHop(units: UInt8)
    case destinationOptions(units: UInt8)
    case routing(units: UInt8)
    /// AH (RFC 4302) with Payload Len `payloadLength` (≥ 1): (payloadLength + 2) × 4 bytes.
    case authentication(payloadLength: UInt8)
    /// The fragment header; its fields come from `PacketSpec.fragment`.
    case fragment

    var protocolNumber: UInt8 {
        switch self {
        case .hopByHop: IPProtocolNumber.hopByHop
        case .destinationOptions: IPProtocolNumber.ipv6DestinationOptions
        case .routing: IPProtocolNumber.ipv6Routing
        case .authentication: IPProtocolNumber.ah
        case .fragment: IPProtocolNumber.ipv6Fragment
        }
    }

    var length: Int {
        switch self {
        case .hopByHop(let units), .destinationOptions(let units), .routing(let units): (Int(units) + 1) * 8
        case .authentication(let payloadLength): (Int(payloadLength) + 2) * 4
        case .fragment: IPv6FragmentHeaderView.length
        }
    }
}

/// Fragmentation fields (IPv4 header or IPv6 fragment header).
public struct FragmentSpec: Sendable, Hashable {
    /// Byte offset of the data, a multiple of 8.
    public var offset: UInt16
    public var moreFragments: Bool
    public init(offset: UInt16 = 0, moreFragments: Bool = false) {
        self.offset = offset
        self.moreFragments = moreFragments
    }
}

/// TCP header fields.
public struct TCPSegmentSpec: Sendable, Hashable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequence: UInt32
    public var acknowledgment: UInt32
    public var flags: TCPFlags
    public var window: UInt16
    /// Number of 4-byte option words (0...10), filled with NOP options.
    public var optionWords: UInt8

    public init(sourcePort: UInt16, destinationPort: UInt16, sequence: UInt32 = 0, acknowledgment: UInt32 = 0,
                flags: TCPFlags = [.syn], window: UInt16 = 65_535, optionWords: UInt8 = 0) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.sequence = sequence
        self.acknowledgment = acknowledgment
        self.flags = flags
        self.window = window
        self.optionWords = optionWords
    }
}

/// The upper-layer header. ICMP means ICMPv4 or ICMPv6 according to the address family.
public enum TransportSpec: Sendable, Hashable {
    /// Echo request or reply: ICMP 8/0, ICMPv6 128/129.
    case icmpEcho(isRequest: Bool, identifier: UInt16, sequence: UInt16)
    /// Any other ICMP / ICMPv6 message: type, code and the 4 bytes after the checksum.
    case icmpMessage(type: UInt8, code: UInt8, restOfHeader: UInt32)
    case tcp(TCPSegmentSpec)
    case udp(sourcePort: UInt16, destinationPort: UInt16)
    /// No header: the payload follows IP directly under this protocol number.
    case opaque(protocolNumber: UInt8)

    func protocolNumber(for family: AddressFamily) -> UInt8 {
        switch self {
        case .icmpEcho, .icmpMessage: family == .ipv4 ? IPProtocolNumber.icmp : IPProtocolNumber.icmpv6
        case .tcp: IPProtocolNumber.tcp
        case .udp: IPProtocolNumber.udp
        case .opaque(let protocolNumber): protocolNumber
        }
    }

    var headerLength: Int {
        switch self {
        case .icmpEcho, .icmpMessage: TransportHeaderLength.icmp
        case .tcp(let tcp): TransportHeaderLength.tcpMinimum + 4 * Int(tcp.optionWords)
        case .udp: TransportHeaderLength.udp
        case .opaque: 0
        }
    }
}

/// A whole packet. `source` and `destination` must be of the same family.
public struct PacketSpec: Sendable, Hashable {
    public var ethernet: EthernetSpec?
    public var source: IPAddress
    public var destination: IPAddress
    /// IPv4 TTL or IPv6 hop limit.
    public var ttl: UInt8
    /// IPv4 type of service or IPv6 traffic class.
    public var trafficClass: UInt8
    /// IPv6 flow label (20 bits).
    public var flowLabel: UInt32
    /// IPv4 identification (low 16 bits) or IPv6 fragment-header identification.
    public var identification: UInt32
    public var dontFragment: Bool
    /// IPv4: fragment fields. IPv6: fields of the fragment header, which is emitted where
    /// `.fragment` appears in `ipv6ExtensionHeaders`, or last when it does not appear.
    /// A fragment with a non-zero offset carries `payload` only, no upper-layer header (and,
    /// for IPv6, none of the extension headers listed after the fragment header).
    public var fragment: FragmentSpec?
    /// Number of 4-byte IPv4 option words (0...10), filled with NOP options.
    public var ipv4OptionWords: UInt8
    public var ipv6ExtensionHeaders: [IPv6ExtensionHeaderSpec]
    public var transport: TransportSpec
    public var payload: [UInt8]

    public init(ethernet: EthernetSpec? = nil, source: IPAddress, destination: IPAddress, ttl: UInt8 = 64,
                trafficClass: UInt8 = 0, flowLabel: UInt32 = 0, identification: UInt32 = 0, dontFragment: Bool = false,
                fragment: FragmentSpec? = nil, ipv4OptionWords: UInt8 = 0, ipv6ExtensionHeaders: [IPv6ExtensionHeaderSpec] = [],
                transport: TransportSpec, payload: [UInt8] = []) {
        self.ethernet = ethernet
        self.source = source
        self.destination = destination
        self.ttl = ttl
        self.trafficClass = trafficClass
        self.flowLabel = flowLabel
        self.identification = identification
        self.dontFragment = dontFragment
        self.fragment = fragment
        self.ipv4OptionWords = ipv4OptionWords
        self.ipv6ExtensionHeaders = ipv6ExtensionHeaders
        self.transport = transport
        self.payload = payload
    }

    public var family: AddressFamily { source.family }
}
