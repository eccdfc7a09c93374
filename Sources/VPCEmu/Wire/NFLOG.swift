/// Linux netfilter NFLOG (https://www.tcpdump.org/linktypes/LINKTYPE_NFLOG.html): address family
/// (1 byte), version (1), resource id (2, network order), then attributes of a 2-byte length
/// (the 4-byte attribute header included) and a 2-byte type, each padded to 4 bytes. The length
/// and type are in the capturing host's byte order; libpcap swaps them into the reading host's
/// order for a file written on a host of the other order, and so do VPCEmu's native readers, so
/// they are read here in this host's order.
enum NFLOG {
    static let headerLength = 4
    static let attributeHeaderLength = 4
    /// NFULA_PAYLOAD: the logged packet, starting at its network header.
    static let payloadType: UInt16 = 9
    static let inet: UInt8 = 2
    static let inet6: UInt8 = 10
}

extension WireCursor {
    /// The payload attribute's IP packet, by the header's family. A complete frame with no
    /// payload attribute (logged without copying the packet) is not IP: `notIP(family)`.
    func decodeNFLOG(into headers: inout PacketHeaders) -> ParseOutcome {
        guard count >= NFLOG.headerLength else { return .malformed(.truncatedNFLOG) }
        let family = base.loadByte(at: 0)
        var offset = NFLOG.headerLength
        // Each attribute consumes at least 4 bytes of a finite frame: the walk ends.
        while offset < count {
            guard offset &+ NFLOG.attributeHeaderLength <= count else { return .malformed(.truncatedNFLOG) }
            let length = Int(base.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
            let type = base.loadUnaligned(fromByteOffset: offset &+ 2, as: UInt16.self)
            guard length >= NFLOG.attributeHeaderLength else { return .malformed(.badNFLOGAttributeLength) }
            if type == NFLOG.payloadType {
                // The IP packet ends with its attribute (a snapshot may have cut it sooner).
                let payload = WireCursor(base: base, count: min(count, offset &+ length), snapped: snapped, options: options)
                let start = offset &+ NFLOG.attributeHeaderLength
                switch family {
                case NFLOG.inet: return payload.decodeIPv4(at: start, into: &headers)
                case NFLOG.inet6: return payload.decodeIPv6(at: start, into: &headers)
                default: return .notIP(UInt16(family))
                }
            }
            // An attribute (with its padding) past the captured bytes is cut short.
            offset &+= (length &+ 3) & ~3
            guard offset <= count else { return .malformed(.truncatedNFLOG) }
        }
        // A snapshot may have cut the payload off; a complete frame without one carries no packet.
        return snapped ? .malformed(.truncatedNFLOG) : .notIP(UInt16(family))
    }
}
