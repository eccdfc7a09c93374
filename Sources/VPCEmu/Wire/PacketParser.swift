/// What to verify beyond the always-checked IPv4 header checksum.
public struct ParseOptions: OptionSet, Sendable, Hashable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Verify ICMP, ICMPv6, TCP and UDP checksums when the whole packet was captured and is not
    /// a fragment. Off by default: captures taken on a sending host with checksum offload carry
    /// unfilled transport checksums, and routers (and VPC fabrics) do not check them.
    public static let verifyTransportChecksums = ParseOptions(rawValue: 1)
}

/// Decodes frames into `PacketHeaders`. Never throws, never allocates, never traps: every
/// outcome, including garbage, is a `ParseOutcome` value.
public enum PacketParser {
    /// Upper bound on IPv6 extension headers in one chain; longer chains are
    /// `badIPv6ExtensionChain` (RFC 8200 allows any number; real traffic has at most a few,
    /// and RFC 7112 requires the whole chain in the first fragment).
    public static let maximumExtensionHeaders = 8

    /// Decodes one frame of the given link type.
    ///
    /// - Parameters:
    ///   - frame: the captured bytes, starting at the link-layer header.
    ///   - wireLength: the packet's length on the wire from the capture record; when it exceeds
    ///     `frame.count` the frame was cut by snaplen, and an IP length reaching past the
    ///     captured bytes is accepted (headers that are present are decoded). `nil` means the
    ///     frame is complete.
    ///   - headers: overwritten, except `timestampNanoseconds`, which the caller owns.
    public static func parse(
        _ frame: UnsafeRawBufferPointer, linkType: LinkType, wireLength: Int? = nil,
        options: ParseOptions = [], into headers: inout PacketHeaders
    ) -> ParseOutcome {
        let timestamp = headers.timestampNanoseconds
        headers = PacketHeaders()
        headers.timestampNanoseconds = timestamp
        headers.capturedLength = UInt32(truncatingIfNeeded: frame.count)
        headers.wireLength = UInt32(truncatingIfNeeded: max(wireLength ?? frame.count, frame.count))
        guard let base = frame.baseAddress, !frame.isEmpty else {
            return .malformed(linkType.truncationReason)
        }
        let cursor = WireCursor(base: base, count: frame.count,
                                snapped: headers.wireLength > headers.capturedLength, options: options)
        return cursor.decode(linkType: linkType, into: &headers)
    }
}

extension LinkType {
    /// The reason reported when a frame is too short for this link type's first header.
    var truncationReason: MalformedReason {
        switch self {
        case .ethernet: .truncatedEthernet
        case .linuxSLL, .linuxSLL2: .truncatedLinuxSLL
        case .null, .loop: .truncatedLoopback
        case .raw, .ipv4: .truncatedIPv4
        case .ipv6: .truncatedIPv6
        case .ppp, .pppHDLC: .truncatedPPP
        case .nflog: .truncatedNFLOG
        case .ieee80211: .truncatedIEEE80211
        case .radiotap: .truncatedRadiotap
        }
    }
}

/// The frame being decoded: a base pointer and the number of captured bytes. Every decoder
/// checks `offset + length <= count` (or the IP-bounded end) before it reads.
struct WireCursor {
    let base: UnsafeRawPointer
    let count: Int
    /// True when snaplen cut the frame: IP lengths may reach past `count`.
    let snapped: Bool
    let options: ParseOptions

    @inline(__always)
    func decode(linkType: LinkType, into headers: inout PacketHeaders) -> ParseOutcome {
        switch linkType {
        case .ethernet: decodeEthernet(into: &headers)
        case .linuxSLL: decodeLinuxSLL(into: &headers)
        case .linuxSLL2: decodeLinuxSLL2(into: &headers)
        case .null: decodeLoopback(networkOrder: false, into: &headers)
        case .loop: decodeLoopback(networkOrder: true, into: &headers)
        case .raw: decodeRawIP(into: &headers)
        case .ipv4: decodeIPv4(at: 0, into: &headers)
        case .ipv6: decodeIPv6(at: 0, into: &headers)
        case .ppp: decodePPP(hdlcFramed: false, into: &headers)
        case .pppHDLC: decodePPP(hdlcFramed: true, into: &headers)
        case .nflog: decodeNFLOG(into: &headers)
        case .ieee80211: decodeIEEE80211(at: 0, into: &headers)
        case .radiotap: decodeRadiotap(into: &headers)
        }
    }

    /// Raw IP: the version nibble says which header follows.
    @inline(__always)
    func decodeRawIP(into headers: inout PacketHeaders) -> ParseOutcome {
        // `parse` has checked that the frame is not empty.
        switch base.loadByte(at: 0) >> 4 {
        case 4: return decodeIPv4(at: 0, into: &headers)
        case 6: return decodeIPv6(at: 0, into: &headers)
        default: return .malformed(.badVersion)
        }
    }
}
