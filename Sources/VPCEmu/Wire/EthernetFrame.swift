/// Ethernet II (with IEEE 802.1Q / 802.1ad VLAN tags) and the EtherType dispatch that Linux
/// cooked captures share.
enum EtherType {
    static let ipv4: UInt16 = 0x0800
    static let ipv6: UInt16 = 0x86DD
    static let arp: UInt16 = 0x0806
    /// 802.1Q customer VLAN tag.
    static let vlan: UInt16 = 0x8100
    /// 802.1ad service VLAN tag (QinQ outer tag).
    static let serviceVLAN: UInt16 = 0x88A8
    /// Pre-standard QinQ outer tag used by some switches.
    static let legacyQinQ: UInt16 = 0x9100
    /// Values below this are IEEE 802.3 length fields, not EtherTypes.
    static let minimum: UInt16 = 0x0600
}

extension WireCursor {
    static let ethernetHeaderLength = 14
    static let vlanTagLength = 4

    /// Destination MAC (6), source MAC (6), EtherType (2).
    @inline(__always)
    func decodeEthernet(into headers: inout PacketHeaders) -> ParseOutcome {
        guard count >= Self.ethernetHeaderLength else { return .malformed(.truncatedEthernet) }
        return decodeEtherTypePayload(
            base.loadBigEndian(at: 12, as: UInt16.self), at: Self.ethernetHeaderLength, into: &headers)
    }

    /// Skips VLAN tags (any depth, recording the first two ids), then hands IP to its decoder.
    /// The walk ends: every tag consumes 4 bytes of a finite frame.
    @inline(__always)
    func decodeEtherTypePayload(_ etherType: UInt16, at start: Int, into headers: inout PacketHeaders) -> ParseOutcome {
        var etherType = etherType
        var offset = start
        // Untagged IPv4, the common case, leaves the loop after one comparison.
        while etherType != EtherType.ipv4,
              etherType == EtherType.vlan || etherType == EtherType.serviceVLAN || etherType == EtherType.legacyQinQ {
            guard offset &+ Self.vlanTagLength <= count else { return .malformed(.truncatedVLAN) }
            // Tag control information: priority (3 bits), drop eligible (1), VLAN id (12).
            let vlanID = base.loadBigEndian(at: offset, as: UInt16.self) & 0x0FFF
            switch headers.vlanTagCount {
            case 0: headers.outerVLANID = vlanID
            case 1: headers.innerVLANID = vlanID
            default: break
            }
            if headers.vlanTagCount < .max { headers.vlanTagCount &+= 1 }
            etherType = base.loadBigEndian(at: offset &+ 2, as: UInt16.self)
            offset &+= Self.vlanTagLength
        }
        switch etherType {
        case EtherType.ipv4: return decodeIPv4(at: offset, into: &headers)
        case EtherType.ipv6: return decodeIPv6(at: offset, into: &headers)
        default: return .notIP(etherType)
        }
    }
}
