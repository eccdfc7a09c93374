import CPcap

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Streams a pcap or pcapng file (either byte order) through libpcap in reusable batches.
/// Timestamps are read at nanosecond precision whatever the file stores. Memory stays flat:
/// libpcap holds one record, the batch holds at most its capacity.
///
/// Errors are raised in file order: a damaged record is reported only after every packet before
/// it was delivered, on the `nextBatch` call after the one that delivered them.
public final class PcapReader {
    public let path: String
    public let linkType: LinkType
    /// The file's snapshot length (the largest captured length its header allows).
    public let snapshotLength: Int
    /// Packets delivered so far; also the index of the next record.
    public private(set) var recordsDelivered = 0

    private var handle: OpaquePointer?
    /// A record libpcap returned that did not fit in the previous batch. libpcap keeps its bytes
    /// valid until the next `pcap_next_ex`, which we do not call before copying it.
    private var pendingHeader: UnsafeMutablePointer<pcap_pkthdr>?
    private var pendingData: UnsafePointer<UInt8>?
    private var pendingError: CaptureError?
    private var reachedEnd = false

    public init(path: String) throws(CaptureError) {
        self.path = path
        // Open the file ourselves so that an OS error (missing, unreadable) is told apart from
        // a file libpcap does not understand.
        guard let file = fopen(path, "rb") else {
            throw .cannotOpen(file: path, reason: String(cString: strerror(errno)))
        }
        var message = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_fopen_offline_with_tstamp_precision(
            file, UInt32(PCAP_TSTAMP_PRECISION_NANO), &message)
        else {
            fclose(file)
            throw .damaged(file: path, location: .fileHeader, reason: message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        let dlt = pcap_datalink(handle)
        guard let linkType = LinkType(dlt: dlt) else {
            let name = pcap_datalink_val_to_name(dlt).map { String(cString: $0) } ?? "unknown"
            pcap_close(handle)
            throw .unsupportedLinkType(file: path, dlt: dlt, name: name)
        }
        self.handle = handle
        self.linkType = linkType
        snapshotLength = Int(pcap_snapshot(handle))
    }

    deinit {
        if let handle { pcap_close(handle) }
    }

    /// Refills `batch` with the next packets. Returns false at the end of the file; throws the
    /// file's damage once every packet before the damaged record has been delivered.
    public func nextBatch(into batch: inout PacketBatch) throws(CaptureError) -> Bool {
        if let error = pendingError {
            pendingError = nil
            reachedEnd = true
            throw error
        }
        guard !reachedEnd, let handle else { return false }
        batch.reset(firstRecordIndex: recordsDelivered)

        if let header = pendingHeader, let data = pendingData {
            // The batch is empty, so only the buffer size can refuse the record.
            let length = Int(header.pointee.caplen)
            if length > batch.bytes.count { batch.growBytes(to: length) }
            let copied = batch.withColumns { columns in
                columns.append(
                    data, capturedLength: header.pointee.caplen, wireLength: header.pointee.len,
                    timestamp: Self.nanoseconds(header.pointee.ts))
            }
            precondition(copied, "an empty batch with room for the record refused it")
            pendingHeader = nil
            pendingData = nil
        }

        var status: Int32 = 1
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        batch.withColumns { columns in
            while true {
                status = pcap_next_ex(handle, &header, &data)
                guard status == 1, let header, let data else { return }
                let record = header.pointee
                guard columns.append(
                    data, capturedLength: record.caplen, wireLength: record.len,
                    timestamp: Self.nanoseconds(record.ts))
                else { return }
            }
        }

        switch status {
        case 1:
            // The batch filled up before this record; it opens the next batch.
            pendingHeader = header
            pendingData = data
        case PCAP_ERROR_BREAK:
            reachedEnd = true
        default:
            let reason = String(cString: pcap_geterr(handle))
            pendingError = .damaged(
                file: path, location: .record(recordsDelivered &+ batch.count), reason: reason)
        }
        recordsDelivered &+= batch.count
        if batch.isEmpty {
            // Nothing to deliver: report the end or the damage right away.
            return try nextBatch(into: &batch)
        }
        return true
    }

    /// With nanosecond precision libpcap stores nanoseconds in `tv_usec`.
    @inline(__always)
    private static func nanoseconds(_ time: timeval) -> Int64 {
        Int64(time.tv_sec) &* 1_000_000_000 &+ Int64(time.tv_usec)
    }
}
