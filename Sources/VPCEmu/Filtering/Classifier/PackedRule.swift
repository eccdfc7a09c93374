/// A rule flattened for the hot path: each address half as an inclusive range of 64-bit words
/// (a prefix of either family is a box in (high, low) space), ports as ranges, protocol as
/// value/mask. 80 bytes, no references.
@usableFromInline struct PackedRule: Sendable {
    @usableFromInline var sourceHighMin: UInt64, sourceHighMax: UInt64
    @usableFromInline var sourceLowMin: UInt64, sourceLowMax: UInt64
    @usableFromInline var destinationHighMin: UInt64, destinationHighMax: UInt64
    @usableFromInline var destinationLowMin: UInt64, destinationLowMax: UInt64
    @usableFromInline var sourcePortMin: UInt16, sourcePortMax: UInt16
    @usableFromInline var destinationPortMin: UInt16, destinationPortMax: UInt16
    @usableFromInline var ipProtocol: UInt8, protocolMask: UInt8, family: UInt8

    init(_ rule: ClassifierRule) {
        (sourceHighMin, sourceHighMax, sourceLowMin, sourceLowMax) = Self.box(rule.source)
        (destinationHighMin, destinationHighMax, destinationLowMin, destinationLowMax) = Self.box(rule.destination)
        sourcePortMin = rule.sourcePorts.lower
        sourcePortMax = rule.sourcePorts.upper
        destinationPortMin = rule.destinationPorts.lower
        destinationPortMax = rule.destinationPorts.upper
        ipProtocol = rule.ipProtocol
        protocolMask = rule.protocolMask
        family = rule.family.rawValue
    }

    /// The prefix as ranges of its high and low 64-bit halves.
    private static func box(_ network: IPNetwork) -> (UInt64, UInt64, UInt64, UInt64) {
        let range = network.range
        let first = range.lowerBound.bits, last = range.upperBound.bits
        if network.prefixLength <= 64 || network.family == .ipv4 {
            // IPv4: the high half is always 0. IPv6 up to /64: the low half is free.
            return network.family == .ipv4 ? (0, 0, first.low, last.low) : (first.high, last.high, 0, .max)
        }
        return (first.high, first.high, first.low, last.low)
    }

    /// The 8 classifier dimensions as inclusive ranges (see `ClassifierDimension`). The protocol
    /// range is exact only when the mask is a run of leading ones; otherwise it is a superset
    /// and the leaf check decides.
    var bounds: [ClosedRange<UInt64>] {
        let protocolLow = UInt64(ipProtocol & protocolMask)
        let protocolHigh = UInt64(ipProtocol | ~protocolMask)
        return [sourceHighMin...sourceHighMax, sourceLowMin...sourceLowMax,
                destinationHighMin...destinationHighMax, destinationLowMin...destinationLowMax,
                UInt64(sourcePortMin)...UInt64(sourcePortMax), UInt64(destinationPortMin)...UInt64(destinationPortMax),
                protocolLow...protocolHigh, UInt64(family)...UInt64(family)]
    }

    /// Whether `bounds` describes the rule exactly (no bits of the protocol mask below a zero bit).
    var boundsAreExact: Bool {
        let inverted = ~protocolMask
        return inverted & (inverted &+ 1) == 0
    }

    /// Full match against a tuple. Most selective fields first.
    @inlinable @inline(__always)
    func matches(_ key: FiveTuple) -> Bool {
        let destinationPort = key.destinationPort, sourcePort = key.sourcePort
        let family = UInt8(truncatingIfNeeded: key.scalars >> 16)
        return key.destinationLow >= destinationLowMin && key.destinationLow <= destinationLowMax
            && key.sourceLow >= sourceLowMin && key.sourceLow <= sourceLowMax
            && destinationPort >= destinationPortMin && destinationPort <= destinationPortMax
            && sourcePort >= sourcePortMin && sourcePort <= sourcePortMax
            && key.ipProtocol & protocolMask == ipProtocol && family == self.family
            && key.destinationHigh >= destinationHighMin && key.destinationHigh <= destinationHighMax
            && key.sourceHigh >= sourceHighMin && key.sourceHigh <= sourceHighMax
    }
}
