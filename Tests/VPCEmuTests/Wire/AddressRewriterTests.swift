import Foundation
import Testing
@testable import VPCEmu

/// `AddressRewriter` against the packet builder: a packet built with the old addresses and
/// rewritten is byte for byte the packet built with the new ones (checksums included), for every
/// transport, both families, fragments, options and extension headers; and it parses back with
/// every checksum verified.
@Suite struct AddressRewriterTests {
    static let transports: [TransportSpec] = [
        .tcp(TCPSegmentSpec(sourcePort: 40_000, destinationPort: 443, sequence: 7, flags: [.syn, .ack], optionWords: 3)),
        .udp(sourcePort: 5353, destinationPort: 53),
        .icmpEcho(isRequest: true, identifier: 9, sequence: 3),
        .opaque(protocolNumber: 47),
    ]

    static func randomAddress(_ family: AddressFamily, _ random: inout SeededGenerator) -> IPAddress {
        family == .ipv4 ? .v4(IPv4Address(UInt32(truncatingIfNeeded: random.next())))
                        : .v6(IPv6Address(high: random.next(), low: random.next()))
    }

    /// Rewrites `frame` (parsed first) to `source`/`destination`; returns the parse outcome.
    static func rewrite(_ frame: inout [UInt8], linkType: LinkType = .ethernet, wireLength: Int? = nil,
                        to source: IPAddress, _ destination: IPAddress) -> ParseOutcome {
        var headers = PacketHeaders()
        let outcome = frame.withUnsafeBytes { PacketParser.parse($0, linkType: linkType, wireLength: wireLength, into: &headers) }
        guard case .ip = outcome else { return outcome }
        frame.withUnsafeMutableBytes { AddressRewriter.rewrite($0, headers: headers, source: source.bits, destination: destination.bits) }
        return outcome
    }

    static func verified(_ frame: [UInt8], linkType: LinkType = .ethernet) -> (ParseOutcome, PacketHeaders) {
        var headers = PacketHeaders()
        let outcome = frame.withUnsafeBytes {
            PacketParser.parse($0, linkType: linkType, options: .verifyTransportChecksums, into: &headers)
        }
        return (outcome, headers)
    }

    @Test(arguments: [AddressFamily.ipv4, .ipv6])
    func rewrittenPacketEqualsPacketBuiltWithTheNewAddresses(family: AddressFamily) {
        var random = SeededGenerator(seed: family == .ipv4 ? 18 : 19)
        var checked = 0
        for round in 0..<400 {
            let transport = Self.transports[round % Self.transports.count]
            var spec = PacketSpec(ethernet: EthernetSpec(vlanIDs: round % 5 == 0 ? [7] : []),
                                  source: Self.randomAddress(family, &random), destination: Self.randomAddress(family, &random),
                                  identification: UInt32(round), transport: transport,
                                  payload: (0..<(round % 37)).map { _ in UInt8.random(in: 0...255, using: &random) })
            switch round % 4 {
            case 1 where family == .ipv4: spec.ipv4OptionWords = 2
            case 1: spec.ipv6ExtensionHeaders = [.hopByHop(units: 0), .destinationOptions(units: 1)]
            case 2:  // a first fragment (its data a multiple of 8 bytes): the transport header is present
                spec.fragment = FragmentSpec(offset: 0, moreFragments: true)
                spec.payload += [UInt8](repeating: 0x5A, count: (8 - (transport.headerLength + spec.payload.count) % 8) % 8)
            case 3 where round % 8 == 3: spec.fragment = FragmentSpec(offset: 64, moreFragments: false)  // no transport header
            default: break
            }
            var frame = PacketBuilder.frame(for: spec)
            let newSource = Self.randomAddress(family, &random), newDestination = Self.randomAddress(family, &random)
            #expect(Self.rewrite(&frame, to: newSource, newDestination) == .ip)
            var expectedSpec = spec
            expectedSpec.source = newSource
            expectedSpec.destination = newDestination
            #expect(frame == PacketBuilder.frame(for: expectedSpec), "round \(round): \(spec)")
            let (outcome, headers) = Self.verified(frame)
            #expect(outcome == .ip, "round \(round)")
            #expect(headers.source == newSource && headers.destination == newDestination)
            checked += 1
        }
        #expect(checked == 400)
    }

    /// UDP over IPv4 with checksum 0 ("no checksum", RFC 768) keeps it 0.
    @Test func udpWithoutChecksumStaysWithout() throws {
        let spec = PacketSpec(ethernet: EthernetSpec(), source: address("192.168.1.11"), destination: address("209.87.249.18"),
                              transport: .udp(sourcePort: 1000, destinationPort: 53), payload: [1, 2, 3])
        var frame = PacketBuilder.frame(for: spec)
        let udpChecksum = 14 + 20 + 6
        frame[udpChecksum] = 0
        frame[udpChecksum + 1] = 0
        #expect(Self.rewrite(&frame, to: address("172.16.1.10"), address("192.168.1.10")) == .ip)
        #expect(frame[udpChecksum] == 0 && frame[udpChecksum + 1] == 0)
        let (outcome, headers) = Self.verified(frame)
        #expect(outcome == .ip && headers.source == address("172.16.1.10") && headers.destination == address("192.168.1.10"))
    }

    /// A frame cut by the snapshot length inside its payload: the transport checksum is updated
    /// for the whole packet, as if it had been captured whole (the parser refuses a frame cut
    /// inside its transport header: it is dropped as malformed and left as captured).
    @Test(arguments: [TransportSpec.tcp(TCPSegmentSpec(sourcePort: 1, destinationPort: 2)), .udp(sourcePort: 1, destinationPort: 2)])
    func snappedFrameGetsTheWholePacketsChecksum(transport: TransportSpec) {
        let spec = PacketSpec(ethernet: EthernetSpec(), source: address("10.0.0.1"), destination: address("10.0.0.2"),
                              transport: transport, payload: (0..<100).map { UInt8($0) })
        var expected = spec
        (expected.source, expected.destination) = (address("10.9.0.1"), address("10.9.0.2"))
        let full = PacketBuilder.frame(for: spec), rewrittenFull = PacketBuilder.frame(for: expected)
        for cut in [14 + 20 + transport.headerLength, 14 + 20 + transport.headerLength + 33] {
            var frame = Array(full.prefix(cut))
            #expect(Self.rewrite(&frame, wireLength: full.count, to: address("10.9.0.1"), address("10.9.0.2")) == .ip)
            #expect(frame == Array(rewrittenFull.prefix(cut)), "cut at \(cut)")
        }
    }
}
