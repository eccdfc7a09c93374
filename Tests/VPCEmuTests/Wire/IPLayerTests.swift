import Testing
@testable import VPCEmu

/// IPv4 header rules, IPv6 extension chains and fragments, on frames built and then damaged.
@Suite struct IPLayerTests {
    static let v4Source = IPAddress.v4(IPv4Address(10, 0, 0, 1))
    static let v4Destination = IPAddress.v4(IPv4Address(10, 0, 1, 2))
    static let v6Source = IPAddress("2001:db8::1")!
    static let v6Destination = IPAddress("2001:db8:1::2")!

    static func udp4(payload: Int = 16) -> PacketSpec {
        PacketSpec(source: v4Source, destination: v4Destination, transport: .udp(sourcePort: 1000, destinationPort: 2000),
                   payload: [UInt8](repeating: 7, count: payload))
    }

    static func udp6(_ chain: [IPv6ExtensionHeaderSpec] = [], fragment: FragmentSpec? = nil, payload: Int = 16) -> PacketSpec {
        PacketSpec(source: v6Source, destination: v6Destination, fragment: fragment, ipv6ExtensionHeaders: chain,
                   transport: .udp(sourcePort: 1000, destinationPort: 2000), payload: [UInt8](repeating: 7, count: payload))
    }

    /// Rewrites IPv4 header bytes and fixes the header checksum, so only the intended rule trips.
    static func withIPv4Header(_ spec: PacketSpec, _ edit: (inout [UInt8]) -> Void) -> [UInt8] {
        var frame = PacketBuilder.frame(for: spec)
        edit(&frame)
        let headerLength = max(20, Int(frame[0] & 0x0F) * 4)
        guard headerLength <= frame.count else { return frame }
        frame[10] = 0; frame[11] = 0
        let checksum = ~UInt16(referenceChecksumSum(frame[0..<headerLength]))
        frame[10] = UInt8(checksum >> 8); frame[11] = UInt8(checksum & 0xFF)
        return frame
    }

    @Test func ipv4HeaderRules() {
        let spec = Self.udp4()
        #expect(parse(Self.withIPv4Header(spec) { $0[0] = 0x44 }, .ipv4).0 == .malformed(.badIPv4HeaderLength))
        #expect(parse(Self.withIPv4Header(spec) { $0[0] = 0x4F }, .ipv4).0 == .malformed(.truncatedIPv4))
        #expect(parse(Self.withIPv4Header(spec) { $0[2] = 0; $0[3] = 19 }, .ipv4).0 == .malformed(.badIPv4TotalLength))
        #expect(parse(Self.withIPv4Header(spec) { $0[3] &+= 1 }, .ipv4).0 == .malformed(.truncatedIPv4))
        // Bytes after the total length are link padding; the UDP datagram must fit inside it.
        #expect(parse(PacketBuilder.frame(for: spec) + [0, 0, 0, 0, 0, 0], .ipv4).0 == .ip)
        #expect(parse(Self.withIPv4Header(spec) { $0[3] &-= 1 }, .ipv4).0 == .malformed(.badUDPLength))
        #expect(parse(Self.withIPv4Header(spec) { $0[3] = 27 }, .ipv4).0 == .malformed(.truncatedUDP))
        var badChecksum = PacketBuilder.frame(for: spec)
        badChecksum[11] ^= 0x01
        #expect(parse(badChecksum, .ipv4, options: []).0 == .malformed(.badIPv4Checksum))
    }

    @Test func ipv4Options() {
        var spec = Self.udp4()
        spec.ipv4OptionWords = 10
        let (outcome, headers) = parse(PacketBuilder.frame(for: spec), .ipv4)
        #expect(outcome == .ip && headers.l4Offset == 60 && headers.destinationPort == 2000)
    }

