/// Replaces a parsed packet's IP source and destination in place and keeps its checksums right,
/// by incremental update (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')), so no byte of the payload
/// is read.
///
/// What is updated: the IPv4 header checksum; the TCP, UDP and ICMPv6 checksums, whose
/// pseudo-header holds the addresses (RFC 9293, RFC 768, RFC 8200 section 8.1), when the packet
/// carries its transport header (not an IPv4 fragment other than the first, whose data has no
/// transport header) and the checksum field was captured. A UDP checksum of 0 means "none" over
/// IPv4 (RFC 768) and stays 0; a computed UDP checksum of 0 is sent as 0xFFFF. ICMPv4's checksum
/// covers no address. Addresses quoted inside ICMP and ICMPv6 errors, and those of tunnelled
/// inner packets, are left as captured: only the outer header is the packet's identity on the path.
public enum AddressRewriter {
    /// Writes `source` and `destination` (in `PacketHeaders`' `high`/`low` layout; IPv4 in the low
    /// 32 bits of `low`) into the IP header `headers` describes, and updates the checksums. `frame`
    /// must be the frame `headers` was parsed from with outcome `.ip`.
    @inline(__always)
    public static func rewrite(_ frame: UnsafeMutableRawBufferPointer, headers: PacketHeaders,
                               source: (high: UInt64, low: UInt64), destination: (high: UInt64, low: UInt64)) {
        guard let base = frame.baseAddress else { return }
        let count = frame.count
        let l3 = Int(headers.l3Offset)
        let oldSum: UInt16, newSum: UInt16
        switch headers.family {
        case .ipv4:
            guard l3 &+ 20 <= count else { return }
            let oldSource = UInt32(truncatingIfNeeded: headers.sourceLow), oldDestination = UInt32(truncatingIfNeeded: headers.destinationLow)
            let newSource = UInt32(truncatingIfNeeded: source.low), newDestination = UInt32(truncatingIfNeeded: destination.low)
            store32(newSource, base + l3 + 12)
            store32(newDestination, base + l3 + 16)
            oldSum = wordSum(0, UInt64(oldSource) &+ UInt64(oldDestination))
            newSum = wordSum(0, UInt64(newSource) &+ UInt64(newDestination))
            // The header checksum covers the addresses.
            update(checksumAt: base + l3 + 10, oldSum: oldSum, newSum: newSum)
        case .ipv6:
            guard l3 &+ 40 <= count else { return }
            store64(source.high, base + l3 + 8)
            store64(source.low, base + l3 + 16)
            store64(destination.high, base + l3 + 24)
            store64(destination.low, base + l3 + 32)
            oldSum = InternetChecksum.fold(UInt64(wordSum(headers.sourceHigh, headers.sourceLow))
                                           &+ UInt64(wordSum(headers.destinationHigh, headers.destinationLow)))
            newSum = InternetChecksum.fold(UInt64(wordSum(source.high, source.low)) &+ UInt64(wordSum(destination.high, destination.low)))
        }
        guard headers.hasTransportHeader, !headers.fragment.isNonFirst else { return }
        let l4 = Int(headers.l4Offset)
        switch headers.ipProtocol {
        case IPProtocolNumber.tcp:
            if l4 &+ 18 <= count { update(checksumAt: base + l4 + 16, oldSum: oldSum, newSum: newSum) }
        case IPProtocolNumber.udp:
            guard l4 &+ 8 <= count else { return }
            let field = base + l4 + 6
            guard load16(field) != 0 else { return }  // no checksum (IPv4), or an invalid one left as found (IPv6)
            update(checksumAt: field, oldSum: oldSum, newSum: newSum)
            if load16(field) == 0 { store16(0xFFFF, field) }
        case IPProtocolNumber.icmpv6 where headers.family == .ipv6:
            if l4 &+ 4 <= count { update(checksumAt: base + l4 + 2, oldSum: oldSum, newSum: newSum) }
        default:
            break
        }
    }

    /// RFC 1624 eqn. 3 over the one's complement sums of the old and new words.
    @inline(__always)
    static func update(checksumAt field: UnsafeMutableRawPointer, oldSum: UInt16, newSum: UInt16) {
        let checksum = load16(field)
        store16(~InternetChecksum.fold(UInt64(~checksum) &+ UInt64(~oldSum) &+ UInt64(newSum)), field)
    }

    /// The one's complement sum of the 16-bit words of a 128-bit value (32-bit halves may be
    /// added: 2^16 ≡ 1 modulo 0xFFFF).
    @inline(__always)
    static func wordSum(_ high: UInt64, _ low: UInt64) -> UInt16 {
        InternetChecksum.fold((high >> 32) &+ (high & 0xFFFF_FFFF) &+ (low >> 32) &+ (low & 0xFFFF_FFFF))
    }

    @inline(__always) private static func load16(_ p: UnsafeMutableRawPointer) -> UInt16 {
        UInt16(bigEndian: p.loadUnaligned(as: UInt16.self))
    }
    @inline(__always) private static func store16(_ value: UInt16, _ p: UnsafeMutableRawPointer) {
        p.storeBytes(of: value.bigEndian, as: UInt16.self)
    }
    @inline(__always) private static func store32(_ value: UInt32, _ p: UnsafeMutableRawPointer) {
        p.storeBytes(of: value.bigEndian, as: UInt32.self)
    }
    @inline(__always) private static func store64(_ value: UInt64, _ p: UnsafeMutableRawPointer) {
        p.storeBytes(of: value.bigEndian, as: UInt64.self)
    }
}
