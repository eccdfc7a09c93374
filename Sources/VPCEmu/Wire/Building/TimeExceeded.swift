/// ICMP time-exceeded answers (ICMP type 11 code 0, RFC 792; ICMPv6 type 3 code 0, RFC 4443
/// section 3.3) that a router sends when a packet's TTL / hop limit runs out.
public enum TimeExceeded {
    /// RFC 1812 section 4.3.2.3: the ICMP datagram should quote as much of the original as fits
    /// in 576 bytes (at least the IP header and 8 bytes, RFC 792).
    public static let maximumIPv4AnswerLength = 576
    /// RFC 4443 section 2.4(c): as much as fits without exceeding the minimum IPv6 MTU.
    public static let maximumIPv6AnswerLength = 1280

    /// Whether a packet may be answered with an ICMP error at all: never for an ICMP error
    /// message, a non-first fragment, or a multicast / broadcast / unspecified address
    /// (RFC 1812 section 4.3.2.7, RFC 4443 section 2.4(e)).
    public static func mayAnswer(_ headers: PacketHeaders) -> Bool {
        if headers.fragment.isNonFirst { return false }
        switch headers.family {
        case .ipv4:
            if headers.ipProtocol == IPProtocolNumber.icmp, !headers.hasTransportHeader || isICMPv4Error(headers.icmpType) {
                return false
            }
            let source = UInt32(truncatingIfNeeded: headers.sourceLow)
            let destination = UInt32(truncatingIfNeeded: headers.destinationLow)
            return source != 0 && !isIPv4MulticastOrBroadcast(source) && !isIPv4MulticastOrBroadcast(destination)
        case .ipv6:
            if headers.ipProtocol == IPProtocolNumber.icmpv6, !headers.hasTransportHeader || headers.icmpType < 128 {
                return false
            }
            let sourceIsUnspecified = headers.sourceHigh == 0 && headers.sourceLow == 0
            return !sourceIsUnspecified && headers.sourceHigh >> 56 != 0xFF && headers.destinationHigh >> 56 != 0xFF
        }
    }

    /// Appends the time-exceeded answer to `original` (the frame `headers` was parsed from):
    /// from `router` to the original source, quoting the original IP packet (as captured,
    /// up to its declared length) as far as the RFC size limit allows. Returns the frame length.
    @discardableResult
    public static func build(
        answering original: UnsafeRawBufferPointer, headers: PacketHeaders, router: IPAddress,
        ttl: UInt8 = 64, ethernet: EthernetSpec? = nil, into frame: inout ContiguousArray<UInt8>
    ) -> Int {
        precondition(router.family == headers.family, "the router answers in the packet's family")
        let isVersion4 = headers.family == .ipv4
        let l3 = min(Int(headers.l3Offset), original.count)
        let available = min(original.count - l3, Int(headers.ipTotalLength))
        let headerRoom = (isVersion4 ? IPv4HeaderView.minimumLength : IPv6HeaderView.length) + TransportHeaderLength.icmp
        let limit = (isVersion4 ? maximumIPv4AnswerLength : maximumIPv6AnswerLength) - headerRoom
        let quoted = UnsafeRawBufferPointer(rebasing: original[l3..<(l3 + max(0, min(available, limit)))])
        let spec = PacketSpec(
            ethernet: ethernet, source: router, destination: headers.source, ttl: ttl,
            transport: .icmpMessage(type: isVersion4 ? ICMPType.timeExceeded : ICMPv6Type.timeExceeded, code: 0, restOfHeader: 0))
        return PacketBuilder.build(spec, payload: quoted, into: &frame)
    }

    private static func isIPv4MulticastOrBroadcast(_ address: UInt32) -> Bool {
        address >> 28 == 0xE || address == .max
    }

    /// ICMPv4 error types (RFC 792, RFC 1812): destination unreachable, source quench,
    /// redirect, time exceeded, parameter problem.
    private static func isICMPv4Error(_ type: UInt8) -> Bool {
        type == 3 || type == 4 || type == 5 || type == 11 || type == 12
    }
}
