import Foundation

/// What `vpcemu inspect` reports for one capture file: counts by network and transport protocol,
/// VLAN tags, fragments, non-IP frames and malformed packets by reason, the time span, and the
/// file's damage if it has any. Counting is a `PacketVisitor`, so it runs inside the read +
/// parse loop with fixed-size counters.
public struct CaptureSummary: PacketVisitor, Sendable {
    public let file: String
    /// Nil when the file could not be opened.
    public private(set) var linkType: LinkType?
    public private(set) var packets = 0
    /// Captured bytes (what the file holds).
    public private(set) var capturedBytes = 0
    /// Bytes on the wire (larger when snaplen cut packets short).
    public private(set) var wireBytes = 0
    /// Earliest and latest timestamps, in nanoseconds since the epoch (captures are not always
    /// in time order).
    public private(set) var earliestTimestamp: Int64?
    public private(set) var latestTimestamp: Int64?
    public private(set) var ipv4 = 0
    public private(set) var ipv6 = 0
    /// IP packets by their final upper-layer protocol number (after IPv6 extension headers).
    public private(set) var ipProtocols = ContiguousArray<Int>(repeating: 0, count: 256)
    /// IP packets that are fragments (first or later).
    public private(set) var fragments = 0
    /// Frames with at least one 802.1Q/802.1ad tag, whatever they carry.
    public private(set) var vlanTagged = 0
    /// Well-formed frames that carry no IP (ARP, LLDP, …).
    public private(set) var nonIP = 0
    /// Malformed packets, indexed by `MalformedReason.rawValue`.
    public private(set) var malformed = ContiguousArray<Int>(repeating: 0, count: MalformedReason.allCases.count)
    /// Why the file could not be read to its end; nil when it was.
    public private(set) var error: CaptureError?

    public init(file: String) {
        self.file = file
    }

    /// Reads and parses the whole file.
    public static func of(file: String, options: ParseOptions = []) -> CaptureSummary {
        var summary = CaptureSummary(file: file)
        var batch = PacketBatch()
        summary.read(batch: &batch, options: options)
        return summary
    }

    /// Opens `file` and walks it, counting. Any error ends up in `error`.
    public mutating func read(batch: inout PacketBatch, options: ParseOptions = []) {
        var nothingElse = NoVisitor()
        read(batch: &batch, options: options, alsoShowing: &nothingElse)
    }

    /// Like `read`, also showing each packet to `other` (the `--packets` listing).
    public mutating func read<Other: PacketVisitor>(
        batch: inout PacketBatch, options: ParseOptions = [], alsoShowing other: inout Other
    ) {
        let reader: PcapReader
        do {
            reader = try PcapReader(path: file)
        } catch {
            self.error = error
            return
        }
        linkType = reader.linkType
        var pair = VisitorPair(first: self, second: other)
        let error = CaptureWalk.run(reader, batch: &batch, options: options, visitor: &pair)
        self = pair.first
        self.error = error
        other = pair.second
    }

    public mutating func visit(
        index: Int, frame: UnsafeRawBufferPointer, headers: PacketHeaders, outcome: ParseOutcome
    ) {
        packets &+= 1
        capturedBytes &+= frame.count
        wireBytes &+= Int(headers.wireLength)
        let time = headers.timestampNanoseconds
        if earliestTimestamp.map({ time < $0 }) ?? true { earliestTimestamp = time }
        if latestTimestamp.map({ time > $0 }) ?? true { latestTimestamp = time }
        if headers.vlanTagCount > 0 { vlanTagged &+= 1 }
        switch outcome {
        case .ip:
            if headers.family == .ipv4 { ipv4 &+= 1 } else { ipv6 &+= 1 }
            ipProtocols[Int(headers.ipProtocol)] &+= 1
            if headers.fragment.isFragment { fragments &+= 1 }
        case .notIP:
            nonIP &+= 1
        case .malformed(let reason):
            malformed[Int(reason.rawValue)] &+= 1
        }
    }

    // MARK: Derived

    public var malformedTotal: Int { malformed.reduce(0, +) }

    /// Malformed counts by reason code, only reasons that occurred.
    public var malformedByReason: [String: Int] {
        var result: [String: Int] = [:]
        for reason in MalformedReason.allCases where malformed[Int(reason.rawValue)] > 0 {
            result[reason.code] = malformed[Int(reason.rawValue)]
        }
        return result
    }

    /// IP packets by protocol name, only protocols that occurred.
    public var protocolMix: [String: Int] {
        var result: [String: Int] = [:]
        for number in 0 ..< 256 where ipProtocols[number] > 0 {
            result[IPProtocolName.of(UInt8(number)), default: 0] += ipProtocols[number]
        }
        return result
    }
}

/// A visitor that ignores everything, for walks that only count.
struct NoVisitor: PacketVisitor {
    mutating func visit(index: Int, frame: UnsafeRawBufferPointer, headers: PacketHeaders, outcome: ParseOutcome) {}
}

/// Shows every packet to two visitors, first then second.
struct VisitorPair<First: PacketVisitor, Second: PacketVisitor>: PacketVisitor {
    var first: First
    var second: Second

    @inline(__always)
    mutating func visit(index: Int, frame: UnsafeRawBufferPointer, headers: PacketHeaders, outcome: ParseOutcome) {
        first.visit(index: index, frame: frame, headers: headers, outcome: outcome)
        second.visit(index: index, frame: frame, headers: headers, outcome: outcome)
    }
}

/// Short lowercase names for IP protocol numbers seen in reports (IANA registry names).
enum IPProtocolName {
    static func of(_ number: UInt8) -> String {
        switch number {
        case IPProtocolNumber.icmp: "icmp"
        case 2: "igmp"
        case IPProtocolNumber.tcp: "tcp"
        case IPProtocolNumber.udp: "udp"
        case 41: "ipv6-in-ip"
        case 47: "gre"
        case IPProtocolNumber.esp: "esp"
        case IPProtocolNumber.ah: "ah"
        case IPProtocolNumber.icmpv6: "icmpv6"
        case IPProtocolNumber.ipv6NoNextHeader: "no-next-header"
        case 89: "ospf"
        case 103: "pim"
        case 112: "vrrp"
        case 132: "sctp"
        default: "ip-proto-\(number)"
        }
    }
}