    @Test func ipv4Fragments() {
        var first = Self.udp4(payload: 24)
        first.fragment = FragmentSpec(offset: 0, moreFragments: true)
        let (firstOutcome, firstHeaders) = parse(PacketBuilder.frame(for: first), .ipv4)
        #expect(firstOutcome == .ip && firstHeaders.hasTransportHeader && firstHeaders.destinationPort == 2000)
        #expect(firstHeaders.fragment.isFragment && !firstHeaders.fragment.isNonFirst)

        var middle = Self.udp4(payload: 16)
        middle.fragment = FragmentSpec(offset: 1480, moreFragments: true)
        let (middleOutcome, middleHeaders) = parse(PacketBuilder.frame(for: middle), .ipv4)
        #expect(middleOutcome == .ip && !middleHeaders.hasTransportHeader && middleHeaders.sourcePort == 0)
        #expect(middleHeaders.fragment.offset == 1480 && middleHeaders.payloadLength == 16 && middleHeaders.ipProtocol == 17)

        // Non-final fragment whose data is not a multiple of 8.
        var ragged = Self.udp4(payload: 13)
        ragged.fragment = FragmentSpec(offset: 8, moreFragments: true)
        #expect(parse(PacketBuilder.frame(for: ragged), .ipv4).0 == .malformed(.badFragment))
        // Ping of death: data reaches past 65,535 bytes.
        var tooFar = Self.udp4(payload: 64)
        tooFar.fragment = FragmentSpec(offset: 65_480, moreFragments: false)
        #expect(parse(PacketBuilder.frame(for: tooFar), .ipv4).0 == .malformed(.badFragment))
    }

    @Test func ipv6ExtensionChains() {
        let valid = Self.udp6([.hopByHop(units: 0), .destinationOptions(units: 2), .routing(units: 1),
                               .authentication(payloadLength: 4), .destinationOptions(units: 0)])
        let (outcome, headers) = parse(PacketBuilder.frame(for: valid), .ipv6)
        #expect(outcome == .ip && headers.ipProtocol == 17 && headers.l4Offset == 40 + 8 + 24 + 16 + 24 + 8)

        let lateHopByHop = Self.udp6([.destinationOptions(units: 0), .hopByHop(units: 0)])
        #expect(parse(PacketBuilder.frame(for: lateHopByHop), .ipv6).0 == .malformed(.badIPv6ExtensionChain))

        let limit = PacketParser.maximumExtensionHeaders
        let longest = Self.udp6([IPv6ExtensionHeaderSpec](repeating: .destinationOptions(units: 0), count: limit))
        #expect(parse(PacketBuilder.frame(for: longest), .ipv6).0 == .ip)
        let tooLong = Self.udp6([IPv6ExtensionHeaderSpec](repeating: .destinationOptions(units: 0), count: limit + 1))
        #expect(parse(PacketBuilder.frame(for: tooLong), .ipv6).0 == .malformed(.badIPv6ExtensionChain))

        // An extension header whose length runs past the packet.
        var overlong = PacketBuilder.frame(for: Self.udp6([.routing(units: 0)]))
        overlong[41] = 200
        #expect(parse(overlong, .ipv6).0 == .malformed(.truncatedIPv6Extension))

        // A chain that "loops" (each header names another routing header) ends at the packet end
        // or the header limit, whichever comes first: an error, not a hang.
        var looping = [UInt8](repeating: 0, count: 40 + 8 * 64)
        looping[0] = 0x60
        looping[4] = 2; looping[5] = 0  // payload length 512
        looping[6] = 43
        for header in 0..<64 { looping[40 + 8 * header] = 43 }
        #expect(parse(looping, .ipv6).0 == .malformed(.badIPv6ExtensionChain))
        looping[4] = 0; looping[5] = 16  // payload length 16: two headers, then the chain runs off the end
        #expect(parse(Array(looping[..<56]), .ipv6).0 == .malformed(.truncatedIPv6Extension))

        // ESP and no-next-header end the chain with no transport header.
        for last: UInt8 in [50, 59] {
            var frame = PacketBuilder.frame(for: Self.udp6([.destinationOptions(units: 0)]))
            frame[40] = last
            let (stopOutcome, stopHeaders) = parse(frame, .ipv6)
            #expect(stopOutcome == .ip && stopHeaders.ipProtocol == last && !stopHeaders.hasTransportHeader)
        }
    }

    @Test func ipv6Fragments() {
        let atomic = Self.udp6([.fragment])
        let (atomicOutcome, atomicHeaders) = parse(PacketBuilder.frame(for: atomic), .ipv6)
        #expect(atomicOutcome == .ip && atomicHeaders.fragment.isFragment && atomicHeaders.hasTransportHeader)

        let later = Self.udp6([.fragment, .destinationOptions(units: 0)], fragment: FragmentSpec(offset: 2048, moreFragments: true), payload: 32)
        let (laterOutcome, laterHeaders) = parse(PacketBuilder.frame(for: later), .ipv6)
        #expect(laterOutcome == .ip && !laterHeaders.hasTransportHeader)
        #expect(laterHeaders.ipProtocol == 60 && laterHeaders.fragment.offset == 2048 && laterHeaders.payloadLength == 32)

        let ragged = Self.udp6(fragment: FragmentSpec(offset: 8, moreFragments: true), payload: 12)
        #expect(parse(PacketBuilder.frame(for: ragged), .ipv6).0 == .malformed(.badFragment))
        let tooFar = Self.udp6(fragment: FragmentSpec(offset: 65_528, moreFragments: false), payload: 16)
        #expect(parse(PacketBuilder.frame(for: tooFar), .ipv6).0 == .malformed(.badFragment))
    }

