/// IPv4 (RFC 791).
///
/// A view over a header whose first `minimumLength` bytes (and, once checked, `headerLength`
/// bytes) lie inside the frame.
struct IPv4HeaderView {
    static let minimumLength = 20
    static let ttlOffset = 8
    static let checksumOffset = 10

    let bytes: UnsafeRawPointer

    var version: UInt8 { bytes.loadByte(at: 0) >> 4 }
    /// IHL × 4 bytes.
    var headerLength: Int { Int(bytes.loadByte(at: 0) & 0x0F) &* 4 }
    var typeOfService: UInt8 { bytes.loadByte(at: 1) }
    var totalLength: Int { Int(bytes.loadBigEndian(at: 2, as: UInt16.self)) }
    var identification: UInt16 { bytes.loadBigEndian(at: 4, as: UInt16.self) }
    /// Reserved bit, DF, MF, and the 13-bit fragment offset in 8-byte units.
    var fragmentField: UInt16 { bytes.loadBigEndian(at: 6, as: UInt16.self) }
    var ttl: UInt8 { bytes.loadByte(at: Self.ttlOffset) }
    var protocolNumber: UInt8 { bytes.loadByte(at: 9) }
    var source: UInt32 { bytes.loadBigEndian(at: 12, as: UInt32.self) }
    var destination: UInt32 { bytes.loadBigEndian(at: 16, as: UInt32.self) }

    static let dontFragmentBit: UInt16 = 0x4000
    static let moreFragmentsBit: UInt16 = 0x2000
    static let fragmentOffsetMask: UInt16 = 0x1FFF
}

/// The largest IP packet a fragment may help reassemble (RFC 791 total length, RFC 8200
/// payload length: both 16-bit fields).
let maximumReassembledLength = 65_535

extension WireCursor {
    @inline(__always)
    func decodeIPv4(at offset: Int, into headers: inout PacketHeaders) -> ParseOutcome {
        let available = count &- offset
        guard available >= IPv4HeaderView.minimumLength else { return .malformed(.truncatedIPv4) }
        let header = IPv4HeaderView(bytes: base + offset)
        guard header.version == 4 else { return .malformed(.badVersion) }
        let headerLength = header.headerLength
        guard headerLength >= IPv4HeaderView.minimumLength else { return .malformed(.badIPv4HeaderLength) }
        guard headerLength <= available else { return .malformed(.truncatedIPv4) }
        let totalLength = header.totalLength
        guard totalLength >= headerLength else { return .malformed(.badIPv4TotalLength) }
        // Nearly every header has no options: with a constant length the sum unrolls to three
        // loads and adds instead of a loop.
        let headerSum = headerLength == IPv4HeaderView.minimumLength
            ? InternetChecksum.sum(header.bytes, count: IPv4HeaderView.minimumLength)
            : InternetChecksum.sum(header.bytes, count: headerLength)
        guard headerSum == 0xFFFF else {
            return .malformed(.badIPv4Checksum)
        }
        guard totalLength <= available || snapped else { return .malformed(.truncatedIPv4) }

        headers.family = .ipv4
        headers.sourceLow = UInt64(header.source)
        headers.destinationLow = UInt64(header.destination)
        headers.ttl = header.ttl
        headers.trafficClass = header.typeOfService
        headers.ipTotalLength = UInt32(totalLength)
        headers.ipProtocol = header.protocolNumber
        headers.l3Offset = UInt32(truncatingIfNeeded: offset)
        headers.l4Offset = UInt32(truncatingIfNeeded: offset &+ headerLength)

        let dataLength = totalLength &- headerLength
        let fragmentField = header.fragmentField
        let moreFragments = fragmentField & IPv4HeaderView.moreFragmentsBit != 0
        let fragmentOffset = Int(fragmentField & IPv4HeaderView.fragmentOffsetMask) &* 8
        headers.fragment.identification = UInt32(header.identification)
        headers.fragment.dontFragment = fragmentField & IPv4HeaderView.dontFragmentBit != 0
        headers.fragment.moreFragments = moreFragments
        headers.fragment.offset = UInt16(truncatingIfNeeded: fragmentOffset)
        headers.fragment.isFragment = moreFragments || fragmentOffset != 0
        if headers.fragment.isFragment {
            guard fragmentOffset &+ dataLength &+ headerLength <= maximumReassembledLength,
                  !moreFragments || dataLength % 8 == 0 else { return .malformed(.badFragment) }
            if fragmentOffset != 0 {
                headers.payloadLength = UInt32(dataLength)
                return .ip
            }
        }
        return decodeTransport(at: offset &+ headerLength, declaredLength: dataLength, checksumVerifiable: true, into: &headers)
    }
}
