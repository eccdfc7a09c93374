import Testing
@testable import VPCEmu

/// Seeded random damage to real and built packets: byte flips, overwritten length fields,
/// truncations, extensions, wrong link types, snaplen. The parser must not trap, must be
/// deterministic, and whatever it accepts must be consistent with the bytes (checked the slow way).
@Suite struct MutationFuzzTests {
    static let caseCount = 100_000

    @Test func mutatedPacketsNeverTrapAndSuccessIsConsistent() {
        var random = SeededGenerator(seed: 0xF022)
        var seeds: [([UInt8], LinkType)] = RealFrame.all.map { ($0.bytes, $0.linkType) }
        for _ in 0..<60 {
            let spec = RandomPackets.spec(using: &random)
            seeds.append((PacketBuilder.frame(for: spec), RandomPackets.linkType(of: spec)))
        }
        var outcomes: [String: Int] = [:]
        var headers = PacketHeaders()
        var again = PacketHeaders()
        for caseIndex in 0..<Self.caseCount {
            let (seed, seedLinkType) = seeds[Int.random(in: 0..<seeds.count, using: &random)]
            var frame = seed
            mutate(&frame, using: &random)
            let linkType = Int.random(in: 0..<20, using: &random) == 0
                ? LinkType.allCases[Int.random(in: 0..<LinkType.allCases.count, using: &random)] : seedLinkType
            let wireLength: Int? = Bool.random(using: &random) ? nil : frame.count + Int.random(in: 0...64, using: &random)
            let options: ParseOptions = Bool.random(using: &random) ? [.verifyTransportChecksums] : []
            let (outcome, repeated) = frame.withUnsafeBytes { bytes in
                (PacketParser.parse(bytes, linkType: linkType, wireLength: wireLength, options: options, into: &headers),
                 PacketParser.parse(bytes, linkType: linkType, wireLength: wireLength, options: options, into: &again))
            }
            #expect(outcome == repeated && headers == again, "case \(caseIndex) is not deterministic")
            switch outcome {
            case .ip:
                outcomes["ip", default: 0] += 1
                if let problem = inconsistency(frame, headers) {
                    Issue.record("case \(caseIndex) (\(linkType)): \(problem)")
                    return
                }
            case .notIP: outcomes["not IP", default: 0] += 1
            case .malformed(let reason): outcomes[reason.code, default: 0] += 1
            }
        }
        // The mutations reach deep: most reasons occur, and plenty of packets still parse.
        #expect(outcomes["ip", default: 0] > Self.caseCount / 10)
        #expect(outcomes.count >= 15, "\(outcomes)")
    }

    private func mutate(_ frame: inout [UInt8], using random: inout SeededGenerator) {
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            switch Int.random(in: 0..<6, using: &random) {
            case 0...1 where !frame.isEmpty:  // flip bits of one byte, often inside the headers
                let limit = Bool.random(using: &random) ? min(frame.count, 80) : frame.count
                frame[Int.random(in: 0..<limit, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
            case 2 where !frame.isEmpty:  // set a byte to an edge value
                let index = Int.random(in: 0..<min(frame.count, 80), using: &random)
                frame[index] = [0x00, 0xFF, 0x01, 0x80, 0x7F, 0x40, 0x60, 0x45, 0x2C, 0x3A][Int.random(in: 0..<10, using: &random)]
            case 3:  // truncate
                frame.removeLast(Int.random(in: 0...frame.count, using: &random))
            case 4:  // extend with random bytes
                frame += (0..<Int.random(in: 1...40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            default:  // drop or duplicate a span in the middle (shifts every header after it)
                guard frame.count > 2 else { continue }
                let start = Int.random(in: 0..<frame.count - 1, using: &random)
                let end = Int.random(in: start...min(frame.count, start + 12), using: &random)
                if Bool.random(using: &random) {
                    frame.removeSubrange(start..<end)
                } else {
                    frame.insert(contentsOf: frame[start..<end], at: start)
                }
            }
        }
    }

    /// Checks a successful parse against the frame bytes, read with plain array indexing.
    private func inconsistency(_ frame: [UInt8], _ h: PacketHeaders) -> String? {
        let l3 = Int(h.l3Offset), l4 = Int(h.l4Offset), count = frame.count
        func be16(_ at: Int) -> UInt16 { UInt16(frame[at]) << 8 | UInt16(frame[at + 1]) }
        guard h.capturedLength == count, h.wireLength >= h.capturedLength else { return "lengths" }
        let minimumIPHeader = h.family == .ipv4 ? 20 : 40
        guard l3 + minimumIPHeader <= l4, l4 <= count else { return "offsets \(l3) \(l4) beyond \(count)" }
        guard Int(h.ipTotalLength) >= l4 - l3 else { return "total length below the headers" }
        guard h.isSnapped || l3 + Int(h.ipTotalLength) <= count else { return "IP packet past the frame" }
        guard Int(h.payloadLength) <= Int(h.ipTotalLength) else { return "payload longer than the packet" }
        switch h.family {
        case .ipv4:
            guard frame[l3] >> 4 == 4, referenceChecksumSum(frame[l3..<l4]) == 0xFFFF else { return "IPv4 header" }
            guard h.sourceHigh == 0, h.sourceLow >> 32 == 0, h.ttl == frame[l3 + 8], h.ipProtocol == frame[l3 + 9] else {
                return "IPv4 fields"
            }
        case .ipv6:
            guard frame[l3] >> 4 == 6, h.ttl == frame[l3 + 7] else { return "IPv6 fields" }
        }
        if h.fragment.isNonFirst, h.hasTransportHeader { return "ports from a non-first fragment" }
        guard h.hasTransportHeader else { return nil }
        switch h.ipProtocol {
        case 6:
            let headerLength = Int(frame[l4 + 12] >> 4) * 4
            guard headerLength >= 20, l4 + headerLength <= count else { return "TCP header bounds" }
            guard h.sourcePort == be16(l4), h.destinationPort == be16(l4 + 2), h.tcpFlags.rawValue == frame[l4 + 13] else {
                return "TCP fields"
            }
        case 17:
            guard l4 + 8 <= count, h.sourcePort == be16(l4), h.destinationPort == be16(l4 + 2) else { return "UDP fields" }
            guard Int(be16(l4 + 4)) >= 8, Int(be16(l4 + 4)) <= l3 + Int(h.ipTotalLength) - l4 else { return "UDP length" }
        case 1, 58:
            guard l4 + 8 <= count, h.icmpType == frame[l4], h.icmpCode == frame[l4 + 1] else { return "ICMP fields" }
        default:
            return "transport header for protocol \(h.ipProtocol)"
        }
        return nil
    }
}
