#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a pcapng file (draft-ietf-opsawg-pcapng): one Section Header Block, one Interface
/// Description Block per output interface (`if_name`, `if_tsresol` = 9, i.e. nanoseconds), and
/// an Enhanced Packet Block per packet with an optional `opt_comment` — the reason a packet was
/// dropped, for instance. Blocks are written in host byte order, which the byte-order magic in
/// the section header announces to readers.
///
/// The file appears at `path` only when `finish()` succeeds (see `AtomicFile`).
public final class PcapngWriter {
    public let path: String
    private var output: AtomicFile
    /// One block is assembled here and written with a single fwrite.
    private var block: ContiguousArray<UInt8> = []
    private var interfaces: [LinkType] = []

    private enum BlockType: UInt32 {
        case interfaceDescription = 0x0000_0001
        case enhancedPacket = 0x0000_0006
        case sectionHeader = 0x0A0D_0D0A
    }

    private enum OptionCode: UInt16 {
        case endOfOptions = 0
        case comment = 1
        case applicationOrInterfaceName = 2  // if_name in an IDB
        case shbUserApplication = 4
        case interfaceTimestampResolution = 9
    }

    public init(path: String, application: String = "vpcemu") throws(CaptureError) {
        self.path = path
        do { output = try AtomicFile(path: path) } catch { throw CaptureError(writing: path, error) }
        block.reserveCapacity(1 << 16)
        beginBlock(.sectionHeader)
        appendInteger(UInt32(0x1A2B_3C4D))  // byte-order magic
        appendInteger(UInt16(1))  // major version
        appendInteger(UInt16(0))  // minor version
        appendInteger(UInt64.max)  // section length: not given
        appendOption(.shbUserApplication, application)
        endOptions()
        try endBlock()
    }

    /// Declares an output interface; returns its id for `write(interface:…)`.
    @discardableResult
    public func addInterface(name: String, linkType: LinkType, snapshotLength: UInt32 = 0) throws(CaptureError) -> Int {
        beginBlock(.interfaceDescription)
        appendInteger(UInt16(truncatingIfNeeded: linkType.rawValue))
        appendInteger(UInt16(0))  // reserved
        appendInteger(snapshotLength)  // 0: no limit
        appendOption(.applicationOrInterfaceName, name)
        // if_tsresol: a power of ten when the high bit is clear; 9 = nanoseconds.
        appendOptionHeader(.interfaceTimestampResolution, length: 1)
        block.append(9)
        pad()
        endOptions()
        try endBlock()
        interfaces.append(linkType)
        return interfaces.count - 1
    }

    /// Appends one packet on `interface`. `wireLength` defaults to the captured length.
    public func write(
        interface: Int, _ frame: UnsafeRawBufferPointer, wireLength: UInt32? = nil, timestamp: Int64,
        comment: String? = nil
    ) throws(CaptureError) {
        precondition(interfaces.indices.contains(interface), "interface \(interface) was never added")
        let units = UInt64(bitPattern: timestamp)
        let capturedLength = UInt32(truncatingIfNeeded: frame.count)
        beginBlock(.enhancedPacket)
        appendInteger(UInt32(interface))
        appendInteger(UInt32(truncatingIfNeeded: units >> 32))
        appendInteger(UInt32(truncatingIfNeeded: units))
        appendInteger(capturedLength)
        appendInteger(wireLength ?? capturedLength)
        block.append(contentsOf: frame)
        pad()
        if let comment {
            appendOption(.comment, comment)
            endOptions()
        }
        try endBlock()
    }

    /// Flushes and moves the file into place.
    public func finish() throws(CaptureError) {
        do { try output.commit() } catch { throw CaptureError(writing: path, error) }
    }

    // MARK: Block assembly

    private func beginBlock(_ type: BlockType) {
        block.removeAll(keepingCapacity: true)
        appendInteger(type.rawValue)
        appendInteger(UInt32(0))  // total length, patched by endBlock
    }

    private func endBlock() throws(CaptureError) {
        let total = UInt32(block.count + 4)
        appendInteger(total)
        withUnsafeBytes(of: total) { length in
            block.withUnsafeMutableBytes { $0.baseAddress!.advanced(by: 4).copyMemory(from: length.baseAddress!, byteCount: 4) }
        }
        let written = block.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, output.stream) }
        guard written == block.count else {
            throw .cannotWrite(file: path, reason: String(cString: strerror(errno)))
        }
    }

    private func appendInteger<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value) { block.append(contentsOf: $0) }
    }

    private func appendOptionHeader(_ code: OptionCode, length: Int) {
        appendInteger(code.rawValue)
        appendInteger(UInt16(truncatingIfNeeded: length))
    }

    /// A UTF-8 option; values longer than an option can hold (65,535 bytes) are cut.
    private func appendOption(_ code: OptionCode, _ value: String) {
        var value = value
        // withUTF8 hands over the string's contiguous bytes: one copy, not a walk of its UTF-8 view.
        value.withUTF8 { utf8 in
            let bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8).prefix(Int(UInt16.max)))
            appendOptionHeader(code, length: bytes.count)
            block.append(contentsOf: bytes)
        }
        pad()
    }

    private func endOptions() {
        appendOptionHeader(.endOfOptions, length: 0)
    }

    /// Pads the block to a 32-bit boundary, as every pcapng field and option value must be.
    private func pad() {
        while block.count % 4 != 0 { block.append(0) }
    }
}
