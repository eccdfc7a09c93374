/// The header fields every filter in VPCEmu looks at: addresses, ports and protocol.
///
/// Stored as five 64-bit words so the compiled classifier can read any field with one load and
/// two shifts (no switch per tree node): addresses widened to 128 bits (IPv4 in the low 32 bits
/// of `sourceLow`/`destinationLow`, high words zero), then one word that packs the small fields.
/// For ICMP and ICMPv6 the source port carries `type << 8 | code` and the destination port the
/// echo identifier (0 for other messages); see `init(icmpSource:…)`.
public struct FiveTuple: Hashable, Sendable, CustomStringConvertible {
    public var sourceHigh: UInt64
    public var sourceLow: UInt64
    public var destinationHigh: UInt64
    public var destinationLow: UInt64
    /// `sourcePort << 48 | destinationPort << 32 | ipProtocol << 24 | family << 16`.
    @usableFromInline var scalars: UInt64

    public init(source: IPAddress, destination: IPAddress, sourcePort: UInt16, destinationPort: UInt16, ipProtocol: UInt8) {
        precondition(source.family == destination.family, "a 5-tuple's addresses share one family")
        (sourceHigh, sourceLow) = source.bits
        (destinationHigh, destinationLow) = destination.bits
        scalars = Self.packScalars(sourcePort: sourcePort, destinationPort: destinationPort,
                                   ipProtocol: ipProtocol, family: source.family)
    }

    /// An IPv4 tuple from raw host-order values, as ClassBench traces give them.
    public init(ipv4Source: UInt32, destination: UInt32, sourcePort: UInt16, destinationPort: UInt16, ipProtocol: UInt8) {
        sourceHigh = 0
        sourceLow = UInt64(ipv4Source)
        destinationHigh = 0
        destinationLow = UInt64(destination)
        scalars = Self.packScalars(sourcePort: sourcePort, destinationPort: destinationPort,
                                   ipProtocol: ipProtocol, family: .ipv4)
    }

    /// From the five words as stored (`scalars` packed by `packScalars`), for callers that already
    /// hold addresses as bits (the pipeline reads them from `PacketHeaders`).
    init(sourceHigh: UInt64, sourceLow: UInt64, destinationHigh: UInt64, destinationLow: UInt64, scalars: UInt64) {
        self.sourceHigh = sourceHigh
        self.sourceLow = sourceLow
        self.destinationHigh = destinationHigh
        self.destinationLow = destinationLow
        self.scalars = scalars
    }

    /// An ICMP (IPv4) or ICMPv6 (IPv6) message.
    public init(icmpSource source: IPAddress, destination: IPAddress, type: UInt8, code: UInt8, identifier: UInt16 = 0) {
        self.init(source: source, destination: destination, sourcePort: UInt16(type) << 8 | UInt16(code),
                  destinationPort: identifier, ipProtocol: source.family == .ipv4 ? IPProtocolNumber.icmp : IPProtocolNumber.icmpv6)
    }

    @inlinable static func packScalars(sourcePort: UInt16, destinationPort: UInt16, ipProtocol: UInt8,
                                       family: AddressFamily) -> UInt64 {
        UInt64(sourcePort) << 48 | UInt64(destinationPort) << 32 | UInt64(ipProtocol) << 24 | UInt64(family.rawValue) << 16
    }

    @inlinable public var sourcePort: UInt16 { UInt16(truncatingIfNeeded: scalars >> 48) }
    @inlinable public var destinationPort: UInt16 { UInt16(truncatingIfNeeded: scalars >> 32) }
    @inlinable public var ipProtocol: UInt8 { UInt8(truncatingIfNeeded: scalars >> 24) }
    @inlinable public var family: AddressFamily { UInt8(truncatingIfNeeded: scalars >> 16) == 6 ? .ipv6 : .ipv4 }

    public var source: IPAddress { Self.address(family, sourceHigh, sourceLow) }
    public var destination: IPAddress { Self.address(family, destinationHigh, destinationLow) }

    /// The same flow seen from the other end: addresses and ports swapped.
    @inlinable @inline(__always) public var reversed: FiveTuple {
        var tuple = self
        tuple.sourceHigh = destinationHigh
        tuple.sourceLow = destinationLow
        tuple.destinationHigh = sourceHigh
        tuple.destinationLow = sourceLow
        // The two port fields trade places; protocol and family stay as packed.
        tuple.scalars = scalars & 0xFFFF_FFFF | (scalars >> 48) << 32 | (scalars >> 32 & 0xFFFF) << 48
        return tuple
    }

    /// A hash of all the fields for the pipeline's power-of-two tables (`ConnectionTracker`,
    /// `FlowDecisionCache`), which use its low bits as the slot; no per-process seed (`hashValue`
    /// has one, and costs a SipHash round). Each word is multiplied by its own odd constant (the
    /// five products are independent, so they run in parallel) and the sum goes through the
    /// SplitMix64 finalizer, whose shifts bring every input bit down into the low bits: a plain
    /// multiply chain only moves bits up, so the ports (bits 32–63 of `scalars`) never reached a
    /// slot index and sequential-port flows shared one slot.
    @inline(__always) var tableHash: Int {
        var h = sourceHigh &* 0x9E37_79B9_7F4A_7C15
        h = h &+ sourceLow &* 0xC2B2_AE3D_27D4_EB4F
        h = h &+ destinationHigh &* 0x1656_67B1_9E37_79F9
        h = h &+ destinationLow &* 0x85EB_CA77_C2B2_AE63
        h = h &+ scalars &* 0x27D4_EB2F_1656_67C5
        h = (h ^ h >> 30) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ h >> 27) &* 0x94D0_49BB_1331_11EB
        return Int(truncatingIfNeeded: h ^ h >> 31)
    }

    private static func address(_ family: AddressFamily, _ high: UInt64, _ low: UInt64) -> IPAddress {
        family == .ipv4 ? .v4(IPv4Address(UInt32(truncatingIfNeeded: low))) : .v6(IPv6Address(high: high, low: low))
    }

    public var description: String {
        let protocolName = switch ipProtocol {
        case IPProtocolNumber.tcp: "tcp"
        case IPProtocolNumber.udp: "udp"
        case IPProtocolNumber.icmp: "icmp"
        case IPProtocolNumber.icmpv6: "icmpv6"
        default: "proto \(ipProtocol)"
        }
        return "\(protocolName) \(source):\(sourcePort) -> \(destination):\(destinationPort)"
    }
}
