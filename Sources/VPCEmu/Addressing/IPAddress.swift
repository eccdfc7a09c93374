/// IPv4 and IPv6 addresses as plain integers: cheap to copy, compare and hash on the hot path.

public enum AddressFamily: UInt8, Sendable, Hashable, Codable, CustomStringConvertible {
    case ipv4 = 4
    case ipv6 = 6

    /// Number of bits in an address of this family.
    @inlinable public var bitWidth: Int { self == .ipv4 ? 32 : 128 }

    public var description: String { self == .ipv4 ? "IPv4" : "IPv6" }
}

/// An IPv4 address in host byte order (`10.0.0.1` is `0x0A00_0001`).
public struct IPv4Address: Hashable, Comparable, Sendable {
    public var value: UInt32

    @inlinable public init(_ value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad text: exactly four decimal parts 0...255, no leading zeros
    /// (they are octal to some parsers, so they are refused rather than guessed).
    public init?(_ text: some StringProtocol) {
        var result: UInt32 = 0
        var parts = 0
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCIIDigit),
                  !(part.count > 1 && part.first == "0"),
                  let octet = UInt32(part), octet <= 255 else { return nil }
            result = result << 8 | octet
            parts += 1
        }
        guard parts == 4 else { return nil }
        value = result
    }

    @inlinable public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
}

extension IPv4Address: CustomStringConvertible {
    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }
}

/// An IPv6 address as two 64-bit halves in host byte order (`high` holds the first 8 bytes).
public struct IPv6Address: Hashable, Comparable, Sendable {
    public var high: UInt64
    public var low: UInt64

    @inlinable public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Builds an address from its eight 16-bit groups.
    public init(groups: [UInt16]) {
        precondition(groups.count == 8, "an IPv6 address has eight groups")
        var high: UInt64 = 0, low: UInt64 = 0
        for group in groups[0..<4] { high = high << 16 | UInt64(group) }
        for group in groups[4..<8] { low = low << 16 | UInt64(group) }
        self.init(high: high, low: low)
    }

    /// The eight 16-bit groups, most significant first.
    public var groups: [UInt16] {
        (0..<8).map { index in
            let half = index < 4 ? high : low
            return UInt16(truncatingIfNeeded: half >> UInt64(48 - 16 * (index % 4)))
        }
    }

    /// Parses RFC 4291 section 2.2 text: hex groups, one `::`, optional trailing dotted quad.
    public init?(_ text: some StringProtocol) {
        let text = String(text)
        guard !text.isEmpty, text.count <= 45 else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        let doubleColons = text.ranges(of: "::")
        guard doubleColons.count <= 1 else { return nil }
        let pieces = doubleColons.first.map { [String(text[..<$0.lowerBound]), String(text[$0.upperBound...])] } ?? [text]
        func parseGroups(_ part: String, allowEmbeddedIPv4: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            var groups: [UInt16] = []
            for (index, field) in fields.enumerated() {
                if index == fields.count - 1, allowEmbeddedIPv4, field.contains(".") {
                    guard let v4 = IPv4Address(field) else { return nil }
                    groups.append(UInt16(v4.value >> 16))
                    groups.append(UInt16(v4.value & 0xFFFF))
                    continue
                }
                guard (1...4).contains(field.count), field.allSatisfy(\.isHexDigit),
                      let group = UInt16(field, radix: 16) else { return nil }
                groups.append(group)
            }
            return groups
        }
        if pieces.count == 2 {
            guard let h = parseGroups(pieces[0], allowEmbeddedIPv4: false),
                  let t = parseGroups(pieces[1], allowEmbeddedIPv4: true),
                  h.count + t.count <= 7 else { return nil }
            head = h
            tail = t
        } else {
            guard let all = parseGroups(pieces[0], allowEmbeddedIPv4: true), all.count == 8 else { return nil }
            head = all
        }
        let zeros = [UInt16](repeating: 0, count: 8 - head.count - tail.count)
        self.init(groups: head + zeros + tail)
    }

    @inlinable public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.high != rhs.high ? lhs.high < rhs.high : lhs.low < rhs.low
    }
}

extension IPv6Address: CustomStringConvertible {
    /// RFC 5952 canonical text: lowercase, no leading zeros, the longest run (first on a tie)
    /// of two or more zero groups written as `::`.
    public var description: String {
        let groups = self.groups
        var bestStart = -1, bestLength = 0
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else { index += 1; continue }
            let start = index
            while index < 8, groups[index] == 0 { index += 1 }
            if index - start > bestLength { bestStart = start; bestLength = index - start }
        }
        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard bestLength >= 2 else { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }
}

/// An address of either family.
public enum IPAddress: Hashable, Comparable, Sendable {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses IPv4 dotted-quad or IPv6 text.
    public init?(_ text: some StringProtocol) {
        if let v4 = IPv4Address(text) {
            self = .v4(v4)
        } else if let v6 = IPv6Address(text) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    @inlinable public var family: AddressFamily {
        switch self {
        case .v4: .ipv4
        case .v6: .ipv6
        }
    }

    /// The address widened to 128 bits, IPv4 in the low 32 bits: one key shape for both families.
    @inlinable public var bits: (high: UInt64, low: UInt64) {
        switch self {
        case .v4(let a): (0, UInt64(a.value))
        case .v6(let a): (a.high, a.low)
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case let (.v4(a), .v4(b)): a < b
        case let (.v6(a), .v6(b)): a < b
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }
}

extension IPAddress: CustomStringConvertible {
    public var description: String {
        switch self {
        case .v4(let a): a.description
        case .v6(let a): a.description
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
