/// The header an ICMP or ICMPv6 error quotes — the IP header and the first 8 bytes of the
/// datagram that caused it (RFC 792; RFC 4443 2.4 quotes as much as fits) — decoded as far as a
/// connection lookup needs: addresses, protocol, and the ports (ICMP: type, code, identifier).
/// Read from the frame only for an error, after `PacketParser` validated the outer packet.
public struct QuotedHeader: Sendable, Hashable {
    public var family: AddressFamily
    public var sourceHigh: UInt64
    public var sourceLow: UInt64
    public var destinationHigh: UInt64
    public var destinationLow: UInt64
    public var ipProtocol: UInt8
    public var sourcePort: UInt16 = 0
    public var destinationPort: UInt16 = 0
    public var icmpType: UInt8 = 0
    public var icmpCode: UInt8 = 0
    public var icmpIdentifier: UInt16 = 0

    /// Whether `headers` is an ICMP error (ICMP 3, 4, 5, 11, 12; ICMPv6 1–4), which quotes a header.
    @inlinable
    public static func isError(_ headers: PacketHeaders) -> Bool {
        guard headers.hasTransportHeader else { return false }
        let type = headers.icmpType
        if headers.family == .ipv4, headers.ipProtocol == IPProtocolNumber.icmp {
            return type == 3 || type == 4 || type == 5 || type == 11 || type == 12
        }
        return headers.family == .ipv6 && headers.ipProtocol == IPProtocolNumber.icmpv6 && (1...4).contains(type)
    }

    /// The header quoted by the ICMP error `headers` describes in `frame`; nil when it is not an
    /// error, or the quote is cut short of its addresses and first 8 transport bytes, or quotes
    /// another IP version. An IPv6 quote's extension headers are not walked: its protocol is the
    /// first next header, and its ports are read only for TCP, UDP and ICMPv6.
    public static func decode(_ frame: UnsafeRawBufferPointer, headers: PacketHeaders) -> QuotedHeader? {
        guard isError(headers) else { return nil }
        let start = Int(headers.l4Offset) + 8
        guard start < frame.count else { return nil }
        let quote = UnsafeRawBufferPointer(rebasing: frame[start...])
        func byte(_ offset: Int) -> UInt8 { quote[offset] }
        func u16(_ offset: Int) -> UInt16 { UInt16(quote[offset]) << 8 | UInt16(quote[offset + 1]) }
        func u64(_ offset: Int) -> UInt64 { (0..<8).reduce(0) { $0 << 8 | UInt64(quote[offset + $1]) } }
        func u32(_ offset: Int) -> UInt64 { (0..<4).reduce(0) { $0 << 8 | UInt64(quote[offset + $1]) } }
        var header: QuotedHeader
        let transport: Int
        if headers.family == .ipv4 {
            guard quote.count >= 20, byte(0) >> 4 == 4 else { return nil }
            transport = Int(byte(0) & 0x0F) * 4
            guard transport >= 20 else { return nil }
            header = QuotedHeader(family: .ipv4, sourceHigh: 0, sourceLow: u32(12), destinationHigh: 0, destinationLow: u32(16),
                                  ipProtocol: byte(9))
        } else {
            guard quote.count >= 40, byte(0) >> 4 == 6 else { return nil }
            transport = 40
            header = QuotedHeader(family: .ipv6, sourceHigh: u64(8), sourceLow: u64(16), destinationHigh: u64(24), destinationLow: u64(32),
                                  ipProtocol: byte(6))
        }
        guard quote.count >= transport + 8 else { return nil }
        switch header.ipProtocol {
        case IPProtocolNumber.tcp, IPProtocolNumber.udp:
            header.sourcePort = u16(transport)
            header.destinationPort = u16(transport + 2)
        case IPProtocolNumber.icmp where header.family == .ipv4, IPProtocolNumber.icmpv6 where header.family == .ipv6:
            header.icmpType = byte(transport)
            header.icmpCode = byte(transport + 1)
            header.icmpIdentifier = u16(transport + 4)
        default: break
        }
        return header
    }
}
