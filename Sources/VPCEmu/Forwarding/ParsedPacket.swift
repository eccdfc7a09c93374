/// One frame as `ForwardingPipeline`'s walk needs it: the parser's outcome and headers and, for an
/// IP packet, its connection-table lookup (5-tuple, key, direction, hash). It depends on the frame
/// alone, so it can be computed ahead of the walk on another thread: `PacketBatch.parseForForwarding`,
/// which `ReadAheadPcapReader` runs on its reader thread. Every path of the pipeline parses with
/// `parse` (its one-packet API and unparsed batches too), so verdicts do not depend on where.
public struct ParsedPacket: Sendable {
    public private(set) var headers = PacketHeaders()
    public private(set) var outcome = ParseOutcome.notIP(0)
    /// Meaningful only when `outcome` is `.ip`.
    private(set) var flow = ConnectionTracker.Lookup(
        FiveTuple(ipv4Source: 0, destination: 0, sourcePort: 0, destinationPort: 0, ipProtocol: 0))

    public init() {}

    /// Parses `frame` (captured at `timestamp`, ns since the epoch) with the pipeline's parser
    /// options, replacing what was here.
    public mutating func parse(_ frame: UnsafeRawBufferPointer, linkType: LinkType, wireLength: Int?, timestamp: Int64) {
        headers.timestampNanoseconds = timestamp
        outcome = PacketParser.parse(frame, linkType: linkType, wireLength: wireLength, into: &headers)
        if case .ip = outcome { flow = ConnectionTracker.Lookup(ForwardingPipeline.tuple(headers)) }
    }
}
