/// A CIDR block: an address and a prefix length, shared by routes, rules and the topology.
///
/// The stored address always has its host bits cleared. Parsing is strict by default
/// (`10.0.0.1/8` is an error, as the cloud APIs reject it); `allowHostBits` masks them instead,
/// for inputs such as BGP dumps that are known to be sloppy.
public struct IPNetwork: Hashable, Comparable, Sendable {
    public let address: IPAddress
    public let prefixLength: Int

    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case missingSlash(String)
        case badAddress(String)
        case badPrefixLength(String, family: AddressFamily)
        case hostBitsSet(String, network: String)

        public var description: String {
            switch self {
            case .missingSlash(let text):
                "'\(text)' is not a CIDR block: expected ADDRESS/LENGTH such as 10.0.0.0/16 or fd00::/48"
            case .badAddress(let text):
                "'\(text)' does not hold a valid IPv4 or IPv6 address"
            case .badPrefixLength(let text, let family):
                "'\(text)': prefix length must be a whole number from 0 to \(family.bitWidth) for \(family)"
            case .hostBitsSet(let text, let network):
                "'\(text)' has host bits set: did you mean \(network)?"
            }
        }
    }

    /// Builds a network, masking host bits. `prefixLength` must fit the family.
    public init(address: IPAddress, prefixLength: Int) {
        precondition((0...address.family.bitWidth).contains(prefixLength), "prefix length out of range")
        self.address = Self.masked(address, prefixLength)
        self.prefixLength = prefixLength
    }

    /// Parses `ADDRESS/LENGTH`. A bare address is a host route only when `allowBareAddress` is set.
    public init(parsing text: some StringProtocol, allowHostBits: Bool = false, allowBareAddress: Bool = false) throws(ParseError) {
        let text = String(text)
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else {
            throw parts.count == 2 || allowBareAddress ? .badAddress(text) : .missingSlash(text)
        }
        let length: Int
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), parts[1].allSatisfy(\.isASCIIDigit),
                  (0...address.family.bitWidth).contains(parsed) else {
                throw .badPrefixLength(text, family: address.family)
            }
            length = parsed
        } else if allowBareAddress {
            length = address.family.bitWidth
        } else {
            throw .missingSlash(text)
        }
        let network = IPNetwork(address: address, prefixLength: length)
        if network.address != address, !allowHostBits {
            throw .hostBitsSet(text, network: network.description)
        }
        self = network
    }

    @inlinable public var family: AddressFamily { address.family }

    /// Whether `other` lies inside this block (same family).
    public func contains(_ other: IPAddress) -> Bool {
        other.family == family && Self.masked(other, prefixLength) == address
    }

    /// Whether `other` is equal to or more specific than this block.
    public func contains(_ other: IPNetwork) -> Bool {
        other.prefixLength >= prefixLength && contains(other.address)
    }

    /// Whether the two blocks share at least one address.
    public func overlaps(_ other: IPNetwork) -> Bool {
        contains(other) || other.contains(self)
    }

    /// The first and last address of the block.
    public var range: ClosedRange<IPAddress> {
        switch address {
        case .v4(let a):
            let hostMask: UInt32 = prefixLength == 0 ? ~0 : (prefixLength == 32 ? 0 : ~0 >> UInt32(prefixLength))
            return .v4(a)...(.v4(IPv4Address(a.value | hostMask)))
        case .v6(let a):
            let (highMask, lowMask) = Self.v6Mask(prefixLength)
            return .v6(a)...(.v6(IPv6Address(high: a.high | ~highMask, low: a.low | ~lowMask)))
        }
    }

    /// The network mask of an IPv6 prefix length as two halves.
    @inlinable static func v6Mask(_ length: Int) -> (UInt64, UInt64) {
        let high: UInt64 = length == 0 ? 0 : (length >= 64 ? ~0 : ~0 << UInt64(64 - length))
        let low: UInt64 = length <= 64 ? 0 : (length == 128 ? ~0 : ~0 << UInt64(128 - length))
        return (high, low)
    }

    static func masked(_ address: IPAddress, _ length: Int) -> IPAddress {
        switch address {
        case .v4(let a):
            let mask: UInt32 = length == 0 ? 0 : ~0 << UInt32(32 - length)
            return .v4(IPv4Address(a.value & mask))
        case .v6(let a):
            let (highMask, lowMask) = v6Mask(length)
            return .v6(IPv6Address(high: a.high & highMask, low: a.low & lowMask))
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.address != rhs.address ? lhs.address < rhs.address : lhs.prefixLength < rhs.prefixLength
    }
}

extension IPNetwork: CustomStringConvertible {
    public var description: String { "\(address)/\(prefixLength)" }
}
