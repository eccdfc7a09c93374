/// Linux "cooked" capture headers (https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html
/// and LINKTYPE_LINUX_SLL2.html): what `tcpdump -i any` writes.
extension WireCursor {
    static let linuxSLLHeaderLength = 16
    static let linuxSLL2HeaderLength = 20

    /// SLL: packet type (2), ARPHRD type (2), address length (2), address (8), protocol (2).
    func decodeLinuxSLL(into headers: inout PacketHeaders) -> ParseOutcome {
        guard count >= Self.linuxSLLHeaderLength else { return .malformed(.truncatedLinuxSLL) }
        return decodeCookedProtocol(base.loadBigEndian(at: 14, as: UInt16.self),
                                    at: Self.linuxSLLHeaderLength, into: &headers)
    }

    /// SLL2: protocol (2), reserved (2), interface index (4), ARPHRD type (2), packet type (1),
    /// address length (1), address (8).
    func decodeLinuxSLL2(into headers: inout PacketHeaders) -> ParseOutcome {
        guard count >= Self.linuxSLL2HeaderLength else { return .malformed(.truncatedLinuxSLL) }
        return decodeCookedProtocol(base.loadBigEndian(at: 0, as: UInt16.self),
                                    at: Self.linuxSLL2HeaderLength, into: &headers)
    }

    /// The protocol field is an EtherType (libpcap re-inserts stripped VLAN tags after the
    /// cooked header, so tags are walked as for Ethernet); values below 0x0600 are Linux
    /// protocol numbers for non-Ethernet link types and are reported as not IP.
    private func decodeCookedProtocol(_ protocolField: UInt16, at offset: Int, into headers: inout PacketHeaders) -> ParseOutcome {
        guard protocolField >= EtherType.minimum else { return .notIP(protocolField) }
        return decodeEtherTypePayload(protocolField, at: offset, into: &headers)
    }
}
