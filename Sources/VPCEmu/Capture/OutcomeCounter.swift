/// The lightest useful visitor: counts outcomes and folds a few decoded fields into a checksum,
/// so that a benchmark of the read + parse loop measures the parse and cannot have it optimised
/// away. Two runs over the same file give the same `checksum`.
public struct OutcomeCounter: PacketVisitor, Sendable, Equatable {
    public var ip = 0
    public var nonIP = 0
    public var malformed = 0
    public var capturedBytes = 0
    public var checksum: UInt64 = 0

    public init() {}

    public var packets: Int { ip &+ nonIP &+ malformed }

    @inline(__always)
    public mutating func visit(
        index: Int, frame: UnsafeRawBufferPointer, headers: PacketHeaders, outcome: ParseOutcome
    ) {
        capturedBytes &+= frame.count
        switch outcome {
        case .ip:
            ip &+= 1
            checksum &+= headers.destinationLow ^ UInt64(headers.destinationPort) << 8 ^ UInt64(headers.ipProtocol)
        case .notIP:
            nonIP &+= 1
        case .malformed:
            malformed &+= 1
        }
    }
}

extension OutcomeCounter {
    /// Counts every packet left in `reader`: `CaptureWalk.run` specialised for the counter in this
    /// module, so that a caller in another one (`bench parse`) does not reach each visit through a
    /// witness table. Returns the file's damage, if any, after the packets before it were counted.
    public mutating func count(_ reader: PcapReader, batch: inout PacketBatch) -> CaptureError? {
        CaptureWalk.run(reader, batch: &batch, visitor: &self)
    }
}
