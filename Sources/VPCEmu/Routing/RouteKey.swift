/// The bit-level view of an address that the route structures need: the RIB walks a key one
/// bit at a time from the most significant end, and rebuilds prefixes while it iterates.
public protocol RouteKey: Hashable, Comparable, Sendable {
    /// Number of bits in a key (32 or 128).
    static var bitWidth: Int { get }
    /// The all-zeros key.
    static var zero: Self { get }
    /// Bit `index`, counted from the most significant bit (index 0).
    func bit(_ index: Int) -> Bool
    /// The key with bit `index` (from the most significant end) set.
    func settingBit(_ index: Int) -> Self
    /// The key with every bit from `length` on cleared.
    func masked(to length: Int) -> Self
}

extension IPv4Address: RouteKey {
    public static var bitWidth: Int { 32 }
    public static var zero: IPv4Address { IPv4Address(0) }

    @inlinable public func bit(_ index: Int) -> Bool { value &>> UInt32(31 - index) & 1 != 0 }

    public func settingBit(_ index: Int) -> IPv4Address { IPv4Address(value | 1 &<< UInt32(31 - index)) }

    public func masked(to length: Int) -> IPv4Address {
        IPv4Address(length == 0 ? 0 : value & ~0 << UInt32(32 - length))
    }
}

extension IPv6Address: RouteKey {
    public static var bitWidth: Int { 128 }
    public static var zero: IPv6Address { IPv6Address(high: 0, low: 0) }

    @inlinable public func bit(_ index: Int) -> Bool {
        index < 64 ? high &>> UInt64(63 - index) & 1 != 0 : low &>> UInt64(127 - index) & 1 != 0
    }

    public func settingBit(_ index: Int) -> IPv6Address {
        index < 64
            ? IPv6Address(high: high | 1 &<< UInt64(63 - index), low: low)
            : IPv6Address(high: high, low: low | 1 &<< UInt64(127 - index))
    }

    public func masked(to length: Int) -> IPv6Address {
        let (highMask, lowMask) = IPNetwork.v6Mask(length)
        return IPv6Address(high: high & highMask, low: low & lowMask)
    }
}
