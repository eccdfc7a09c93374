import Testing
@testable import VPCEmu

/// The one resolver of ping's, traceroute's and analyze's endpoints: instance names and
/// addresses, the family they agree on, gateways, and errors that name the flag and the value.
@Suite struct DiagnosticEndpointsTests {
    static func resolve(_ file: String, _ from: String, _ to: String, ipv6: Bool = false) throws -> DiagnosticEndpoints {
        try DiagnosticEndpoints(topology: loadCapture(file).topology, source: EndpointArgument(flag: "--from", text: from),
                                destination: EndpointArgument(flag: "--to", text: to), ipv6: ipv6)
    }

    static func error(_ file: String, _ from: String, _ to: String, ipv6: Bool = false) throws -> EndpointError? {
        do { _ = try resolve(file, from, to, ipv6: ipv6) } catch let error as EndpointError { return error }
        return nil
    }

    @Test func instanceNamesFollowDashSix() throws {
        let version4 = try Self.resolve("dual-stack.yaml", "ecs-v6a", "ecs-v6b")
        #expect(version4.sourceAddress == address("10.10.1.10"))
        #expect(version4.destinationAddress == address("10.20.1.10"))
        #expect(version4.family == .ipv4)
        #expect(version4.sourceInstance == "ecs-v6a")
        #expect(version4.destinationInstance == "ecs-v6b")
        let version6 = try Self.resolve("dual-stack.yaml", "ecs-v6a", "ecs-v6b", ipv6: true)
        #expect(version6.sourceAddress == address("2408:4000:1000:1::10"))
        #expect(version6.destinationAddress == address("2408:4000:2000:1::10"))
    }

    @Test func anAddressEndpointDecidesTheFamily() throws {
        // An IPv6 address implies -6 for the named end; its owner is found.
        let toAddress = try Self.resolve("dual-stack.yaml", "ecs-v6a", "2408:4000:2000:1::10")
        #expect(toAddress.sourceAddress == address("2408:4000:1000:1::10"))
        #expect(toAddress.destinationInstance == "ecs-v6b")
        #expect(toAddress.destination == "2408:4000:2000:1::10")
        let fromAddress = try Self.resolve("dual-stack.yaml", "10.10.1.10", "ecs-v6b")
        #expect(fromAddress.sourceInstance == "ecs-v6a")
        #expect(fromAddress.destinationAddress == address("10.20.1.10"))
        // An address no instance owns resolves, without an owner.
        let stray = try Self.resolve("dual-stack.yaml", "ecs-v6a", "10.20.1.99")
        #expect(stray.destinationInstance == nil)
        #expect(stray.destinationLabel == "10.20.1.99")
    }

    @Test func bracketedIPv6IsAnAddress() throws {
        let bracketed = try Self.resolve("dual-stack.yaml", "[2408:4000:1000:1::10]", "ecs-v6b")
        #expect(bracketed.sourceAddress == address("2408:4000:1000:1::10"))
        #expect(bracketed.sourceInstance == "ecs-v6a")
        #expect(bracketed.destinationAddress == address("2408:4000:2000:1::10"))
        for text in ["[10.10.1.10]", "[2408:4000:1000:1::10]:22", "[ecs-v6a]", "[2408:4000:1000:1::10"] {
            #expect(try Self.error("dual-stack.yaml", text, "ecs-v6b") == .badBrackets(flag: "--from", text: text))
        }
        #expect(EndpointError.badBrackets(flag: "--to", text: "[2408::1]:22").description
            == "--to '[2408::1]:22': brackets may enclose an IPv6 address only, without a port")
    }

    @Test func errorsNameTheFlagAndTheValue() throws {
        let file = "two-vpcs-same-account.yaml"
        #expect(try Self.error(file, "ecs-a", "ecs-z") == .unknownInstance(flag: "--to", name: "ecs-z", suggestion: "ecs-a"))
        #expect(try Self.error(file, "ecs-a", "ecs-z")?.description
            == "--to 'ecs-z' is neither an instance of the topology nor an IP address: did you mean ecs-a?")
        #expect(try Self.error(file, "web-server", "ecs-a")?.description
            == "--from 'web-server' is neither an instance of the topology nor an IP address")
        #expect(try Self.error(file, "ecs-a", "ecs-b", ipv6: true) == .noAddress(flag: "--from", instance: "ecs-a", family: .ipv6))
        #expect(try Self.error(file, "ecs-a", "ecs-b", ipv6: true)?.description == "--from ecs-a: the instance has no IPv6 address")
        #expect(try Self.error(file, "ecs-a", "2408::1") == .noAddress(flag: "--from", instance: "ecs-a", family: .ipv6))
        #expect(EndpointError.noAddress(flag: "DEST", instance: "ecs-v6", family: .ipv4).description
            == "DEST ecs-v6: the instance has no IPv4 address (use -6 for its IPv6 address)")
        #expect(try Self.error(file, "10.0.0.1", "2408::2")
            == .familyMismatch(sourceFlag: "--from", source: address("10.0.0.1"), destinationFlag: "--to", destination: address("2408::2")))
        #expect(try Self.error(file, "10.0.0.1", "2408::2")?.description
            == "--from 10.0.0.1 and --to 2408::2 are not of the same address family")
        #expect(try Self.error(file, "ecs-a", "10.0.0.1", ipv6: true) == .ipv6WithIPv4Address(flag: "--to", address: address("10.0.0.1")))
        #expect(try Self.error(file, "ecs-a", "10.0.0.1", ipv6: true)?.description == "-6 asks for IPv6, but --to 10.0.0.1 is an IPv4 address")
    }

    /// ping's and traceroute's `--from` takes an instance name or an address, as analyze does (the
    /// address's only owner is the source instance); DEST may be a gateway.
    @Test func probeEndsAndGateways() throws {
        let topology = try loadCapture("hub-and-spoke.yaml").topology
        let byAddress = try DiagnosticEndpoints.probe(topology: topology, from: "10.1.1.10", to: "ecs-hub", ipv6: false)
        #expect(byAddress.sourceInstance == "ecs-b1")
        #expect(byAddress.sourceAddress == address("10.1.1.10"))
        let own = try DiagnosticEndpoints.probe(topology: topology, from: "ecs-b1", to: "10.1.1.253", ipv6: false)
        #expect(own.gateway == DiagnosticEndpoints.Gateway(vswitch: "vsw-b1", isSourceVSwitch: true))
        let peer = try DiagnosticEndpoints.probe(topology: topology, from: "ecs-b1", to: "10.0.1.253", ipv6: false)
        #expect(peer.gateway == DiagnosticEndpoints.Gateway(vswitch: "vsw-hub", isSourceVSwitch: false))
        #expect(try DiagnosticEndpoints.probe(topology: topology, from: "ecs-b1", to: "ecs-hub", ipv6: false).gateway == nil)
    }
}
