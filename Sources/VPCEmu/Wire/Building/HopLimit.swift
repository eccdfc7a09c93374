/// What happened to a packet's TTL / hop limit at a router hop.
public enum HopLimitOutcome: Sendable, Hashable {
    /// Decremented in place; forward the packet.
    case decremented
    /// TTL / hop limit was 0 or 1: the packet must not be forwarded, and the router answers
    /// with time exceeded (RFC 1812 section 5.3.1, RFC 8200 section 3).
    case expired
}

public enum HopLimit {
    /// Decrements the IPv4 TTL or IPv6 hop limit of the packet in `frame`, which `headers`
    /// was parsed from, and keeps `headers.ttl` in step. The IPv4 header checksum is updated
    /// incrementally (RFC 1624 equation 3, which avoids the -0 pitfall of RFC 1141).
    public static func decrement(_ frame: UnsafeMutableRawBufferPointer, headers: inout PacketHeaders) -> HopLimitOutcome {
        guard headers.ttl > 1 else { return .expired }
        let l3 = Int(headers.l3Offset)
        let headerLength = headers.family == .ipv4 ? IPv4HeaderView.minimumLength : IPv6HeaderView.length
        precondition(l3 + headerLength <= frame.count, "headers were not parsed from this frame")
        guard let base = frame.baseAddress else { return .expired }
        let ip = base + l3
        switch headers.family {
        case .ipv4:
            // The TTL shares a 16-bit word with the protocol byte.
            let oldWord = UnsafeRawPointer(ip).loadBigEndian(at: IPv4HeaderView.ttlOffset, as: UInt16.self)
            let newWord = oldWord &- 0x0100
            let oldChecksum = UnsafeRawPointer(ip).loadBigEndian(at: IPv4HeaderView.checksumOffset, as: UInt16.self)
            let sum = UInt64(~oldChecksum) &+ UInt64(~oldWord) &+ UInt64(newWord)
            ip.storeBigEndian(newWord, at: IPv4HeaderView.ttlOffset)
            ip.storeBigEndian(~InternetChecksum.fold(sum), at: IPv4HeaderView.checksumOffset)
        case .ipv6:
            ip.storeBytes(of: headers.ttl &- 1, toByteOffset: IPv6HeaderView.hopLimitOffset, as: UInt8.self)
        }
        headers.ttl &-= 1
        return .decremented
    }
}
