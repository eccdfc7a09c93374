/// Writes packets described by `PacketSpec`: Ethernet (optional, VLAN tags), IPv4 or IPv6
/// (with options / extension headers / fragment fields), ICMP, ICMPv6, TCP or UDP, with the
/// IPv4 header checksum (RFC 791) and the transport checksums (RFC 792, 4443, 9293, 768; the
/// last three over the pseudo-header of RFC 793 / RFC 8200 section 8.1) filled in.
public enum PacketBuilder {
    /// Appends the frame for `spec` to `frame` (reuse one buffer across calls to avoid
    /// allocation) and returns its length.
    @discardableResult
    public static func build(_ spec: PacketSpec, into frame: inout ContiguousArray<UInt8>) -> Int {
        spec.payload.withUnsafeBytes { payload in
            build(spec, payload: payload, into: &frame)
        }
    }

    /// The frame for `spec` as a new array.
    public static func frame(for spec: PacketSpec) -> [UInt8] {
        var frame = ContiguousArray<UInt8>()
        build(spec, into: &frame)
        return Array(frame)
    }

    /// Like `build(_:into:)`, but the payload comes from `payload` instead of `spec.payload`.
    @discardableResult
    static func build(_ spec: PacketSpec, payload: UnsafeRawBufferPointer, into frame: inout ContiguousArray<UInt8>) -> Int {
        precondition(spec.source.family == spec.destination.family, "source and destination families differ")
        let layout = FrameLayout(spec, payloadLength: payload.count)
        let start = frame.count
        frame.append(contentsOf: repeatElement(0, count: layout.frameLength))
        frame.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            let bytes = base + start
            writeEthernet(spec.ethernet, etherType: spec.family == .ipv4 ? EtherType.ipv4 : EtherType.ipv6, at: bytes)
            if let payloadBase = payload.baseAddress, !payload.isEmpty {
                (bytes + layout.payloadOffset).copyMemory(from: payloadBase, byteCount: payload.count)
            }
            if !layout.isNonFirstFragment {
                writeTransport(spec.transport, layout: layout, spec: spec, frame: bytes)
            }
            switch spec.family {
            case .ipv4: writeIPv4(spec, layout: layout, frame: bytes)
            case .ipv6: writeIPv6(spec, layout: layout, frame: bytes)
            }
        }
        return layout.frameLength
    }

    /// Where each part of the frame goes.
    struct FrameLayout {
        var l3Offset: Int
        var l4Offset: Int
        var payloadOffset: Int
        var frameLength: Int
        var isNonFirstFragment: Bool
        var protocolNumber: UInt8

        init(_ spec: PacketSpec, payloadLength: Int) {
            l3Offset = spec.ethernet.map { WireCursor.ethernetHeaderLength + WireCursor.vlanTagLength * $0.vlanIDs.count } ?? 0
            isNonFirstFragment = (spec.fragment?.offset ?? 0) != 0
            protocolNumber = spec.transport.protocolNumber(for: spec.family)
            var ipHeaderLength: Int
            switch spec.family {
            case .ipv4:
                ipHeaderLength = IPv4HeaderView.minimumLength + 4 * Int(spec.ipv4OptionWords)
            case .ipv6:
                ipHeaderLength = IPv6HeaderView.length
                spec.forEachIPv6ExtensionHeader { ipHeaderLength += $0.length }
            }
            l4Offset = l3Offset + ipHeaderLength
            payloadOffset = l4Offset + (isNonFirstFragment ? 0 : spec.transport.headerLength)
            frameLength = payloadOffset + payloadLength
        }
    }

    static func writeEthernet(_ ethernet: EthernetSpec?, etherType: UInt16, at bytes: UnsafeMutableRawPointer) {
        guard let ethernet else { return }
        writeMAC(ethernet.destinationMAC, at: bytes)
        writeMAC(ethernet.sourceMAC, at: bytes + 6)
        var offset = 12
        for (index, vlanID) in ethernet.vlanIDs.enumerated() {
            let isInnermost = index == ethernet.vlanIDs.count - 1
            bytes.storeBigEndian(isInnermost ? EtherType.vlan : EtherType.serviceVLAN, at: offset)
            bytes.storeBigEndian(vlanID & 0x0FFF, at: offset + 2)
            offset += WireCursor.vlanTagLength
        }
        bytes.storeBigEndian(etherType, at: offset)
    }

    private static func writeMAC(_ mac: UInt64, at bytes: UnsafeMutableRawPointer) {
        bytes.storeBigEndian(UInt16(truncatingIfNeeded: mac >> 32), at: 0)
        bytes.storeBigEndian(UInt32(truncatingIfNeeded: mac), at: 2)
    }

    private static func writeIPv4(_ spec: PacketSpec, layout: FrameLayout, frame: UnsafeMutableRawPointer) {
        let ip = frame + layout.l3Offset
        let headerLength = layout.l4Offset - layout.l3Offset
        ip.storeBytes(of: UInt8(0x40 | headerLength / 4), toByteOffset: 0, as: UInt8.self)
        ip.storeBytes(of: spec.trafficClass, toByteOffset: 1, as: UInt8.self)
        ip.storeBigEndian(UInt16(truncatingIfNeeded: layout.frameLength - layout.l3Offset), at: 2)
        ip.storeBigEndian(UInt16(truncatingIfNeeded: spec.identification), at: 4)
        var fragmentField = UInt16(truncatingIfNeeded: Int(spec.fragment?.offset ?? 0) / 8) & IPv4HeaderView.fragmentOffsetMask
        if spec.dontFragment { fragmentField |= IPv4HeaderView.dontFragmentBit }
        if spec.fragment?.moreFragments == true { fragmentField |= IPv4HeaderView.moreFragmentsBit }
        ip.storeBigEndian(fragmentField, at: 6)
        ip.storeBytes(of: spec.ttl, toByteOffset: IPv4HeaderView.ttlOffset, as: UInt8.self)
        ip.storeBytes(of: layout.protocolNumber, toByteOffset: 9, as: UInt8.self)
        ip.storeBigEndian(UInt32(truncatingIfNeeded: spec.source.bits.low), at: 12)
        ip.storeBigEndian(UInt32(truncatingIfNeeded: spec.destination.bits.low), at: 16)
        // RFC 791 option type 1: no operation, one byte each.
        for index in IPv4HeaderView.minimumLength..<headerLength {
            ip.storeBytes(of: UInt8(1), toByteOffset: index, as: UInt8.self)
        }
        let checksum = ~UInt16(truncatingIfNeeded: InternetChecksum.sum(UnsafeRawPointer(ip), count: headerLength))
        ip.storeBigEndian(checksum, at: IPv4HeaderView.checksumOffset)
    }

    private static func writeIPv6(_ spec: PacketSpec, layout: FrameLayout, frame: UnsafeMutableRawPointer) {
        let ip = frame + layout.l3Offset
        ip.storeBigEndian(UInt32(6) << 28 | UInt32(spec.trafficClass) << 20 | spec.flowLabel & 0xF_FFFF, at: 0)
        ip.storeBigEndian(UInt16(truncatingIfNeeded: layout.frameLength - layout.l3Offset - IPv6HeaderView.length), at: 4)
        ip.storeBytes(of: spec.ttl, toByteOffset: IPv6HeaderView.hopLimitOffset, as: UInt8.self)
        let source = spec.source.bits, destination = spec.destination.bits
        ip.storeBigEndian(source.high, at: 8)
        ip.storeBigEndian(source.low, at: 16)
        ip.storeBigEndian(destination.high, at: 24)
        ip.storeBigEndian(destination.low, at: 32)
        // Each header's first byte names the one after it; the fixed header's field is byte 6.
        var nextHeaderField = 6
        var offset = IPv6HeaderView.length
        spec.forEachIPv6ExtensionHeader { header in
            ip.storeBytes(of: header.protocolNumber, toByteOffset: nextHeaderField, as: UInt8.self)
            writeIPv6ExtensionHeader(header, fragment: spec.fragment ?? FragmentSpec(),
                                     identification: spec.identification, at: ip + offset)
            nextHeaderField = offset
            offset += header.length
        }
        ip.storeBytes(of: spec.ipv6NextHeaderAfterChain, toByteOffset: nextHeaderField, as: UInt8.self)
    }

    private static func writeIPv6ExtensionHeader(
        _ header: IPv6ExtensionHeaderSpec, fragment: FragmentSpec, identification: UInt32, at bytes: UnsafeMutableRawPointer
    ) {
        switch header {
        case .hopByHop(let units), .destinationOptions(let units):
            bytes.storeBytes(of: units, toByteOffset: 1, as: UInt8.self)
            // One PadN option (RFC 8200 section 4.2) covering the rest of the header.
            bytes.storeBytes(of: UInt8(1), toByteOffset: 2, as: UInt8.self)
            bytes.storeBytes(of: UInt8(truncatingIfNeeded: header.length - 4), toByteOffset: 3, as: UInt8.self)
        case .routing(let units):
            bytes.storeBytes(of: units, toByteOffset: 1, as: UInt8.self)
            bytes.storeBytes(of: UInt8(253), toByteOffset: 2, as: UInt8.self)
        case .authentication(let payloadLength):
            bytes.storeBytes(of: payloadLength, toByteOffset: 1, as: UInt8.self)
            bytes.storeBigEndian(UInt32(0x100), at: 4)  // SPI
            bytes.storeBigEndian(UInt32(1), at: 8)      // sequence number
        case .fragment:
            var field = fragment.offset & 0xFFF8
            if fragment.moreFragments { field |= 1 }
            bytes.storeBigEndian(field, at: 2)
            bytes.storeBigEndian(identification, at: 4)
        }
    }

    private static func writeTransport(_ transport: TransportSpec, layout: FrameLayout, spec: PacketSpec, frame: UnsafeMutableRawPointer) {
        let header = frame + layout.l4Offset
        let length = layout.frameLength - layout.l4Offset
        let checksumOffset: Int
        var usesPseudoHeader = true
        switch transport {
        case .icmpEcho(let isRequest, let identifier, let sequence):
            let type = switch (spec.family, isRequest) {
            case (.ipv4, true): ICMPType.echoRequest
            case (.ipv4, false): ICMPType.echoReply
            case (.ipv6, true): ICMPv6Type.echoRequest
            case (.ipv6, false): ICMPv6Type.echoReply
            }
            header.storeBytes(of: type, toByteOffset: 0, as: UInt8.self)
            header.storeBigEndian(identifier, at: 4)
            header.storeBigEndian(sequence, at: 6)
            checksumOffset = 2
            usesPseudoHeader = spec.family == .ipv6
        case .icmpMessage(let type, let code, let rest):
            header.storeBytes(of: type, toByteOffset: 0, as: UInt8.self)
            header.storeBytes(of: code, toByteOffset: 1, as: UInt8.self)
            header.storeBigEndian(rest, at: 4)
            checksumOffset = 2
            usesPseudoHeader = spec.family == .ipv6
        case .tcp(let tcp):
            header.storeBigEndian(tcp.sourcePort, at: 0)
            header.storeBigEndian(tcp.destinationPort, at: 2)
            header.storeBigEndian(tcp.sequence, at: 4)
            header.storeBigEndian(tcp.acknowledgment, at: 8)
            let headerLength = transport.headerLength
            header.storeBytes(of: UInt8(headerLength / 4) << 4, toByteOffset: 12, as: UInt8.self)
            header.storeBytes(of: tcp.flags.rawValue, toByteOffset: 13, as: UInt8.self)
            header.storeBigEndian(tcp.window, at: 14)
            for index in TransportHeaderLength.tcpMinimum..<headerLength {
                header.storeBytes(of: UInt8(1), toByteOffset: index, as: UInt8.self)  // NOP option
            }
            checksumOffset = 16
        case .udp(let sourcePort, let destinationPort):
            header.storeBigEndian(sourcePort, at: 0)
            header.storeBigEndian(destinationPort, at: 2)
            header.storeBigEndian(UInt16(truncatingIfNeeded: length), at: 4)
            checksumOffset = 6
        case .opaque:
            return
        }
        var sum = UInt64(InternetChecksum.sum(UnsafeRawPointer(header), count: length))
        if usesPseudoHeader {
            sum &+= InternetChecksum.pseudoHeaderSum(
                source: spec.source.bits, destination: spec.destination.bits,
                upperLayerLength: length, protocolNumber: layout.protocolNumber)
        }
        var checksum = ~InternetChecksum.fold(sum)
        // A computed UDP checksum of zero is sent as all ones (RFC 768): zero means "none".
        if checksum == 0, layout.protocolNumber == IPProtocolNumber.udp { checksum = 0xFFFF }
        header.storeBigEndian(checksum, at: checksumOffset)
    }
}

