/// The upper-layer headers VPCEmu decodes: TCP (RFC 9293), UDP (RFC 768), ICMP (RFC 792) and
/// ICMPv6 (RFC 4443). Only the first 8 bytes of ICMP are read, the fixed part every message has.
enum TransportHeaderLength {
    static let tcpMinimum = 20
    static let udp = 8
    static let icmp = 8
}

enum ICMPType {
    static let echoReply: UInt8 = 0
    static let destinationUnreachable: UInt8 = 3
    static let echoRequest: UInt8 = 8
    static let timeExceeded: UInt8 = 11
}

enum ICMPv6Type {
    static let destinationUnreachable: UInt8 = 1
    static let timeExceeded: UInt8 = 3
    static let echoRequest: UInt8 = 128
    static let echoReply: UInt8 = 129
}

extension WireCursor {
    /// Decodes the header at `offset`. `declaredLength` is the upper-layer length the IP header
    /// declares; the captured bytes may end earlier only when snaplen cut the frame. Checksums
    /// are verified only when asked for, `checksumVerifiable`, and the whole unfragmented
    /// segment was captured.
    ///
    /// `@_transparent` rather than `@inline(__always)`: the optimiser ignored the latter in
    /// `parse` (too large a caller) and the call cost ~28 instructions per packet (callgrind).
    @_transparent
    func decodeTransport(at offset: Int, declaredLength: Int, checksumVerifiable: Bool,
                         into headers: inout PacketHeaders) -> ParseOutcome {
        let declaredEnd = offset &+ declaredLength
        let available = min(declaredEnd, count) &- offset
        let verify = checksumVerifiable && declaredEnd <= count && !headers.fragment.isFragment
            && options.contains(.verifyTransportChecksums)
        let bytes = base + offset
        let protocolNumber = headers.ipProtocol
        switch protocolNumber {
        case IPProtocolNumber.tcp:
            guard available >= TransportHeaderLength.tcpMinimum else { return .malformed(.truncatedTCP) }
            let dataOffset = Int(bytes.loadByte(at: 12) >> 4) &* 4
            guard dataOffset >= TransportHeaderLength.tcpMinimum else { return .malformed(.badTCPHeaderLength) }
            guard dataOffset <= available else { return .malformed(.truncatedTCP) }
            headers.sourcePort = bytes.loadBigEndian(at: 0, as: UInt16.self)
            headers.destinationPort = bytes.loadBigEndian(at: 2, as: UInt16.self)
            headers.tcpFlags = TCPFlags(rawValue: bytes.loadByte(at: 13))
            headers.payloadLength = UInt32(declaredLength &- dataOffset)
            if verify, !transportChecksumIsValid(bytes, length: declaredLength, pseudoHeader: true, headers) {
                return .malformed(.badTCPChecksum)
            }
        case IPProtocolNumber.udp:
            guard available >= TransportHeaderLength.udp else { return .malformed(.truncatedUDP) }
            let udpLength = Int(bytes.loadBigEndian(at: 4, as: UInt16.self))
            guard udpLength >= TransportHeaderLength.udp, udpLength <= declaredLength else {
                return .malformed(.badUDPLength)
            }
            headers.sourcePort = bytes.loadBigEndian(at: 0, as: UInt16.self)
            headers.destinationPort = bytes.loadBigEndian(at: 2, as: UInt16.self)
            headers.payloadLength = UInt32(udpLength &- TransportHeaderLength.udp)
            if verify {
                // Zero means "not computed" over IPv4 (RFC 768) and is invalid over IPv6 (RFC 8200 8.1).
                let checksum = bytes.loadBigEndian(at: 6, as: UInt16.self)
                let valid = checksum == 0 ? headers.family == .ipv4
                    : transportChecksumIsValid(bytes, length: udpLength, pseudoHeader: true, headers)
                if !valid { return .malformed(.badUDPChecksum) }
            }
        case IPProtocolNumber.icmp where headers.family == .ipv4,
             IPProtocolNumber.icmpv6 where headers.family == .ipv6:
            let isVersion4 = headers.family == .ipv4
            guard available >= TransportHeaderLength.icmp else {
                return .malformed(isVersion4 ? .truncatedICMP : .truncatedICMPv6)
            }
            let type = bytes.loadByte(at: 0)
            headers.icmpType = type
            headers.icmpCode = bytes.loadByte(at: 1)
            let isEcho = isVersion4 ? (type == ICMPType.echoRequest || type == ICMPType.echoReply)
                                    : (type == ICMPv6Type.echoRequest || type == ICMPv6Type.echoReply)
            if isEcho {
                headers.icmpIdentifier = bytes.loadBigEndian(at: 4, as: UInt16.self)
                headers.icmpSequence = bytes.loadBigEndian(at: 6, as: UInt16.self)
            }
            headers.payloadLength = UInt32(declaredLength &- TransportHeaderLength.icmp)
            // ICMPv4 has no pseudo-header (RFC 792); ICMPv6 does (RFC 4443 section 2.3).
            if verify, !transportChecksumIsValid(bytes, length: declaredLength, pseudoHeader: !isVersion4, headers) {
                return .malformed(isVersion4 ? .badICMPChecksum : .badICMPv6Checksum)
            }
        default:
            headers.payloadLength = UInt32(declaredLength)
            return .ip
        }
        headers.hasTransportHeader = true
        return .ip
    }

    private func transportChecksumIsValid(
        _ bytes: UnsafeRawPointer, length: Int, pseudoHeader: Bool, _ headers: PacketHeaders
    ) -> Bool {
        var sum = UInt64(InternetChecksum.sum(bytes, count: length))
        if pseudoHeader {
            sum &+= InternetChecksum.pseudoHeaderSum(
                source: (headers.sourceHigh, headers.sourceLow), destination: (headers.destinationHigh, headers.destinationLow),
                upperLayerLength: length, protocolNumber: headers.ipProtocol)
        }
        return InternetChecksum.isValid(sum)
    }
}
