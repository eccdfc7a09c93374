import CPcap

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `PcapReader`'s engine for whatever the native readers leave to libpcap, and for every file with
/// `PcapReader.Engine.libpcap`: streams the file through libpcap in reusable batches, timestamps at
/// nanosecond precision. Memory stays flat: libpcap holds one record, the batch holds at most its
/// capacity.
///
/// One `pcap_dispatch` per batch copies records straight into the batch from libpcap's
/// callback (cheaper than a `pcap_next_ex` call per record). A record that no longer fits in
/// the batch's bytes is kept in a spill buffer and opens the next batch.
final class LibpcapFileReader {
    let linkType: LinkType

    private let handle: OpaquePointer
    /// A record that did not fit in the previous batch; it opens the next one.
    private var spill: UnsafeMutableRawBufferPointer
    private var spillHeader = pcap_pkthdr()
    private var spillPending = false

    /// Takes `file` (opened by `PcapReader`, at its start) over: closed with the reader, or here
    /// when libpcap refuses it.
    init(path: String, file: UnsafeMutablePointer<FILE>) throws(CaptureError) {
        Self.tuneForSequentialReading(file)
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
        spill = .allocate(byteCount: 2048, alignment: 16)
    }

    deinit {
        pcap_close(handle)
        spill.deallocate()
    }

    /// Fills `batch` (empty, reset by `PcapReader`) with the next records.
    func fill(_ batch: inout PacketBatch) -> PcapReader.BatchEnd {
        if spillPending {
            // The batch is empty, so only the buffer size can refuse the record.
            let length = Int(spillHeader.caplen)
            if length > batch.bytes.count { batch.growBytes(to: length) }
            let copied = batch.withColumns { columns in
                columns.append(
                    spill.baseAddress!.assumingMemoryBound(to: UInt8.self), capturedLength: spillHeader.caplen,
                    wireLength: spillHeader.len, timestamp: nanoseconds(spillHeader.ts))
            }
            precondition(copied, "an empty batch with room for the record refused it")
            spillPending = false
        }

        var status: Int32 = 0
        let spillBuffer = spill
        let state = batch.withColumns { columns in
            var state = DispatchState(handle: handle, columns: columns, spill: spillBuffer)
            while state.columns.count < state.columns.offsets.count {
                let room = Int32(clamping: state.columns.offsets.count &- state.columns.count)
                status = withUnsafeMutablePointer(to: &state) { state in
                    pcap_dispatch(handle, room, copyRecordIntoBatch, UnsafeMutableRawPointer(state).assumingMemoryBound(to: UInt8.self))
                }
                // PCAP_ERROR_BREAK with no packet read: the pcap_breakloop that ended the previous
                // dispatch (after a spill) is still pending; libpcap has now cleared it.
                if status == PCAP_ERROR_BREAK { continue }
                if status <= 0 || state.spilled { break }
            }
            columns = state.columns
            return state
        }
        spill = state.spill
        if state.spilled {
            spillHeader = state.spillHeader
            spillPending = true
            return .full
        }
        if status == 0 { return .endOfFile }
        if status < 0 { return .damaged(String(cString: pcap_geterr(handle))) }
        return .full
    }

    /// Bytes of the file consumed so far (libpcap's position in it), for progress reports.
    var bytesRead: Int64 {
        guard let file = pcap_file(handle) else { return 0 }
        return Int64(max(0, ftello(file)))
    }

    /// libpcap reads a savefile with two `fread` calls per record (header, then data). With
    /// stdio's default buffer (one 4 KiB page) that is a read(2) every ~60 small packets, and
    /// every fread takes the stream lock. A 1 MiB buffer and, on glibc, no locking (this stream
    /// is ours and read from one thread) take most of that cost away; see docs/capture.md.
    private static func tuneForSequentialReading(_ file: UnsafeMutablePointer<FILE>) {
        setvbuf(file, nil, _IOFBF, 1 << 20)
        #if canImport(Glibc)
        __fsetlocking(file, Int32(FSETLOCKING_BYCALLER))
        #endif
    }

}

/// With nanosecond precision libpcap stores nanoseconds in `tv_usec`.
@inline(__always)
private func nanoseconds(_ time: timeval) -> Int64 {
    Int64(time.tv_sec) &* 1_000_000_000 &+ Int64(time.tv_usec)
}

/// What `copyRecordIntoBatch` works on during one `pcap_dispatch`.
private struct DispatchState {
    let handle: OpaquePointer
    var columns: PacketBatch.Columns
    /// Where a record that does not fit in the batch is kept until the next batch (reader-owned,
    /// grown here when a record is larger).
    var spill: UnsafeMutableRawBufferPointer
    var spillHeader = pcap_pkthdr()
    var spilled = false

    init(handle: OpaquePointer, columns: PacketBatch.Columns, spill: UnsafeMutableRawBufferPointer) {
        self.handle = handle
        self.columns = columns
        self.spill = spill
    }
}

/// libpcap's per-record callback: copies the record into the batch, or, when the batch's bytes
/// are full, into the spill buffer and ends the dispatch with pcap_breakloop.
private func copyRecordIntoBatch(
    user: UnsafeMutablePointer<UInt8>?, header: UnsafePointer<pcap_pkthdr>?, data: UnsafePointer<UInt8>?
) {
    guard let user, let header, let data else { return }
    let state = UnsafeMutableRawPointer(user).assumingMemoryBound(to: DispatchState.self)
    let record = header.pointee
    if state.pointee.columns.append(
        data, capturedLength: record.caplen, wireLength: record.len, timestamp: nanoseconds(record.ts))
    {
        return
    }
    let length = Int(record.caplen)
    if length > state.pointee.spill.count {
        state.pointee.spill.deallocate()
        state.pointee.spill = .allocate(byteCount: length, alignment: 16)
    }
    state.pointee.spill.baseAddress!.copyMemory(from: data, byteCount: length)
    state.pointee.spillHeader = record
    state.pointee.spilled = true
    pcap_breakloop(state.pointee.handle)
}
