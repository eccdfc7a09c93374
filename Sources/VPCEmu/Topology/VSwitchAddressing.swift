extension VSwitch {
    /// Addresses of the vSwitch's IPv4 block that instances cannot use. Alibaba Cloud reserves
    /// the first and the last three addresses of every vSwitch CIDR block; AWS the first four
    /// and the last one of every subnet.
    public func reservedIPv4Addresses(profile: RoutingProfile) -> [IPAddress] {
        guard case .v4(let first) = cidr.range.lowerBound, case .v4(let last) = cidr.range.upperBound else { return [] }
        let (head, tail): (UInt32, UInt32) = profile == .alibaba ? (1, 3) : (4, 1)
        guard last.value - first.value + 1 > head + tail else { return [] }
        return (0..<head).map { .v4(IPv4Address(first.value + $0)) } + (0..<tail).map { .v4(IPv4Address(last.value - $0)) }
    }

    /// The address of the vSwitch's gateway (it answers ping from its own instances): the
    /// third-to-last address on Alibaba Cloud (x.x.x.253 in a /24), the second address on AWS.
    public func gatewayIPv4Address(profile: RoutingProfile) -> IPAddress? {
        guard case .v4(let first) = cidr.range.lowerBound, case .v4(let last) = cidr.range.upperBound,
              last.value - first.value >= 4 else { return nil }
        return .v4(IPv4Address(profile == .alibaba ? last.value - 2 : first.value + 1))
    }

    /// The address the vSwitch's router uses in `family` (ping answers, time-exceeded answers):
    /// the gateway address for IPv4, the first address of the IPv6 block.
    public func routerAddress(family: AddressFamily, profile: RoutingProfile) -> IPAddress? {
        family == .ipv4 ? gatewayIPv4Address(profile: profile) : ipv6CIDR.map { $0.range.lowerBound }
    }

    /// IPv4 prefix lengths a vSwitch may have: /16 to /29 on Alibaba Cloud, /16 to /28 for an
    /// AWS subnet.
    public func allowedPrefixLengths(profile: RoutingProfile) -> ClosedRange<Int> {
        profile == .alibaba ? 16...29 : 16...28
    }

    /// Whether `address` belongs to one of the vSwitch's blocks.
    public func contains(_ address: IPAddress) -> Bool { allCIDRs.contains { $0.contains(address) } }
}

extension IPNetwork {
    /// The RFC 1918 private IPv4 blocks.
    public static let rfc1918: [IPNetwork] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].compactMap {
        try? IPNetwork(parsing: $0)
    }

    /// Whether the block lies inside RFC 1918 private space (IPv6 blocks are not judged).
    public var isPrivateIPv4: Bool { family == .ipv6 || Self.rfc1918.contains { $0.contains(self) } }

    /// `first–last` of the block, for messages about overlaps.
    public var rangeDescription: String { "\(range.lowerBound)–\(range.upperBound)" }
}
