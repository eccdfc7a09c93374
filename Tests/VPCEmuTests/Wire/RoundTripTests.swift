import Testing
@testable import VPCEmu

@Suite struct RoundTripTests {
    /// parse(build(spec)) reports exactly what the spec says, with every checksum valid.
    @Test func seededRandomSpecsRoundTrip() {
        var random = SeededGenerator(seed: 0x5EED_0001)
        var frame = ContiguousArray<UInt8>()
        var seen: [String: Int] = [:]
        defer {
            // The generator really covers the cases it claims to.
            for kind in ["v4", "v6", "qinq", "v4 options", "v6 chain", "first fragment", "non-first fragment", "tcp", "udp", "icmp"] {
                #expect(seen[kind, default: 0] >= 30, "only \(seen[kind, default: 0]) of \(kind)")
            }
        }
        for index in 0..<3000 {
            let spec = RandomPackets.spec(using: &random)
            frame.removeAll(keepingCapacity: true)
            let length = PacketBuilder.build(spec, into: &frame)
            #expect(length == frame.count)
            let (outcome, headers) = parse(Array(frame), RandomPackets.linkType(of: spec), options: [.verifyTransportChecksums])
            let expected = RandomPackets.expectedHeaders(spec, frameLength: frame.count)
            seen[headers.family == .ipv4 ? "v4" : "v6", default: 0] += 1
            if headers.vlanTagCount == 2 { seen["qinq", default: 0] += 1 }
            if spec.ipv4OptionWords > 0 { seen["v4 options", default: 0] += 1 }
            if spec.ipv6ExtensionHeaders.count > 1 { seen["v6 chain", default: 0] += 1 }
            if headers.fragment.isFragment { seen[headers.fragment.isNonFirst ? "non-first fragment" : "first fragment", default: 0] += 1 }
            if headers.hasTransportHeader { seen[[6: "tcp", 17: "udp"][headers.ipProtocol] ?? "icmp", default: 0] += 1 }
            #expect(outcome == .ip, "spec \(index): \(spec)")
            #expect(headers == expected, "spec \(index): \(spec)")
            if outcome != .ip || headers != expected { return }
        }
    }

    /// The builder appends: several packets in one buffer parse back one by one.
    @Test func buildAppendsToTheBuffer() {
        var random = SeededGenerator(seed: 7)
        let specs = (0..<20).map { _ in RandomPackets.spec(using: &random) }
        var buffer = ContiguousArray<UInt8>()
        var ranges: [Range<Int>] = []
        for spec in specs {
            let start = buffer.count
            ranges.append(start..<start + PacketBuilder.build(spec, into: &buffer))
        }
        for (spec, range) in zip(specs, ranges) {
            let (outcome, headers) = parse(Array(buffer[range]), RandomPackets.linkType(of: spec))
            #expect(outcome == .ip)
            #expect(headers == RandomPackets.expectedHeaders(spec, frameLength: range.count))
        }
    }

    /// Transport checksums the builder writes are what the slow RFC 1071 reference computes.
    @Test func builtChecksumsMatchTheReference() {
        let spec = PacketSpec(source: .v4(IPv4Address(192, 0, 2, 1)), destination: .v4(IPv4Address(198, 51, 100, 7)),
                              transport: .udp(sourcePort: 5353, destinationPort: 53), payload: Array("hello, world".utf8))
        let frame = PacketBuilder.frame(for: spec)
        #expect(referenceChecksumSum(frame[0..<20]) == 0xFFFF)
        // Pseudo-header: source, destination, zero + protocol, UDP length.
        let udpLength = frame.count - 20
        let pseudo: [UInt8] = Array(frame[12..<20]) + [0, 17, UInt8(udpLength >> 8), UInt8(udpLength & 0xFF)]
        var sum = referenceChecksumSum(pseudo[...]) + referenceChecksumSum(frame[20...])
        sum = (sum & 0xFFFF) + (sum >> 16)
        #expect(sum == 0xFFFF)
    }
}
