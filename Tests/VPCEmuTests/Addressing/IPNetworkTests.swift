import Testing
@testable import VPCEmu

@Suite struct IPAddressTests {
    @Test(arguments: [
        ("10.0.0.1", "10.0.0.1"), ("0.0.0.0", "0.0.0.0"), ("255.255.255.255", "255.255.255.255"),
        ("::", "::"), ("::1", "::1"), ("2001:db8::1", "2001:db8::1"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),       // RFC 5952 4.2.2: one zero group stays
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),                // longest run is shortened
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),          // first of equal runs
        ("FE80::ABCD", "fe80::abcd"), ("::ffff:192.0.2.1", "::ffff:c000:201"),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
    ])
    func roundTrip(text: String, canonical: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.description == canonical)
        #expect(IPAddress(canonical) == address)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1..2.3", "1.2.3.4 ",
                      ":::", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "g::", "1:2:3:4:5:6:7:8::",
                      "::1.2.3", "1.2.3.4::", "-1.2.3.4"])
    func rejectsGarbage(text: String) {
        #expect(IPAddress(text) == nil)
    }
}

@Suite struct IPNetworkTests {
    @Test func parsesAndPrints() throws {
        let v4 = try IPNetwork(parsing: "192.168.0.0/16")
        #expect(v4.description == "192.168.0.0/16")
        #expect(v4.contains(IPAddress("192.168.255.1")!))
        #expect(!v4.contains(IPAddress("192.169.0.1")!))
        let v6 = try IPNetwork(parsing: "2001:db8::/32")
        #expect(v6.family == .ipv6)
        #expect(v6.contains(try IPNetwork(parsing: "2001:db8:1::/48")))
        #expect(try IPNetwork(parsing: "0.0.0.0/0").contains(IPAddress("8.8.8.8")!))
        #expect(try IPNetwork(parsing: "::/0").range.upperBound.description == "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
    }

    @Test func reportsErrors() throws {
        #expect(throws: IPNetwork.ParseError.badPrefixLength("10.0.0.0/33", family: .ipv4)) { try IPNetwork(parsing: "10.0.0.0/33") }
        #expect(throws: IPNetwork.ParseError.hostBitsSet("10.0.0.1/8", network: "10.0.0.0/8")) { try IPNetwork(parsing: "10.0.0.1/8") }
        #expect(throws: IPNetwork.ParseError.badPrefixLength("fe80::/129", family: .ipv6)) { try IPNetwork(parsing: "fe80::/129") }
        #expect(throws: IPNetwork.ParseError.badAddress("garbage/8")) { try IPNetwork(parsing: "garbage/8") }
        #expect(throws: IPNetwork.ParseError.missingSlash("10.0.0.0")) { try IPNetwork(parsing: "10.0.0.0") }
        #expect(throws: IPNetwork.ParseError.badPrefixLength("10.0.0.0/+8", family: .ipv4)) { try IPNetwork(parsing: "10.0.0.0/+8") }
        #expect(try IPNetwork(parsing: "10.0.0.1/8", allowHostBits: true).description == "10.0.0.0/8")
        #expect(try IPNetwork(parsing: "10.0.0.1", allowBareAddress: true).description == "10.0.0.1/32")
    }

    @Test func overlaps() throws {
        let a = try IPNetwork(parsing: "10.0.0.0/16"), b = try IPNetwork(parsing: "10.0.128.0/17")
        let c = try IPNetwork(parsing: "10.1.0.0/16")
        #expect(a.overlaps(b) && b.overlaps(a))
        #expect(!a.overlaps(c))
        #expect(!a.overlaps(try IPNetwork(parsing: "::/0")))
    }
}
