@testable import VPCEmu

/// Seeded random packet specs covering both families, every transport, Ethernet with 0-2
/// VLAN tags or none, IPv4 options, IPv6 extension chains and fragments.
enum RandomPackets {
    static func spec(using random: inout SeededGenerator) -> PacketSpec {
        let isVersion4 = Bool.random(using: &random)
        let source: IPAddress, destination: IPAddress
        if isVersion4 {
            source = .v4(IPv4Address(random.next()))
            destination = .v4(IPv4Address(random.next()))
        } else {
            source = .v6(IPv6Address(high: random.next(), low: random.next()))
            destination = .v6(IPv6Address(high: random.next(), low: random.next()))
        }
        var spec = PacketSpec(source: source, destination: destination, transport: transport(using: &random))
        if Int.random(in: 0..<4, using: &random) != 0 {
            let tags = Int.random(in: 0...2, using: &random)
            spec.ethernet = EthernetSpec(destinationMAC: random.next() & 0xFFFF_FFFF_FFFF, sourceMAC: random.next() & 0xFFFF_FFFF_FFFF,
                                         vlanIDs: (0..<tags).map { _ in UInt16.random(in: 0...4095, using: &random) })
        }
        spec.ttl = UInt8.random(in: 0...255, using: &random)
        spec.trafficClass = UInt8.random(in: 0...255, using: &random)
        spec.flowLabel = UInt32.random(in: 0...0xF_FFFF, using: &random)
        spec.identification = UInt32(truncatingIfNeeded: random.next())
        spec.payload = (0..<Int.random(in: 0...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        if isVersion4 {
            spec.ipv4OptionWords = Int.random(in: 0..<3, using: &random) == 0 ? UInt8.random(in: 0...10, using: &random) : 0
            spec.dontFragment = Bool.random(using: &random)
        } else {
            spec.ipv6ExtensionHeaders = extensionChain(using: &random)
        }
        if Int.random(in: 0..<4, using: &random) == 0 {
            spec.fragment = FragmentSpec(offset: UInt16.random(in: 0...3, using: &random) == 0 ? 0 : UInt16.random(in: 1...4000, using: &random) * 8,
                                         moreFragments: Bool.random(using: &random))
            if !isVersion4, Bool.random(using: &random) {
                // Anywhere in the chain, but after hop-by-hop, which must stay first.
                let chain = spec.ipv6ExtensionHeaders
                let earliest = chain.first.map { if case .hopByHop = $0 { 1 } else { 0 } } ?? 0
                spec.ipv6ExtensionHeaders.insert(.fragment, at: Int.random(in: earliest...chain.count, using: &random))
            }
            padFragmentData(&spec)
        }
        return spec
    }

    static func transport(using random: inout SeededGenerator) -> TransportSpec {
        switch Int.random(in: 0..<5, using: &random) {
        case 0:
            return .icmpEcho(isRequest: Bool.random(using: &random), identifier: UInt16.random(in: 0...65535, using: &random),
                             sequence: UInt16.random(in: 0...65535, using: &random))
        case 1:
            return .icmpMessage(type: [3, 11, 1, 2, 135, 136, 0, 8][Int.random(in: 0..<8, using: &random)],
                                code: UInt8.random(in: 0...3, using: &random), restOfHeader: UInt32(truncatingIfNeeded: random.next()))
        case 2:
            return .tcp(TCPSegmentSpec(
                sourcePort: UInt16.random(in: 0...65535, using: &random), destinationPort: UInt16.random(in: 0...65535, using: &random),
                sequence: UInt32(truncatingIfNeeded: random.next()), acknowledgment: UInt32(truncatingIfNeeded: random.next()),
                flags: TCPFlags(rawValue: UInt8.random(in: 0...255, using: &random)), window: UInt16.random(in: 0...65535, using: &random),
                optionWords: Int.random(in: 0..<2, using: &random) == 0 ? UInt8.random(in: 0...10, using: &random) : 0))
        case 3:
            return .udp(sourcePort: UInt16.random(in: 0...65535, using: &random), destinationPort: UInt16.random(in: 0...65535, using: &random))
        default:
            // GRE, SCTP, OSPF, ESP, no-next-header: protocols carried but not decoded.
            return .opaque(protocolNumber: [47, 132, 89, 50, 59][Int.random(in: 0..<5, using: &random)])
        }
    }

    static func extensionChain(using random: inout SeededGenerator) -> [IPv6ExtensionHeaderSpec] {
        var chain: [IPv6ExtensionHeaderSpec] = []
        if Int.random(in: 0..<3, using: &random) == 0 { chain.append(.hopByHop(units: UInt8.random(in: 0...3, using: &random))) }
        for _ in 0..<Int.random(in: 0...3, using: &random) {
            switch Int.random(in: 0..<3, using: &random) {
            case 0: chain.append(.destinationOptions(units: UInt8.random(in: 0...3, using: &random)))
            case 1: chain.append(.routing(units: UInt8.random(in: 0...3, using: &random)))
            default: chain.append(.authentication(payloadLength: UInt8.random(in: 1...6, using: &random)))
            }
        }
        return chain
    }

    /// A non-final fragment's data must be a multiple of 8 bytes: grow the payload until it is.
    static func padFragmentData(_ spec: inout PacketSpec) {
        guard spec.fragment?.moreFragments == true else { return }
        let frame = PacketBuilder.frame(for: spec)
        let (_, headers) = parse(frame, spec.ethernet == nil ? (spec.family == .ipv4 ? .ipv4 : .ipv6) : .ethernet, options: [])
        let dataStart = spec.family == .ipv4 ? Int(headers.l4Offset) : fragmentDataStart(spec)
        let remainder = (frame.count - dataStart) % 8
        if remainder != 0 { spec.payload += [UInt8](repeating: 0xA5, count: 8 - remainder) }
    }

    /// Where the data after the IPv6 fragment header starts in the built frame.
    static func fragmentDataStart(_ spec: PacketSpec) -> Int {
        var offset = (spec.ethernet.map { 14 + 4 * $0.vlanIDs.count } ?? 0) + 40
        var emitted = spec.ipv6ExtensionHeaders
        if !emitted.contains(.fragment) { emitted.append(.fragment) }
        for header in emitted {
            offset += header.length
            if header == .fragment { break }
        }
        return offset
    }

    /// What `PacketParser` must report for the frame built from `spec`, derived from the spec
    /// alone (the slow, obvious way).
    static func expectedHeaders(_ spec: PacketSpec, frameLength: Int) -> PacketHeaders {
        var h = PacketHeaders()
        h.capturedLength = UInt32(frameLength)
        h.wireLength = UInt32(frameLength)
        let vlans = spec.ethernet?.vlanIDs ?? []
        h.vlanTagCount = UInt8(vlans.count)
        h.outerVLANID = vlans.count > 0 ? vlans[0] : 0
        h.innerVLANID = vlans.count > 1 ? vlans[1] : 0
        h.family = spec.family
        (h.sourceHigh, h.sourceLow) = spec.source.bits
        (h.destinationHigh, h.destinationLow) = spec.destination.bits
        h.ttl = spec.ttl
        h.trafficClass = spec.trafficClass
        h.l3Offset = UInt32(spec.ethernet == nil ? 0 : 14 + 4 * vlans.count)
        h.ipTotalLength = UInt32(frameLength) - UInt32(h.l3Offset)
        let fragment = spec.fragment ?? FragmentSpec()
        let isNonFirst = fragment.offset != 0
        var transportProtocol: UInt8
        switch spec.transport {
        case .icmpEcho, .icmpMessage: transportProtocol = spec.family == .ipv4 ? 1 : 58
        case .tcp: transportProtocol = 6
        case .udp: transportProtocol = 17
        case .opaque(let number): transportProtocol = number
        }
        var headerEnd = Int(h.l3Offset)
        if spec.family == .ipv4 {
            headerEnd += 20 + 4 * Int(spec.ipv4OptionWords)
            h.fragment.identification = spec.identification & 0xFFFF
            h.fragment.dontFragment = spec.dontFragment
            h.fragment.isFragment = spec.fragment != nil && (fragment.moreFragments || isNonFirst)
        } else {
            headerEnd += 40
            var chain = spec.ipv6ExtensionHeaders
            if spec.fragment != nil, !chain.contains(.fragment) { chain.append(.fragment) }
            for (index, header) in chain.enumerated() {
                headerEnd += header.length
                if header == .fragment {
                    h.fragment.isFragment = true
                    h.fragment.identification = spec.identification
                    if isNonFirst {
                        if index + 1 < chain.count { transportProtocol = chain[index + 1].protocolNumber }
                        break
                    }
                }
            }
        }
        if h.fragment.isFragment {
            h.fragment.offset = fragment.offset
            h.fragment.moreFragments = fragment.moreFragments
        }
        h.ipProtocol = transportProtocol
        h.l4Offset = UInt32(headerEnd)
        h.payloadLength = UInt32(spec.payload.count)
        guard !isNonFirst else { return h }
        switch spec.transport {
        case .icmpEcho(let isRequest, let identifier, let sequence):
            h.hasTransportHeader = true
            h.icmpType = spec.family == .ipv4 ? (isRequest ? 8 : 0) : (isRequest ? 128 : 129)
            h.icmpIdentifier = identifier
            h.icmpSequence = sequence
        case .icmpMessage(let type, let code, let rest):
            h.hasTransportHeader = true
            h.icmpType = type
            h.icmpCode = code
            let isEcho = spec.family == .ipv4 ? (type == 0 || type == 8) : (type == 128 || type == 129)
            if isEcho {
                h.icmpIdentifier = UInt16(rest >> 16)
                h.icmpSequence = UInt16(rest & 0xFFFF)
            }
        case .tcp(let tcp):
            h.hasTransportHeader = true
            h.sourcePort = tcp.sourcePort
            h.destinationPort = tcp.destinationPort
            h.tcpFlags = tcp.flags
        case .udp(let sourcePort, let destinationPort):
            h.hasTransportHeader = true
            h.sourcePort = sourcePort
            h.destinationPort = destinationPort
        case .opaque:
            break
        }
        return h
    }

    static func linkType(of spec: PacketSpec) -> LinkType {
        spec.ethernet == nil ? .raw : .ethernet
    }
}
