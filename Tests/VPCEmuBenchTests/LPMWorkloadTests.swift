import Foundation
import Testing
import VPCEmu
import VPCEmuBench

@Suite struct LPMWorkloadTests {
    func write(_ text: String, name: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lpm-\(UUID().uuidString)-\(name)")
        try Data(text.utf8).write(to: url)
        return url.path
    }

    @Test func readsBothFormatsWithCRLF() throws {
        let routes = try write("10.0.0.0/8 1\r\n\r\n192.0.2.0/24\t65535\r\n", name: "routes")
        let addrs = try write("10.1.2.3\n192.0.2.9\n8.8.8.8", name: "addrs")
        let workload = try LPMWorkload<IPv4Address>(routesFile: routes, addressesFile: addrs)
        #expect(workload.routes.map(\.nextHop) == [1, 65535])
        #expect(workload.routes.map(\.length) == [8, 24])
        #expect(workload.addresses == [IPv4Address(10, 1, 2, 3), IPv4Address(192, 0, 2, 9), IPv4Address(8, 8, 8, 8)])
        let result = LPMBenchmark.run(workload, repetitions: 1, batchSize: 2, verify: true)
        #expect(result.checksum == 65536 && result.ribChecksum == 65536)
        #expect(result.routes == 2 && result.lookups == 3)
    }

    @Test(arguments: [
        ("10.0.0.0/8 1\n10.0.0.0/33 2\n", "routes:2: prefix: '10.0.0.0/33': prefix length must be a whole number from 0 to 32 for IPv4"),
        ("10.0.0.1/8 1\n", "routes:1: prefix: '10.0.0.1/8' has host bits set: did you mean 10.0.0.0/8?"),
        ("10.0.0.0/8\n", "routes:1: expected 'prefix/len nexthop', found 1 field(s)"),
        ("10.0.0.0/8 -1\n", "routes:1: nexthop: '-1' is not a whole number from 0 to 2147483646"),
        ("10.0.0.0/8 2147483647\n", "routes:1: nexthop: '2147483647' is not a whole number from 0 to 2147483646"),
        ("fe80::/10 1\n", "routes:1: prefix: 'fe80::/10' is not an IPv4 prefix"),
        ("10.0.0.0/8 1 2\n", "routes:1: expected 'prefix/len nexthop', found 3 field(s)"),
    ])
    func badRouteLinesNameFileLineAndField(text: String, message: String) throws {
        let routes = try write(text, name: "routes")
        let addrs = try write("1.2.3.4\n", name: "addrs")
        let error = #expect(throws: LPMWorkload<IPv4Address>.FileError.self) {
            try LPMWorkload<IPv4Address>(routesFile: routes, addressesFile: addrs)
        }
        #expect(error?.description == routes + message.dropFirst("routes".count))
    }

    @Test func badAddressAndMissingFile() throws {
        let routes = try write("::/0 1\n", name: "routes")
        let addrs = try write("2001:db8::1\n10.0.0.1\n", name: "addrs")
        let error = #expect(throws: LPMWorkload<IPv6Address>.FileError.self) {
            try LPMWorkload<IPv6Address>(routesFile: routes, addressesFile: addrs)
        }
        #expect(error?.description == "\(addrs):2: address: '10.0.0.1' is not an IPv6 address")
        let missing = #expect(throws: LPMWorkload<IPv6Address>.FileError.self) {
            try LPMWorkload<IPv6Address>(routesFile: "/nonexistent/routes6.txt", addressesFile: addrs)
        }
        #expect(missing?.description.hasPrefix("/nonexistent/routes6.txt: cannot read") == true)
    }

    /// Every truncation of a valid routes file either parses or names a line; none traps.
    @Test func truncatedFilesNeverTrap() throws {
        let text = "10.0.0.0/8 1\n2001:db8::/32 7\n192.0.2.128/25 65535\n"
        let addrs = try write("1.2.3.4\n", name: "addrs")
        for end in 0...text.utf8.count {
            let routes = try write(String(decoding: text.utf8.prefix(end), as: UTF8.self), name: "routes")
            do {
                _ = try LPMWorkload<IPv4Address>(routesFile: routes, addressesFile: addrs)
            } catch {
                #expect(error.description.hasPrefix(routes + ":"))
            }
            try? FileManager.default.removeItem(atPath: routes)
        }
    }
}