    @Test func ipv6PayloadLength() {
        var frame = PacketBuilder.frame(for: Self.udp6())
        frame[5] &+= 1
        #expect(parse(frame, .ipv6).0 == .malformed(.truncatedIPv6))
        frame[5] &-= 2
        #expect(parse(frame, .ipv6, options: []).0 == .malformed(.badUDPLength))
    }

    @Test func transportRules() {
        var tcp = Self.udp4()
        tcp.transport = .tcp(TCPSegmentSpec(sourcePort: 1, destinationPort: 2))
        var frame = PacketBuilder.frame(for: tcp)
        frame[32] = 0x40  // data offset 4 words
        #expect(parse(frame, .ipv4, options: []).0 == .malformed(.badTCPHeaderLength))
        frame[32] = 0xF0  // 60 bytes, more than the segment
        #expect(parse(frame, .ipv4, options: []).0 == .malformed(.truncatedTCP))

        var udp = PacketBuilder.frame(for: Self.udp4())
        udp[24] = 0; udp[25] = 7
        #expect(parse(udp, .ipv4, options: []).0 == .malformed(.badUDPLength))
        udp[25] = 200
        #expect(parse(udp, .ipv4, options: []).0 == .malformed(.badUDPLength))

        var icmp6 = Self.udp6(payload: 0)
        icmp6.transport = .icmpEcho(isRequest: true, identifier: 1, sequence: 2)
        let frame6 = PacketBuilder.frame(for: icmp6)
        #expect(parse(frame6, .ipv6).0 == .ip)
        var short6 = frame6
        short6[5] = 4
        #expect(parse(Array(short6[..<44]), .ipv6).0 == .malformed(.truncatedICMPv6))
    }

    @Test func transportChecksums() {
        var random = SeededGenerator(seed: 99)
        for _ in 0..<300 {
            var spec = RandomPackets.spec(using: &random)
            spec.fragment = nil
            spec.ipv6ExtensionHeaders.removeAll { $0 == .fragment }
            if case .opaque = spec.transport { continue }
            var frame = PacketBuilder.frame(for: spec)
            let linkType = RandomPackets.linkType(of: spec)
            let (outcome, headers) = parse(frame, linkType)
            #expect(outcome == .ip)
            // Damage one byte of the upper-layer data: verification catches it, the default doesn't.
            let index = Int.random(in: Int(headers.l4Offset)..<frame.count, using: &random)
            frame[index] ^= 0x5A
            let expected: MalformedReason = switch headers.ipProtocol {
            case 6: .badTCPChecksum
            case 17: .badUDPChecksum
            case 1: .badICMPChecksum
            default: .badICMPv6Checksum
            }
            let damaged = parse(frame, linkType).0
            let structural = parse(frame, linkType, options: []).0
            if structural == .ip {
                #expect(damaged == .malformed(expected))
            } else {
                // The byte was a length or data-offset field: that check comes first.
                #expect(damaged == structural)
            }
        }
        // UDP checksum 0: none over IPv4, invalid over IPv6.
        var udp4 = PacketBuilder.frame(for: Self.udp4())
        udp4[26] = 0; udp4[27] = 0
        #expect(parse(udp4, .ipv4).0 == .ip)
        var udp6 = PacketBuilder.frame(for: Self.udp6())
        udp6[46] = 0; udp6[47] = 0
        #expect(parse(udp6, .ipv6).0 == .malformed(.badUDPChecksum))
    }

    @Test func checksumMatchesTheSlowReference() {
        var random = SeededGenerator(seed: 1071)
        for length in 0..<300 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            let fast = bytes.withUnsafeBytes { raw in
                raw.baseAddress.map { InternetChecksum.sum($0, count: length) } ?? 0
            }
            let reference = referenceChecksumSum(bytes[...])
            // 0 and 0xFFFF are the same number in one's complement.
            #expect(fast == reference || fast % 0xFFFF == reference % 0xFFFF, "length \(length)")
        }
        // RFC 1071 section 3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
        let example: [UInt8] = [0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]
        #expect(example.withUnsafeBytes { InternetChecksum.sum($0.baseAddress!, count: 8) } == 0xDDF2)
    }
}
