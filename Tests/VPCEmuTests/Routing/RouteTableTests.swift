import Foundation
import Testing
@testable import VPCEmu

@Suite struct BinaryTrieTests {
    func v4(_ text: String) -> (IPv4Address, Int) {
        guard let network = try? IPNetwork(parsing: text), case .v4(let a) = network.address else {
            preconditionFailure("bad test prefix \(text)")
        }
        return (a, network.prefixLength)
    }

    @Test func insertReplaceDeleteAndMatch() {
        var rib = IPv4RIB()
        let (a, al) = v4("10.0.0.0/8"), (b, bl) = v4("10.1.0.0/16"), (d, dl) = v4("0.0.0.0/0"), (h, hl) = v4("10.1.2.3/32")
        #expect(rib.insert(a, length: al, value: 1) == nil)
        #expect(rib.insert(b, length: bl, value: 2) == nil)
        #expect(rib.insert(a, length: al, value: 3) == 1)
        rib.insert(d, length: dl, value: 9)
        rib.insert(h, length: hl, value: 7)
        #expect(rib.count == 4)
        #expect(rib.exactMatch(a, length: al) == 3)
        #expect(rib.exactMatch(a, length: 9) == nil)
        #expect(rib.longestMatch(IPv4Address(10, 1, 2, 3))?.value == 7)
        #expect(rib.longestMatch(IPv4Address(10, 1, 2, 4))?.length == 16)
        #expect(rib.longestMatch(IPv4Address(10, 2, 0, 0))?.prefix == a)
        #expect(rib.longestMatch(IPv4Address(11, 0, 0, 0))?.value == 9)
        #expect(rib.map(\.length) == [0, 8, 16, 32])
        let fib = rib.build()
        #expect(fib.lookup(IPv4Address(10, 1, 2, 3)) == 7)
        #expect(fib.lookup(IPv4Address(10, 1, 255, 255)) == 2)
        #expect(fib.lookup(IPv4Address(192, 0, 2, 1)) == 9)

        #expect(rib.remove(d, length: dl) == 9)
        #expect(rib.remove(d, length: dl) == nil)
        #expect(rib.remove(v4("10.1.2.0/24").0, length: 24) == nil)
        #expect(rib.longestMatch(IPv4Address(11, 0, 0, 0)) == nil)
        #expect(rib.build().lookup(IPv4Address(11, 0, 0, 0)) == IPv4FIB.noRoute)
    }

    @Test func deletePrunesAndReusesNodes() {
        var rib = IPv6RIB()
        let prefix = IPv6Address(high: 0x2001_0db8_0000_0000, low: 1)
        rib.insert(prefix, length: 128, value: 1)
        let grown = rib.nodes.count
        #expect(grown == 129)
        rib.remove(prefix, length: 128)
        #expect(rib.isEmpty && rib.map(\.length).isEmpty)
        rib.insert(prefix, length: 128, value: 2)
        #expect(rib.nodes.count == grown)
        #expect(rib.longestMatch(prefix)?.value == 2)
    }

    @Test func emptyAndDefaultOnlyFIBs() {
        var rib = IPv6RIB()
        let anywhere = IPv6Address(high: 0x2001_0db8_0000_0000, low: 42)
        #expect(rib.build().lookup(anywhere) == IPv6FIB.noRoute)
        rib.insert(.zero, length: 0, value: 5)
        let fib = rib.build()
        #expect(fib.lookup(anywhere) == 5)
        #expect(fib.memoryBytes < 2048)
        #expect(IPv6Address.rootBits(forRoutes: 160_000) == 16 && IPv4Address.rootBits(forRoutes: 900_000) == 18)
    }

    @Test func window128ShiftsAcrossTheHalves() {
        var window = Window128(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210)
        #expect(window.top == 0x0123_4567_89AB_CDEF)
        window.shiftLeft(8)
        #expect(window.top == 0x2345_6789_ABCD_EFFE)
        window.shiftLeft(60)
        #expect(window.top == 0xEDCB_A987_6543_2100)
        var far = Window128(high: 1, low: 0xFEDC_BA98_7654_3210)
        far.shiftLeft(72)
        #expect(far.top == 0xDCBA_9876_5432_1000)
    }
}

@Suite struct RouteTableTests {
    @Test func bothFamiliesWithSharedNextHops() throws {
        var table = RouteTable<String>()
        table.insert(try IPNetwork(parsing: "10.0.0.0/16"), nextHop: "local")
        table.insert(try IPNetwork(parsing: "0.0.0.0/0"), nextHop: "igw")
        table.insert(try IPNetwork(parsing: "172.16.0.0/12"), nextHop: "pcx-1")
        table.insert(try IPNetwork(parsing: "fd00::/48"), nextHop: "local")
        #expect(table.insert(try IPNetwork(parsing: "172.16.0.0/12"), nextHop: "pcx-2") == "pcx-1")
        #expect(table.count == 4)
        #expect(table.exactMatch(try IPNetwork(parsing: "fd00::/48")) == "local")
        #expect(table.longestMatch(IPAddress("172.20.1.1")!)?.network.description == "172.16.0.0/12")
        #expect(table.routes.map(\.network.description) == ["0.0.0.0/0", "10.0.0.0/16", "172.16.0.0/12", "fd00::/48"])

        let compiled = table.build()
        #expect(compiled.lookup(IPAddress("10.0.3.4")!) == "local")
        #expect(compiled.lookup(IPAddress("8.8.8.8")!) == "igw")
        #expect(compiled.lookup(IPAddress("172.31.255.255")!) == "pcx-2")
        #expect(compiled.lookup(IPAddress("fd00::1")!) == "local")
        #expect(compiled.lookup(IPAddress("fd01::1")!) == nil)

        // "pcx-1" and "igw" lost their last routes: "pcx-3" reuses a freed index, nothing grows.
        #expect(table.remove(try IPNetwork(parsing: "0.0.0.0/0")) == "igw")
        table.insert(try IPNetwork(parsing: "192.168.0.0/16"), nextHop: "pcx-3")
        let rebuilt = table.build()
        #expect(rebuilt.nextHops.count == 4)
        #expect(rebuilt.lookup(IPAddress("192.168.1.1")!) == "pcx-3")
        #expect(rebuilt.lookup(IPAddress("8.8.8.8")!) == nil)
        #expect(table.remove(try IPNetwork(parsing: "0.0.0.0/0")) == nil)
    }
}
