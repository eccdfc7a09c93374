/// The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum.
///
/// Words are summed in the host's byte order, 64 bits at a time with end-around carry, and
/// byte-swapped once at the end; RFC 1071 section 2(B) shows the sum is byte-order independent,
/// and since 2^16 ≡ 1 (mod 0xFFFF) a 64-bit one's complement sum folds to the 16-bit one.
/// All sums returned here are in "big-endian value" form, so they can be added to header fields
/// read with `loadBigEndian` (pseudo-header addresses, lengths) and folded again.
enum InternetChecksum {
    /// One's complement sum of `count` bytes starting at `bytes`, folded to 16 bits.
    @inline(__always)
    static func sum(_ bytes: UnsafeRawPointer, count: Int) -> UInt32 {
        var accumulator: UInt64 = 0
        var index = 0
        while index &+ 8 <= count {
            accumulator = addWithCarry(accumulator, bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            index &+= 8
        }
        if index &+ 4 <= count {
            accumulator = addWithCarry(accumulator, UInt64(bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self)))
            index &+= 4
        }
        if index &+ 2 <= count {
            accumulator = addWithCarry(accumulator, UInt64(bytes.loadUnaligned(fromByteOffset: index, as: UInt16.self)))
            index &+= 2
        }
        if index < count {
            // The odd last byte is the high byte of a zero-padded word in network order, i.e. the
            // first byte in memory: the host-order value of the bytes [byte, 0].
            let padded = UInt16(littleEndian: UInt16(bytes.loadByte(at: index)))
            accumulator = addWithCarry(accumulator, UInt64(padded))
        }
        return UInt32(UInt16(bigEndian: fold(accumulator)))
    }

    /// One's complement addition: the carry out of bit 63 comes back in at bit 0.
    @inline(__always)
    private static func addWithCarry(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return sum &+ (overflow ? 1 : 0)
    }

    /// Folds carries back in until the value fits 16 bits (end-around carry).
    @inline(__always)
    static func fold(_ value: UInt64) -> UInt16 {
        var sum = (value & 0xFFFF_FFFF) &+ (value >> 32)
        sum = (sum & 0xFFFF) &+ (sum >> 16)
        sum = (sum & 0xFFFF) &+ (sum >> 16)
        sum = (sum & 0xFFFF) &+ (sum >> 16)
        return UInt16(truncatingIfNeeded: sum)
    }

    /// Sum of the TCP/UDP/ICMPv6 pseudo-header (RFC 793 / RFC 768 for IPv4, RFC 8200 section
    /// 8.1 for IPv6): addresses, upper-layer length and protocol.
    @inline(__always)
    static func pseudoHeaderSum(
        source: (high: UInt64, low: UInt64), destination: (high: UInt64, low: UInt64),
        upperLayerLength: Int, protocolNumber: UInt8
    ) -> UInt64 {
        // Adding 32-bit words is fine: 2^16 ≡ 1 modulo 0xFFFF, so folding gives the 16-bit sum.
        UInt64(protocolNumber) &+ UInt64(truncatingIfNeeded: upperLayerLength)
            &+ (source.high >> 32) &+ (source.high & 0xFFFF_FFFF) &+ (source.low >> 32) &+ (source.low & 0xFFFF_FFFF)
            &+ (destination.high >> 32) &+ (destination.high & 0xFFFF_FFFF)
            &+ (destination.low >> 32) &+ (destination.low & 0xFFFF_FFFF)
    }

    /// True when data that includes its checksum field sums to all ones.
    @inline(__always)
    static func isValid(_ sum: UInt64) -> Bool { fold(sum) == 0xFFFF }
}
