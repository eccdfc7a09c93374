/// BSD loopback encapsulations: a 4-byte address family before the IP header
/// (https://www.tcpdump.org/linktypes/LINKTYPE_NULL.html).
enum LoopbackFamily {
    static let inet: UInt32 = 2
    /// AF_INET6 differs per OS: Linux 10, NetBSD/OpenBSD/BSD/OS 24, FreeBSD 28, Darwin 30.
    static let inet6Values: (UInt32, UInt32, UInt32, UInt32) = (10, 24, 28, 30)
}

extension WireCursor {
    static let loopbackHeaderLength = 4

    /// NULL stores the family in the capturing host's byte order, which the file does not
    /// record; family values are small, so a value above 0xFFFF is read byte-swapped (as
    /// libpcap and tcpdump do). LOOP stores it in network order.
    func decodeLoopback(networkOrder: Bool, into headers: inout PacketHeaders) -> ParseOutcome {
        guard count >= Self.loopbackHeaderLength else { return .malformed(.truncatedLoopback) }
        var family = base.loadBigEndian(at: 0, as: UInt32.self)
        if !networkOrder, family > 0xFFFF { family = family.byteSwapped }
        let inet6 = LoopbackFamily.inet6Values
        switch family {
        case LoopbackFamily.inet: return decodeIPv4(at: Self.loopbackHeaderLength, into: &headers)
        case inet6.0, inet6.1, inet6.2, inet6.3: return decodeIPv6(at: Self.loopbackHeaderLength, into: &headers)
        default: return .notIP(UInt16(truncatingIfNeeded: family))
        }
    }
}
