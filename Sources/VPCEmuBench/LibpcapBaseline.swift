import CPcap

/// libpcap's own reading loop and nothing else: `pcap_next_ex` until it stops, summing captured
/// lengths. It is the reference for `PcapReader` twice over — the robustness tests compare
/// packet counts with it, and `bench parse` and `bench replay` measure against its speed in the
/// same process on the same page-cached file (what a libpcap user pays to read the file; a
/// classic pcap file is read by `PcapReader`'s native engine, pcapng through libpcap too).
public enum LibpcapBaseline {
    public struct Result: Equatable, Sendable {
        /// Records `pcap_next_ex` returned before the end or the first error.
        public var packets: Int
        /// Sum of their captured lengths.
        public var bytes: Int
        /// libpcap's message when the loop stopped on an error rather than at the end.
        public var error: String?
    }

    /// Nil when libpcap cannot open the file at all.
    public static func run(path: String) -> Result? {
        var message = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_open_offline_with_tstamp_precision(
            path, UInt32(PCAP_TSTAMP_PRECISION_NANO), &message)
        else { return nil }
        defer { pcap_close(handle) }
        var packets = 0
        var bytes = 0
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        var status = pcap_next_ex(handle, &header, &data)
        while status == 1 {
            packets &+= 1
            bytes &+= Int(header?.pointee.caplen ?? 0)
            status = pcap_next_ex(handle, &header, &data)
        }
        let error = status == PCAP_ERROR_BREAK ? nil : String(cString: pcap_geterr(handle))
        return Result(packets: packets, bytes: bytes, error: error)
    }
}
