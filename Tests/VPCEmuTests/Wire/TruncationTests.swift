import Testing
@testable import VPCEmu

/// Every prefix of every frame: an error when the frame claims to be complete; when snaplen
/// cut it (wire length kept), success exactly when every header the parser reads is present.
@Suite struct TruncationTests {
    static var frames: [(name: String, bytes: [UInt8], linkType: LinkType)] {
        var random = SeededGenerator(seed: 0x7256)
        let built = (0..<150).map { index in
            let spec = RandomPackets.spec(using: &random)
            return ("built #\(index)", PacketBuilder.frame(for: spec), RandomPackets.linkType(of: spec))
        }
        return RealFrame.all.map { ($0.name, $0.bytes, $0.linkType) } + built
    }

    @Test func everyPrefixOfACompleteFrameIsAnError() {
        for (name, bytes, linkType) in Self.frames {
            let (fullOutcome, full) = parse(bytes, linkType, options: [])
            guard fullOutcome == .ip else {
                // Not IP (the QinQ ARP frame): prefixes fail until the inner EtherType is present.
                for length in 0..<bytes.count {
                    let outcome = parse(Array(bytes[..<length]), linkType).0
                    let expected: ParseOutcome = length < 14 ? .malformed(.truncatedEthernet)
                        : length < 22 ? .malformed(.truncatedVLAN) : fullOutcome
                    #expect(outcome == expected, "\(name) prefix \(length)")
                }
                continue
            }
            let ipEnd = Int(full.l3Offset) + Int(full.ipTotalLength)
            let boundaries = linkType == .nflog ? nflogAttributeBoundaries(bytes) : []
            for length in 0..<bytes.count {
                let (outcome, headers) = parse(Array(bytes[..<length]), linkType, options: [])
                if boundaries.contains(length) {
                    // Whole attributes and no payload yet: an NFLOG frame without a packet.
                    #expect(outcome == .notIP(UInt16(bytes[0])), "\(name) prefix \(length): \(outcome)")
                } else if length < ipEnd {
                    #expect(outcome.malformedReason?.isTruncation == true, "\(name) prefix \(length): \(outcome)")
                } else {
                    // Only link-layer padding was cut.
                    var expected = full
                    expected.capturedLength = UInt32(length)
                    expected.wireLength = UInt32(length)
                    #expect(outcome == .ip && headers == expected, "\(name) prefix \(length)")
                }
            }
        }
    }

    @Test func snapshotsDecodeWhateverHeadersWereCaptured() {
        for (name, bytes, linkType) in Self.frames {
            let (fullOutcome, full) = parse(bytes, linkType, options: [])
            guard fullOutcome == .ip else { continue }
            let headersEnd = Int(full.l4Offset) + transportHeaderLength(bytes, full)
            for length in 0..<bytes.count {
                let (outcome, headers) = parse(Array(bytes[..<length]), linkType, wireLength: bytes.count,
                                               options: [.verifyTransportChecksums])
                if length < headersEnd {
                    #expect(outcome.malformedReason?.isTruncation == true, "\(name) snapped at \(length): \(outcome)")
                } else {
                    var expected = full
                    expected.capturedLength = UInt32(length)
                    #expect(outcome == .ip && headers == expected, "\(name) snapped at \(length)")
                    #expect(headers.isSnapped)
                }
            }
        }
    }

    /// Ends of the NFLOG attributes before the payload attribute (type 9), the header's end
    /// included: little-endian lengths, padded to 4.
    private func nflogAttributeBoundaries(_ bytes: [UInt8]) -> Set<Int> {
        func field(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        var boundaries: Set<Int> = [4]
        var offset = 4
        while offset + 4 <= bytes.count, field(offset + 2) != 9 {
            offset += (field(offset) + 3) / 4 * 4
            boundaries.insert(offset)
        }
        return boundaries
    }

    /// Bytes of the upper-layer header the parser needs, read the slow way from the frame.
    private func transportHeaderLength(_ bytes: [UInt8], _ headers: PacketHeaders) -> Int {
        guard headers.hasTransportHeader else { return 0 }
        switch headers.ipProtocol {
        case 6: return Int(bytes[Int(headers.l4Offset) + 12] >> 4) * 4
        default: return 8
        }
    }
}
