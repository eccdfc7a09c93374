/// `replay --map FROM=TO`: every source and destination address inside a rule's FROM block is
/// rewritten into its TO block with the host bits kept, as tcprewrite's `--pnat` does, before the
/// packet is attributed and routed (docs/forwarding.md, "Mapping a capture onto a topology").
///
/// Rules are matched by longest prefix in a compiled route table (FROM blocks may not overlap, so
/// at most one rule matches), and each address is mapped once: `A=B` with `B=C` does not send A to C.
/// A rewrite runs over a batch in place (`rewrite(_:linkType:)`), allocating nothing; the checksums
/// are updated by `AddressRewriter`. Packets the parser refuses are left as captured (they are
/// dropped as malformed).
public struct AddressMap: Sendable {
    public struct Rule: Hashable, Sendable, CustomStringConvertible {
        public let from: IPNetwork
        public let to: IPNetwork

        /// FROM and TO must be of one family and one prefix length.
        public init(from: IPNetwork, to: IPNetwork) throws(RuleError) {
            guard from.family == to.family else { throw .familyMismatch(from: from, to: to) }
            guard from.prefixLength == to.prefixLength else { throw .lengthMismatch(from: from, to: to) }
            self.from = from
            self.to = to
        }

        /// `FROM=TO`: two CIDR blocks (`192.168.1.0/24=10.0.1.0/24`) or two addresses (`1.2.3.4=10.0.1.10`).
        public init(parsing text: String) throws(RuleError) {
            let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw .malformed(text) }
            let from: IPNetwork, to: IPNetwork
            do {
                from = try IPNetwork(parsing: parts[0], allowBareAddress: true)
                to = try IPNetwork(parsing: parts[1], allowBareAddress: true)
            } catch { throw .badBlock(text, error) }
            try self.init(from: from, to: to)
        }

        public var description: String { "\(from)=\(to)" }
    }

    public enum RuleError: Error, Equatable, Sendable, CustomStringConvertible {
        case malformed(String)
        case badBlock(String, IPNetwork.ParseError)
        case familyMismatch(from: IPNetwork, to: IPNetwork)
        case lengthMismatch(from: IPNetwork, to: IPNetwork)
        case overlap(Rule, Rule)

        public var description: String {
            switch self {
            case .malformed(let text): "--map \(text): expected FROM=TO, e.g. 192.168.1.0/24=10.0.1.0/24 or 1.2.3.4=10.0.1.10"
            case .badBlock(let text, let error): "--map \(text): \(error)"
            case .familyMismatch(let from, let to): "--map \(from)=\(to): FROM is \(from.family) and TO is \(to.family)"
            case .lengthMismatch(let from, let to):
                "--map \(from)=\(to): FROM and TO must have the same prefix length (/\(from.prefixLength) and /\(to.prefixLength))"
            case .overlap(let a, let b): "--map \(a) and --map \(b): the FROM blocks overlap"
            }
        }
    }

    public let rules: [Rule]
    /// FROM block -> rule index.
    private let table: CompiledRouteTable<UInt32>
    /// Per rule, in `IPAddress.bits` layout: the host-bit mask and the TO block's address.
    private let hostMasks: ContiguousArray<(high: UInt64, low: UInt64)>
    private let targets: ContiguousArray<(high: UInt64, low: UInt64)>

    /// Throws `.overlap` when two FROM blocks share an address.
    public init(_ rules: [Rule]) throws(RuleError) {
        var table = RouteTable<UInt32>()
        var masks = ContiguousArray<(high: UInt64, low: UInt64)>(), targets = ContiguousArray<(high: UInt64, low: UInt64)>()
        for (index, rule) in rules.enumerated() {
            if let other = rules[..<index].first(where: { $0.from.overlaps(rule.from) }) { throw .overlap(other, rule) }
            table.insert(rule.from, nextHop: UInt32(index))
            let widened = rule.from.family == .ipv4 ? 96 + rule.from.prefixLength : rule.from.prefixLength
            let (high, low) = IPNetwork.v6Mask(widened)
            masks.append((~high, ~low))
            targets.append(rule.to.address.bits)
        }
        self.rules = rules
        self.table = table.build()
        hostMasks = masks
        self.targets = targets
    }

    public var isEmpty: Bool { rules.isEmpty }

    /// `address` moved into its rule's TO block, or unchanged when no FROM block holds it.
    public func map(_ address: IPAddress) -> IPAddress {
        let (high, low) = map(address.bits, family: address.family)
        return address.family == .ipv4 ? .v4(IPv4Address(UInt32(truncatingIfNeeded: low))) : .v6(IPv6Address(high: high, low: low))
    }

    @inline(__always)
    func map(_ bits: (high: UInt64, low: UInt64), family: AddressFamily) -> (high: UInt64, low: UInt64) {
        let index = family == .ipv4
            ? table.ipv4.lookup(IPv4Address(UInt32(truncatingIfNeeded: bits.low)))
            : table.ipv6.lookup(IPv6Address(high: bits.high, low: bits.low))
        guard index != PoptrieLimits.noRoute else { return bits }
        let rule = Int(table.nextHops[Int(index)])
        let mask = hostMasks[rule], target = targets[rule]
        return (bits.high & mask.high | target.high, bits.low & mask.low | target.low)
    }

    /// Rewrites every packet of `batch` whose source or destination a rule holds (in place; the
    /// batch must be parsed again afterwards, as `ReadAheadPcapReader` does).
    public func rewrite(_ batch: inout PacketBatch) {
        guard !rules.isEmpty else { return }
        let linkType = batch.linkType
        var headers = PacketHeaders()
        let offsets = batch.offsets, capturedLengths = batch.capturedLengths, wireLengths = batch.wireLengths, count = batch.count
        batch.withUnsafeMutableBytes { bytes in
            for index in 0..<count {
                let start = offsets[index]
                let frame = UnsafeMutableRawBufferPointer(rebasing: bytes[start ..< start &+ Int(capturedLengths[index])])
                rewrite(frame, linkType: linkType, wireLength: Int(wireLengths[index]), headers: &headers)
            }
        }
    }

    /// Rewrites one frame in place; false when it is not a parsed IP packet or no rule holds its addresses.
    @discardableResult
    @inline(__always)
    public func rewrite(_ frame: UnsafeMutableRawBufferPointer, linkType: LinkType, wireLength: Int?, headers: inout PacketHeaders) -> Bool {
        guard case .ip = PacketParser.parse(UnsafeRawBufferPointer(frame), linkType: linkType, wireLength: wireLength, into: &headers) else {
            return false
        }
        let source = map((headers.sourceHigh, headers.sourceLow), family: headers.family)
        let destination = map((headers.destinationHigh, headers.destinationLow), family: headers.family)
        guard source != (headers.sourceHigh, headers.sourceLow) || destination != (headers.destinationHigh, headers.destinationLow) else {
            return false
        }
        AddressRewriter.rewrite(frame, headers: headers, source: source, destination: destination)
        return true
    }
}
