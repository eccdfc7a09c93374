import Testing
@testable import VPCEmu

/// Host-route FIBs pooled into exact-match hash tables answer as the FIBs do.
@Suite struct HostTablePoolTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func pooledHostTablesAnswerAsTheirFIBs(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        let v4 = KeySource<IPv4Address>(&generator)
        let v6 = KeySource<IPv6Address>(&generator)
        func randomAddress() -> IPAddress { Bool.random(using: &generator) ? .v4(v4.next(&generator)) : .v6(v6.next(&generator)) }
        // The candidates every table is built from; tables hold different subsets (one none),
        // and an IPv4 address and an IPv6 address with the same low bits both appear.
        var candidates = (0..<400).map { _ in randomAddress() }
        candidates += [.v4(IPv4Address(0x0A01_010A)), .v6(IPv6Address(high: 0, low: 0x0A01_010A))]
        var fibs: [CompiledRouteTable<UInt32>] = []
        for share in [0, 1, 3, 10] {
            var table = RouteTable<UInt32>()
            for (index, address) in candidates.enumerated() where share > 0 && index % share == 0 {
                table.insert(IPNetwork(address: address, prefixLength: address.family.bitWidth),
                             nextHop: UInt32.random(in: 0..<1000, using: &generator))
            }
            fibs.append(table.build())
        }
        let pool = HostTablePool(fibs, candidates: candidates)
        #expect(pool.count == fibs.count)
        let probes = candidates + (0..<2000).map { _ in randomAddress() }
        var mismatches = 0, found = 0
        pool.withView { view in
            for address in probes {
                for (index, fib) in fibs.enumerated() {
                    let expected = fib.lookup(address)
                    if view.lookup(index, address) != expected { mismatches += 1 }
                    if expected != nil { found += 1 }
                }
            }
        }
        #expect(mismatches == 0)
        #expect(found > 500)
    }
}
