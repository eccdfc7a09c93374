/// Receives every packet of a capture, parsed, in file order. Conformers are concrete structs;
/// `CaptureWalk.run` is generic over them, so the per-packet call is specialised and inlined,
/// not dispatched through an existential or a closure.
public protocol PacketVisitor {
    /// - Parameters:
    ///   - index: the packet's 0-based record index in the file.
    ///   - frame: the captured bytes, valid only during the call.
    mutating func visit(
        index: Int, frame: UnsafeRawBufferPointer, headers: PacketHeaders, outcome: ParseOutcome)
}

/// Reads a capture to its end and parses every packet: the read + parse loop that `inspect` and
/// `bench parse` share.
public enum CaptureWalk {
    /// Walks `reader` from its current position to the end of the file. Returns the file's
    /// damage, if any, after every packet before it was visited.
    @discardableResult
    public static func run<Visitor: PacketVisitor>(
        _ reader: PcapReader, batch: inout PacketBatch, options: ParseOptions = [],
        visitor: inout Visitor
    ) -> CaptureError? {
        var headers = PacketHeaders()
        do {
            while try reader.nextBatch(into: &batch) {
                let first = batch.firstRecordIndex, linkType = batch.linkType
                let count = batch.count
                batch.withUnsafeBytes { bytes in
                    batch.offsets.withUnsafeBufferPointer { offsets in
                        batch.capturedLengths.withUnsafeBufferPointer { capturedLengths in
                            batch.wireLengths.withUnsafeBufferPointer { wireLengths in
                                batch.timestamps.withUnsafeBufferPointer { timestamps in
                                    for index in 0 ..< count {
                                        let frame = UnsafeRawBufferPointer(
                                            rebasing: bytes[offsets[index] ..< offsets[index] &+ Int(capturedLengths[index])])
                                        headers.timestampNanoseconds = timestamps[index]
                                        let outcome = PacketParser.parse(
                                            frame, linkType: linkType, wireLength: Int(wireLengths[index]),
                                            options: options, into: &headers)
                                        visitor.visit(
                                            index: first &+ index, frame: frame, headers: headers, outcome: outcome)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return nil
        } catch {
            return error
        }
    }
}
