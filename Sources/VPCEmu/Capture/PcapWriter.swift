import CPcap

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a classic pcap file with nanosecond timestamps through libpcap's dumper. The file
/// appears at `path` only when `finish()` succeeds (see `AtomicFile`); a writer dropped
/// without `finish()` leaves nothing behind.
///
/// libpcap's `pcap_dump` reports no error, so each `write` checks the stream's error flag and
/// keeps the first failure (ENOSPC, EIO …): `checkWritten()` throws it, for a caller that stops
/// early, and `finish()` throws it instead of moving an incomplete file into place.
public final class PcapWriter {
    public let path: String
    public let linkType: LinkType
    private var output: AtomicFile
    private let dead: OpaquePointer
    private let dumper: OpaquePointer
    /// The errno of the first failed write.
    private var failure: Int32?

    /// - Parameter snapshotLength: recorded in the file header; packets are written whole.
    public init(path: String, linkType: LinkType, snapshotLength: Int = 262_144) throws(CaptureError) {
        self.path = path
        self.linkType = linkType
        guard let dead = pcap_open_dead_with_tstamp_precision(
            linkType.dlt, Int32(clamping: snapshotLength), UInt32(PCAP_TSTAMP_PRECISION_NANO))
        else {
            throw .cannotWrite(file: path, reason: "libpcap could not create a \(linkType) handle")
        }
        var output: AtomicFile
        do { output = try AtomicFile(path: path) } catch { throw CaptureError(writing: path, error) }
        // pcap_dump_fopen writes the file header to our stream; the dumper is that stream, so
        // AtomicFile (not pcap_dump_close) closes it.
        guard let dumper = pcap_dump_fopen(dead, output.stream) else {
            let reason = String(cString: pcap_geterr(dead))
            output.abandon()
            pcap_close(dead)
            throw .cannotWrite(file: path, reason: reason)
        }
        self.output = output
        self.dead = dead
        self.dumper = dumper
    }

    deinit {
        pcap_close(dead)
    }

    /// Appends one packet. `wireLength` defaults to the captured length.
    public func write(_ frame: UnsafeRawBufferPointer, wireLength: UInt32? = nil, timestamp: Int64) {
        let seconds = timestamp.quotientAndRemainder(dividingBy: 1_000_000_000)
        var header = pcap_pkthdr()
        header.ts.tv_sec = .init(seconds.quotient)
        header.ts.tv_usec = .init(seconds.remainder)
        header.caplen = UInt32(truncatingIfNeeded: frame.count)
        header.len = wireLength ?? header.caplen
        if let base = frame.baseAddress {
            pcap_dump(UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self), &header, base.assumingMemoryBound(to: UInt8.self))
        } else {
            let empty: [UInt8] = []
            pcap_dump(UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self), &header, empty)
        }
        if failure == nil, ferror(output.stream) != 0 { failure = errno }
    }

    /// Throws the first write that failed, if any.
    public func checkWritten() throws(CaptureError) {
        if let failure { throw .cannotWrite(file: path, reason: String(cString: strerror(failure))) }
    }

    /// Appends every packet of a batch.
    public func write(_ batch: PacketBatch) {
        batch.withUnsafeBytes { bytes in
            for index in 0 ..< batch.count {
                write(
                    batch.frame(index, in: bytes), wireLength: batch.wireLengths[index],
                    timestamp: batch.timestamps[index])
            }
        }
    }

    /// Flushes and moves the file into place.
    public func finish() throws(CaptureError) {
        try checkWritten()
        do { try output.commit() } catch { throw CaptureError(writing: path, error) }
    }
}
