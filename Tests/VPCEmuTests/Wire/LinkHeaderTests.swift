import Testing
@testable import VPCEmu

@Suite struct LinkHeaderTests {
    /// An IP packet behind each link type's synthetic header parses back to the same packet (the
    /// parser finds the IP header where the header ends), for both IP versions. Only a link type for
    /// one IP version, and the wireless and NFLOG ones, have none.
    @Test(arguments: LinkType.allCases)
    func syntheticHeadersParseBackToTheIPPacket(_ linkType: LinkType) throws {
        for (source, destination) in [("10.0.0.1", "10.0.0.2"), ("2001:db8::1", "2001:db8::2")] {
            let spec = PacketSpec(ethernet: EthernetSpec(), source: IPAddress(source)!, destination: IPAddress(destination)!,
                                  transport: .udp(sourcePort: 5, destinationPort: 53), payload: [1, 2, 3])
            let ip = Array(PacketBuilder.frame(for: spec).dropFirst(14))
            let family: AddressFamily = source.contains(":") ? .ipv6 : .ipv4
            guard let header = linkType.syntheticHeader(for: family) else {
                #expect(linkType == (family == .ipv4 ? .ipv6 : .ipv4) || [.ieee80211, .radiotap, .nflog].contains(linkType))
                continue
            }
            let frame = header + ip
            var headers = PacketHeaders()
            let outcome = frame.withUnsafeBytes { PacketParser.parse($0, linkType: linkType, wireLength: frame.count, into: &headers) }
            #expect(outcome == .ip, "\(linkType) \(family): \(outcome)")
            #expect(Int(headers.l3Offset) == header.count && headers.source == IPAddress(source)! && headers.destinationPort == 53)
        }
    }
}
