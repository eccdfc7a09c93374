/// A route table for both families keyed by `IPNetwork`, for the topology and control plane.
///
/// Next hops of any hashable type are mapped to dense indices (reused when no route refers to
/// them any more), so the RIBs and FIBs hold only small integers. Edits go to the RIBs;
/// `build()` compiles an immutable `CompiledRouteTable` for the forwarding pipeline — route
/// changes are applied by rebuilding (docs/routing.md: microseconds for a VPC-sized table).
public struct RouteTable<NextHop: Hashable & Sendable>: Sendable {
    private var ipv4 = IPv4RIB()
    private var ipv6 = IPv6RIB()
    /// Dense index -> next hop; entries on `freeIndices` are stale.
    private var nextHops: [NextHop] = []
    private var indices: [NextHop: UInt32] = [:]
    private var routeCounts: [Int] = []
    private var freeIndices: [UInt32] = []

    public init() {}

    /// Number of routes of both families.
    public var count: Int { ipv4.count + ipv6.count }

    /// Adds or replaces the route for `network`, returning the next hop it replaced.
    @discardableResult
    public mutating func insert(_ network: IPNetwork, nextHop: NextHop) -> NextHop? {
        let index = retain(nextHop)
        let old: UInt32? = switch network.address {
        case .v4(let a): ipv4.insert(a, length: network.prefixLength, value: index)
        case .v6(let a): ipv6.insert(a, length: network.prefixLength, value: index)
        }
        guard let old else { return nil }
        return release(old)
    }

    /// Removes the route for exactly `network`, returning its next hop.
    @discardableResult
    public mutating func remove(_ network: IPNetwork) -> NextHop? {
        let old: UInt32? = switch network.address {
        case .v4(let a): ipv4.remove(a, length: network.prefixLength)
        case .v6(let a): ipv6.remove(a, length: network.prefixLength)
        }
        guard let old else { return nil }
        return release(old)
    }

    /// The next hop of exactly `network`.
    public func exactMatch(_ network: IPNetwork) -> NextHop? {
        let index: UInt32? = switch network.address {
        case .v4(let a): ipv4.exactMatch(a, length: network.prefixLength)
        case .v6(let a): ipv6.exactMatch(a, length: network.prefixLength)
        }
        return index.map { nextHops[Int($0)] }
    }

    /// The most specific route containing `address` (slow path; the hot path uses `build()`).
    public func longestMatch(_ address: IPAddress) -> (network: IPNetwork, nextHop: NextHop)? {
        switch address {
        case .v4(let a):
            ipv4.longestMatch(a).map { (IPNetwork(address: .v4($0.prefix), prefixLength: $0.length), nextHops[Int($0.value)]) }
        case .v6(let a):
            ipv6.longestMatch(a).map { (IPNetwork(address: .v6($0.prefix), prefixLength: $0.length), nextHops[Int($0.value)]) }
        }
    }

    /// All routes, IPv4 first, each family in `IPNetwork` order.
    public var routes: [(network: IPNetwork, nextHop: NextHop)] {
        ipv4.map { (IPNetwork(address: .v4($0.prefix), prefixLength: $0.length), nextHops[Int($0.value)]) }
            + ipv6.map { (IPNetwork(address: .v6($0.prefix), prefixLength: $0.length), nextHops[Int($0.value)]) }
    }

    /// Compiles both families for lookups.
    public func build() -> CompiledRouteTable<NextHop> {
        CompiledRouteTable(ipv4: ipv4.build(), ipv6: ipv6.build(), nextHops: nextHops)
    }

    private mutating func retain(_ nextHop: NextHop) -> UInt32 {
        if let index = indices[nextHop] {
            routeCounts[Int(index)] += 1
            return index
        }
        let index: UInt32
        if let reused = freeIndices.popLast() {
            index = reused
            nextHops[Int(index)] = nextHop
            routeCounts[Int(index)] = 1
        } else {
            precondition(nextHops.count < Int(IPv4FIB.maxNextHop), "too many distinct next hops")
            index = UInt32(nextHops.count)
            nextHops.append(nextHop)
            routeCounts.append(1)
        }
        indices[nextHop] = index
        return index
    }

    private mutating func release(_ index: UInt32) -> NextHop {
        let nextHop = nextHops[Int(index)]
        routeCounts[Int(index)] -= 1
        if routeCounts[Int(index)] == 0 {
            indices[nextHop] = nil
            freeIndices.append(index)
        }
        return nextHop
    }
}

/// The immutable, lookup-only form of a `RouteTable`.
public struct CompiledRouteTable<NextHop: Sendable>: Sendable {
    public let ipv4: IPv4FIB
    public let ipv6: IPv6FIB
    /// What the FIBs' results index (`IPv4FIB.noRoute` indexes nothing).
    public let nextHops: [NextHop]

    /// The next hop of the most specific route containing `address`, nil when none does.
    public func lookup(_ address: IPAddress) -> NextHop? {
        let index = switch address {
        case .v4(let a): ipv4.lookup(a)
        case .v6(let a): ipv6.lookup(a)
        }
        return index == IPv4FIB.noRoute ? nil : nextHops[Int(index)]
    }
}
