import Testing
@testable import VPCEmu

/// Route tables pooled into shared arrays answer exactly as each table alone does.
@Suite struct FIBPoolTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func pooledTablesAnswerAsEachTableAlone(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        let v4 = KeySource<IPv4Address>(&generator)
        let v6 = KeySource<IPv6Address>(&generator)
        // Tables of very different sizes (an empty one, host routes only, a few hundred routes),
        // so pool offsets are non-zero and node arrays of some tables are empty.
        var tables: [CompiledRouteTable<UInt32>] = []
        for routeCount in [0, 3, 300, 40, 1] {
            var table = RouteTable<UInt32>()
            for _ in 0..<routeCount {
                let nextHop = UInt32.random(in: 0..<50, using: &generator)
                if Bool.random(using: &generator) {
                    let length = Int.random(in: 0...32, using: &generator)
                    table.insert(IPNetwork(address: .v4(v4.next(&generator).masked(to: length)), prefixLength: length), nextHop: nextHop)
                } else {
                    let length = Int.random(in: 0...128, using: &generator)
                    table.insert(IPNetwork(address: .v6(v6.next(&generator).masked(to: length)), prefixLength: length), nextHop: nextHop)
                }
            }
            tables.append(table.build())
        }
        let pool = FIBPool(tables)
        #expect(pool.count == tables.count)
        var mismatches = 0, routed = 0
        pool.withView { view in
            for _ in 0..<3000 {
                let address: IPAddress = Bool.random(using: &generator) ? .v4(v4.next(&generator)) : .v6(v6.next(&generator))
                for (index, table) in tables.enumerated() {
                    let expected = table.lookup(address)
                    if view.lookup(index, address) != expected { mismatches += 1 }
                    if expected != nil { routed += 1 }
                }
            }
        }
        #expect(mismatches == 0)
        #expect(routed > 1000)
    }
}
