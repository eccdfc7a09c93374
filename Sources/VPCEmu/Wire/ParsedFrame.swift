/// One frame as the parser decoded it: the outcome and the headers. A batch stores one per packet
/// (`PacketBatch.parseForForwarding`, which `ReadAheadPcapReader` runs on its reader thread), so
/// the forwarding walk reads them instead of parsing again. Every path of the pipeline parses with
/// `parse` (its one-packet API and unparsed batches too), so verdicts do not depend on where.
public struct ParsedFrame: Sendable {
    public private(set) var headers = PacketHeaders()
    public private(set) var outcome = ParseOutcome.notIP(0)

    public init() {}

    /// Parses `frame` (captured at `timestamp`, ns since the epoch), replacing what was here.
    public mutating func parse(_ frame: UnsafeRawBufferPointer, linkType: LinkType, wireLength: Int?, timestamp: Int64) {
        headers.timestampNanoseconds = timestamp
        outcome = PacketParser.parse(frame, linkType: linkType, wireLength: wireLength, into: &headers)
    }
}
