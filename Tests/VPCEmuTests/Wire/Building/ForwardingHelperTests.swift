import Testing
@testable import VPCEmu

@Suite struct ForwardingHelperTests {
    /// The incremental update (RFC 1624) equals a full recomputation, for every TTL and for
    /// checksums that land on the 0x0000 / 0xFFFF edge.
    @Test func ttlDecrementKeepsTheIPv4ChecksumRight() {
        var random = SeededGenerator(seed: 1624)
        for ttl in 0...255 {
            for _ in 0..<8 {
                var spec = IPLayerTests.udp4()
                spec.ttl = UInt8(ttl)
                spec.identification = UInt32(truncatingIfNeeded: random.next())
                spec.ethernet = Bool.random(using: &random) ? EthernetSpec(vlanIDs: [5]) : nil
                var frame = PacketBuilder.frame(for: spec)
                let linkType = RandomPackets.linkType(of: spec)
                var (_, headers) = parse(frame, linkType)
                let outcome = frame.withUnsafeMutableBytes { HopLimit.decrement($0, headers: &headers) }
                if ttl <= 1 {
                    #expect(outcome == .expired)
                    #expect(frame == PacketBuilder.frame(for: spec))
                    continue
                }
                #expect(outcome == .decremented && headers.ttl == UInt8(ttl - 1))
                spec.ttl = UInt8(ttl - 1)
                #expect(frame == PacketBuilder.frame(for: spec))
                #expect(parse(frame, linkType) == (.ip, headers))
            }
        }
        // Identifications that put the checksum field at 0x0000 before or after the update:
        // with id 0 the checksum is c0 = ~S, and the field is 0 when S + id = 0xFFFF, i.e. id = c0
        // (before) or id = c0 + 0x100 (after the TTL word dropped by 0x100).
        let zeroID = PacketBuilder.frame(for: IPLayerTests.udp4())
        let c0 = UInt16(zeroID[10]) << 8 | UInt16(zeroID[11])
        for base in [c0, c0 &+ 0x100] {
            for delta: UInt16 in [0xFFFE, 0xFFFF, 0, 1, 2] {
                var spec = IPLayerTests.udp4()
                spec.identification = UInt32(base &+ delta)
                var frame = PacketBuilder.frame(for: spec)
                var (_, headers) = parse(frame, .ipv4)
                _ = frame.withUnsafeMutableBytes { HopLimit.decrement($0, headers: &headers) }
                #expect(referenceChecksumSum(frame[0..<20]) == 0xFFFF, "identification \(spec.identification)")
                #expect(parse(frame, .ipv4).0 == .ip)
            }
        }
    }

    @Test func hopLimitDecrement() {
        var spec = IPLayerTests.udp6()
        spec.ttl = 2
        var frame = PacketBuilder.frame(for: spec)
        var (_, headers) = parse(frame, .ipv6)
        #expect(frame.withUnsafeMutableBytes { HopLimit.decrement($0, headers: &headers) } == .decremented)
        #expect(frame[7] == 1 && headers.ttl == 1)
        #expect(frame.withUnsafeMutableBytes { HopLimit.decrement($0, headers: &headers) } == .expired)
    }

    @Test func ipv4TimeExceededQuotesTheOriginal() {
        let original = RealFrame.dnsQueryUDP.bytes
        let (_, headers) = parse(original, .ethernet)
        #expect(TimeExceeded.mayAnswer(headers))
        var answer = ContiguousArray<UInt8>()
        let router = IPAddress.v4(IPv4Address(192, 168, 1, 1))
        let length = original.withUnsafeBytes {
            TimeExceeded.build(answering: $0, headers: headers, router: router, ethernet: EthernetSpec(), into: &answer)
        }
        #expect(length == answer.count)
        let (outcome, reply) = parse(Array(answer), .ethernet)
        #expect(outcome == .ip)
        #expect(reply.source == router && reply.destination == headers.source)
        #expect(reply.icmpType == 11 && reply.icmpCode == 0)
        // The whole 84-byte datagram fits in 576 bytes, so it is quoted whole.
        #expect(Array(answer[(14 + 28)...]) == Array(original[14..<98]))
    }

    @Test func ipv6TimeExceededIsCappedAtTheMinimumMTU() {
        let spec = PacketSpec(source: IPLayerTests.v6Source, destination: IPLayerTests.v6Destination,
                              transport: .tcp(TCPSegmentSpec(sourcePort: 1, destinationPort: 2)),
                              payload: [UInt8](repeating: 0xEE, count: 1400))
        let original = PacketBuilder.frame(for: spec)
        let (_, headers) = parse(original, .ipv6)
        var answer = ContiguousArray<UInt8>()
        let length = original.withUnsafeBytes {
            TimeExceeded.build(answering: $0, headers: headers, router: IPAddress("2001:db8::fe")!, into: &answer)
        }
        #expect(length == answer.count)
        let (outcome, reply) = parse(Array(answer), .ipv6)
        #expect(outcome == .ip && answer.count == TimeExceeded.maximumIPv6AnswerLength)
        #expect(reply.ipProtocol == 58 && reply.icmpType == 3 && reply.destination == IPLayerTests.v6Source)
        #expect(Array(answer[48...]) == Array(original[..<(1280 - 48)]))
    }

    @Test func noAnswerToErrorsFragmentsOrMulticast() {
        func headers(_ spec: PacketSpec) -> PacketHeaders { parse(PacketBuilder.frame(for: spec), .raw).1 }
        var spec = IPLayerTests.udp4()
        #expect(TimeExceeded.mayAnswer(headers(spec)))
        spec.transport = .icmpMessage(type: 11, code: 0, restOfHeader: 0)
        #expect(!TimeExceeded.mayAnswer(headers(spec)))
        spec.transport = .icmpEcho(isRequest: true, identifier: 1, sequence: 1)
        #expect(TimeExceeded.mayAnswer(headers(spec)))
        spec.fragment = FragmentSpec(offset: 64, moreFragments: false)
        #expect(!TimeExceeded.mayAnswer(headers(spec)))
        spec.fragment = nil
        spec.destination = .v4(IPv4Address(224, 0, 0, 5))
        #expect(!TimeExceeded.mayAnswer(headers(spec)))
        var spec6 = IPLayerTests.udp6()
        spec6.transport = .icmpMessage(type: 1, code: 0, restOfHeader: 0)
        #expect(!TimeExceeded.mayAnswer(headers(spec6)))
        spec6.transport = .icmpEcho(isRequest: false, identifier: 1, sequence: 1)
        #expect(TimeExceeded.mayAnswer(headers(spec6)))
        spec6.destination = IPAddress("ff02::1")!
        #expect(!TimeExceeded.mayAnswer(headers(spec6)))
    }
}