extension PacketSpec {
    /// Calls `body` for each IPv6 extension header the builder emits, in order: the listed
    /// ones, plus a trailing fragment header when `fragment` is set and none is listed; for a
    /// non-first fragment, none after the fragment header.
    func forEachIPv6ExtensionHeader(_ body: (IPv6ExtensionHeaderSpec) -> Void) {
        guard family == .ipv6 else { return }
        let implicitFragment = fragment != nil && !ipv6ExtensionHeaders.contains(.fragment)
        let isNonFirst = (fragment?.offset ?? 0) != 0
        for header in ipv6ExtensionHeaders {
            body(header)
            if header == .fragment && isNonFirst { return }
        }
        if implicitFragment { body(.fragment) }
    }

    /// The Next Header value of the last emitted extension header: the transport protocol, or
    /// for a non-first fragment, whatever followed the fragment header in the original packet.
    var ipv6NextHeaderAfterChain: UInt8 {
        let transportProtocol = transport.protocolNumber(for: family)
        guard (fragment?.offset ?? 0) != 0, let index = ipv6ExtensionHeaders.firstIndex(of: .fragment),
              index + 1 < ipv6ExtensionHeaders.count else { return transportProtocol }
        return ipv6ExtensionHeaders[index + 1].protocolNumber
    }
}
