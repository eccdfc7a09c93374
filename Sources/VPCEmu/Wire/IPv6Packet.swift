/// IPv6 (RFC 8200) and its extension-header chain.
struct IPv6HeaderView {
    static let length = 40
    static let hopLimitOffset = 7

    let bytes: UnsafeRawPointer

    var version: UInt8 { bytes.loadByte(at: 0) >> 4 }
    var trafficClass: UInt8 { UInt8(truncatingIfNeeded: bytes.loadBigEndian(at: 0, as: UInt32.self) >> 20) }
    var payloadLength: Int { Int(bytes.loadBigEndian(at: 4, as: UInt16.self)) }
    var nextHeader: UInt8 { bytes.loadByte(at: 6) }
    var hopLimit: UInt8 { bytes.loadByte(at: Self.hopLimitOffset) }
    var sourceHigh: UInt64 { bytes.loadBigEndian(at: 8, as: UInt64.self) }
    var sourceLow: UInt64 { bytes.loadBigEndian(at: 16, as: UInt64.self) }
    var destinationHigh: UInt64 { bytes.loadBigEndian(at: 24, as: UInt64.self) }
    var destinationLow: UInt64 { bytes.loadBigEndian(at: 32, as: UInt64.self) }
}

/// The 8-byte fragment header (RFC 8200 section 4.5): next header, reserved, offset (13 bits,
/// 8-byte units) + 2 reserved bits + M flag, identification.
struct IPv6FragmentHeaderView {
    static let length = 8
    let bytes: UnsafeRawPointer

    var nextHeader: UInt8 { bytes.loadByte(at: 0) }
    var offsetAndFlags: UInt16 { bytes.loadBigEndian(at: 2, as: UInt16.self) }
    var offset: Int { Int(offsetAndFlags & 0xFFF8) }
    var moreFragments: Bool { offsetAndFlags & 1 != 0 }
    var identification: UInt32 { bytes.loadBigEndian(at: 4, as: UInt32.self) }
}

extension WireCursor {
    func decodeIPv6(at offset: Int, into headers: inout PacketHeaders) -> ParseOutcome {
        let available = count &- offset
        guard available >= IPv6HeaderView.length else { return .malformed(.truncatedIPv6) }
        let header = IPv6HeaderView(bytes: base + offset)
        guard header.version == 6 else { return .malformed(.badVersion) }
        let totalLength = IPv6HeaderView.length &+ header.payloadLength
        guard totalLength <= available || snapped else { return .malformed(.truncatedIPv6) }

        headers.family = .ipv6
        headers.sourceHigh = header.sourceHigh
        headers.sourceLow = header.sourceLow
        headers.destinationHigh = header.destinationHigh
        headers.destinationLow = header.destinationLow
        headers.ttl = header.hopLimit
        headers.trafficClass = header.trafficClass
        headers.ipTotalLength = UInt32(totalLength)
        headers.l3Offset = UInt32(truncatingIfNeeded: offset)

        let declaredEnd = offset &+ totalLength
        let end = min(declaredEnd, count)
        var nextHeader = header.nextHeader
        var cursor = offset &+ IPv6HeaderView.length
        var extensionCount = 0
        var routingSegmentsLeft: UInt8 = 0
        // Each extension header moves the cursor forward by at least 8 bytes and the count is
        // capped, so the walk ends on any input.
        walk: while true {
            let headerLength: Int
            switch nextHeader {
            case IPProtocolNumber.hopByHop, IPProtocolNumber.ipv6Routing, IPProtocolNumber.ipv6DestinationOptions,
                 IPProtocolNumber.ah:
                // RFC 8200 section 4.3: hop-by-hop options only directly after the IPv6 header.
                guard nextHeader != IPProtocolNumber.hopByHop || extensionCount == 0 else {
                    return .malformed(.badIPv6ExtensionChain)
                }
                guard cursor &+ 2 <= end else { return .malformed(.truncatedIPv6Extension) }
                let lengthField = Int(base.loadByte(at: cursor &+ 1))
                // AH counts 4-byte words minus 2 (RFC 4302); the others 8-byte words minus 1.
                headerLength = nextHeader == IPProtocolNumber.ah ? (lengthField &+ 2) &* 4 : (lengthField &+ 1) &* 8
            case IPProtocolNumber.ipv6Fragment:
                headerLength = IPv6FragmentHeaderView.length
            default:
                break walk
            }
            guard cursor &+ headerLength <= end else { return .malformed(.truncatedIPv6Extension) }
            extensionCount &+= 1
            guard extensionCount <= PacketParser.maximumExtensionHeaders else {
                return .malformed(.badIPv6ExtensionChain)
            }
            if nextHeader == IPProtocolNumber.ipv6Fragment {
                let fragment = IPv6FragmentHeaderView(bytes: base + cursor)
                // RFC 8200 section 4.5: the reassembled payload (headers before this one, the
                // fragment offset, this fragment's data) must fit the 16-bit payload length.
                let headersBefore = cursor &- offset &- IPv6HeaderView.length
                let dataLength = declaredEnd &- cursor &- headerLength
                guard headersBefore &+ fragment.offset &+ dataLength <= maximumReassembledLength,
                      !fragment.moreFragments || dataLength % 8 == 0 else { return .malformed(.badFragment) }
                headers.fragment.isFragment = true
                headers.fragment.offset = UInt16(truncatingIfNeeded: fragment.offset)
                headers.fragment.moreFragments = fragment.moreFragments
                headers.fragment.identification = fragment.identification
                nextHeader = fragment.nextHeader
                cursor &+= headerLength
                // A non-first fragment's data is not a header; the chain ends here.
                if fragment.offset != 0 { break walk }
                continue walk
            }
            if nextHeader == IPProtocolNumber.ipv6Routing {
                routingSegmentsLeft |= base.loadByte(at: cursor &+ 3)
            }
            nextHeader = base.loadByte(at: cursor)
            cursor &+= headerLength
        }
        headers.ipProtocol = nextHeader
        headers.l4Offset = UInt32(truncatingIfNeeded: cursor)
        let upperLayerLength = declaredEnd &- cursor
        if headers.fragment.isNonFirst {
            headers.payloadLength = UInt32(upperLayerLength)
            return .ip
        }
        // RFC 8200 section 8.1: with segments left, the pseudo-header uses the final destination
        // from the routing header, whose place depends on the routing type; such packets are
        // not checksum-verified.
        return decodeTransport(at: cursor, declaredLength: upperLayerLength,
                               checksumVerifiable: routingSegmentsLeft == 0, into: &headers)
    }
}
