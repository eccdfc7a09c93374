@testable import VPCEmu

/// The deliberately slow reference: a plain list of routes, scanned in full for every lookup.
struct GoldenRouteTable<Key: RouteKey> {
    private(set) var routes: [(prefix: Key, length: Int, value: UInt32)] = []

    mutating func insert(_ prefix: Key, length: Int, value: UInt32) {
        let prefix = prefix.masked(to: length)
        routes.removeAll { $0.prefix == prefix && $0.length == length }
        routes.append((prefix, length, value))
    }

    mutating func remove(_ prefix: Key, length: Int) {
        let prefix = prefix.masked(to: length)
        routes.removeAll { $0.prefix == prefix && $0.length == length }
    }

    func exactMatch(_ prefix: Key, length: Int) -> UInt32? {
        let prefix = prefix.masked(to: length)
        return routes.first { $0.prefix == prefix && $0.length == length }?.value
    }

    /// The value of the longest prefix containing `address`, or nil.
    func longestMatch(_ address: Key) -> (length: Int, value: UInt32)? {
        var best: (length: Int, value: UInt32)?
        for route in routes where address.masked(to: route.length) == route.prefix && route.length >= (best?.length ?? -1) {
            best = (route.length, route.value)
        }
        return best
    }

    /// The routes in `IPNetwork` order: by address, then by length.
    var sorted: [(prefix: Key, length: Int, value: UInt32)] {
        routes.sorted { $0.prefix != $1.prefix ? $0.prefix < $1.prefix : $0.length < $1.length }
    }
}

/// Random keys for the property tests, drawn from a few clusters so that prefixes nest and
/// the FIB grows several levels deep, plus uniform ones.
struct KeySource<Key: RouteKey> {
    let clusters: [Key]
    let random: (inout SeededGenerator) -> Key

    init(random: @escaping (inout SeededGenerator) -> Key, clusterCount: Int, generator: inout SeededGenerator) {
        self.random = random
        clusters = (0..<clusterCount).map { _ in random(&generator) }
    }

    /// A key inside a cluster (sharing 0...bitWidth leading bits with it) or a uniform one.
    func next(_ generator: inout SeededGenerator) -> Key {
        let fresh = random(&generator)
        guard Int.random(in: 0..<4, using: &generator) != 0 else { return fresh }
        let base = clusters.randomElement(using: &generator) ?? fresh
        let shared = Int.random(in: 0...Key.bitWidth, using: &generator)
        var key = base.masked(to: shared)
        for bit in shared..<Key.bitWidth where fresh.bit(bit) { key = key.settingBit(bit) }
        return key
    }
}

extension KeySource<IPv4Address> {
    init(_ generator: inout SeededGenerator) {
        self.init(random: { IPv4Address(UInt32.random(in: 0...UInt32.max, using: &$0)) }, clusterCount: 6, generator: &generator)
    }
}

extension KeySource<IPv6Address> {
    init(_ generator: inout SeededGenerator) {
        self.init(random: { IPv6Address(high: $0.next(), low: $0.next()) }, clusterCount: 6, generator: &generator)
    }
}

extension RouteKey {
    /// The last address of `self/length`.
    func lastAddress(length: Int) -> Self {
        var key = masked(to: length)
        for bit in length..<Self.bitWidth { key = key.settingBit(bit) }
        return key
    }
}
