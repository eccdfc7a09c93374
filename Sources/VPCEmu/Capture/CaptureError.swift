/// Why a capture file could not be read or written. Every case names the file; damage inside
/// the file also says where, so a user can find the record with `tcpdump -r` or a hex editor.
public enum CaptureError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Where in a capture file the damage was found.
    public enum Location: Equatable, Sendable, CustomStringConvertible {
        /// The file header (pcap) or the first section/interface blocks (pcapng).
        case fileHeader
        /// The record with this 0-based index; every record before it was delivered.
        case record(Int)
        /// A pcapng block (0-based index among all the file's blocks); the `record` packets
        /// before it were delivered.
        case block(Int, record: Int)

        public var description: String {
            switch self {
            case .fileHeader: "file header"
            case .record(let index): "record \(index) (0-based; \(index) complete packets precede it)"
            case .block(let block, let record): "block \(block) (0-based; \(record) complete packets precede it)"
            }
        }
    }

    /// The operating system refused to open the file (missing, unreadable, a directory …).
    case cannotOpen(file: String, reason: String)
    /// The file is readable but its link-layer header type is not one VPCEmu decodes.
    case unsupportedLinkType(file: String, dlt: Int32, name: String)
    /// The file is not a capture file or is damaged: bad magic, truncated header, record or
    /// block, absurd lengths; or it is compressed in a format VPCEmu does not read.
    case damaged(file: String, location: Location, reason: String)
    /// Writing an output file failed; the temporary file was removed and nothing replaced `file`.
    case cannotWrite(file: String, reason: String)

    public var file: String {
        switch self {
        case .cannotOpen(let file, _), .unsupportedLinkType(let file, _, _),
            .damaged(let file, _, _), .cannotWrite(let file, _):
            file
        }
    }

    public var description: String {
        switch self {
        case .cannotOpen(let file, let reason):
            "\(file): cannot open: \(reason)"
        case .unsupportedLinkType(let file, let dlt, let name):
            "\(file): unsupported link type \(name) (DLT \(dlt)); VPCEmu decodes "
                + LinkType.allCases.map(\.description).joined(separator: ", ")
        case .damaged(let file, let location, let reason):
            "\(file): damaged at \(location): \(reason)"
        case .cannotWrite(let file, let reason):
            "\(file): cannot write: \(reason)"
        }
    }
}

extension CaptureError {
    /// A failure of the atomic output file behind a writer.
    init(writing file: String, _ error: AtomicFileError) {
        self = .cannotWrite(file: file, reason: error.reason)
    }
}
