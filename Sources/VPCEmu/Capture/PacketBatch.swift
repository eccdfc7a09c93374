/// A batch of captured packets in one reusable buffer: packet `i` is
/// `bytes[offsets[i] ..< offsets[i] + capturedLengths[i]]`. The reader refills the same
/// storage batch after batch, so steady-state reading allocates nothing.
///
/// Walk a batch by entering `withUnsafeBytes` once and slicing frames inside:
/// ```swift
/// batch.withUnsafeBytes { bytes in
///     for i in 0..<batch.count {
///         let frame = batch.frame(i, in: bytes)
///         …
///     }
/// }
/// ```
public struct PacketBatch: Sendable {
    /// Packet bytes, back to back. Only the first `byteCount` bytes are meaningful.
    public private(set) var bytes: ContiguousArray<UInt8>
    public private(set) var offsets: ContiguousArray<Int>
    public private(set) var capturedLengths: ContiguousArray<UInt32>
    /// Length of the packet on the wire; larger than the captured length when the capture was
    /// cut by a snapshot length.
    public private(set) var wireLengths: ContiguousArray<UInt32>
    /// Nanoseconds since the Unix epoch.
    public private(set) var timestamps: ContiguousArray<Int64>
    /// Packets in this batch.
    public private(set) var count: Int = 0
    /// Bytes used in `bytes`.
    public private(set) var byteCount: Int = 0
    /// The 0-based index in the file of this batch's first packet.
    public private(set) var firstRecordIndex: Int = 0
    /// The link type of every packet in this batch: a reader ends a batch where the link type
    /// changes (a pcapng file whose interfaces differ).
    public private(set) var linkType: LinkType = .ethernet

    /// The most packets a batch holds.
    public let packetCapacity: Int

    /// Packet `i` as the parser decoded it (`parseForForwarding`), valid for the first `count`
    /// entries while `parsedLinkType` is set; the storage is kept from batch to batch.
    public private(set) var parsed = ContiguousArray<ParsedFrame>()
    /// The link type this batch's packets were parsed as; nil when they are not parsed.
    public private(set) var parsedLinkType: LinkType?

    /// - Parameters:
    ///   - packetCapacity: packets per batch (default 256).
    ///   - byteCapacity: bytes per batch (default 256 KiB); a packet larger than this grows the
    ///     buffer once.
    public init(packetCapacity: Int = 256, byteCapacity: Int = 1 << 18) {
        precondition(packetCapacity > 0 && byteCapacity > 0, "a batch must hold something")
        self.packetCapacity = packetCapacity
        bytes = ContiguousArray(repeating: 0, count: byteCapacity)
        offsets = ContiguousArray(repeating: 0, count: packetCapacity)
        capturedLengths = ContiguousArray(repeating: 0, count: packetCapacity)
        wireLengths = ContiguousArray(repeating: 0, count: packetCapacity)
        timestamps = ContiguousArray(repeating: 0, count: packetCapacity)
    }

    public var isEmpty: Bool { count == 0 }

    /// Calls `body` with the batch's packet bytes.
    @inlinable
    public func withUnsafeBytes<R, E: Error>(
        _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        let result: Result<R, E> = bytes.withUnsafeBytes { raw in
            do throws(E) { return .success(try body(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Packet `index`, sliced out of `bytes` obtained from `withUnsafeBytes`.
    @inlinable
    public func frame(_ index: Int, in bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        let start = offsets[index]
        return UnsafeRawBufferPointer(rebasing: bytes[start ..< start &+ Int(capturedLengths[index])])
    }

    /// Parses every packet (`ParsedFrame.parse`), so that forwarding walks them without parsing.
    /// Allocates `packetCapacity` entries the first time, nothing afterwards.
    public mutating func parseForForwarding() {
        if parsed.count < count { parsed = ContiguousArray(repeating: ParsedFrame(), count: max(count, packetCapacity)) }
        let bytes = self.bytes, offsets = self.offsets, capturedLengths = self.capturedLengths
        let wireLengths = self.wireLengths, timestamps = self.timestamps, packets = count, linkType = self.linkType
        bytes.withUnsafeBytes { bytes in
            parsed.withUnsafeMutableBufferPointer { parsed in
                for index in 0..<packets {
                    let start = offsets[index]
                    let frame = UnsafeRawBufferPointer(rebasing: bytes[start ..< start &+ Int(capturedLengths[index])])
                    parsed[index].parse(frame, linkType: linkType, wireLength: Int(wireLengths[index]), timestamp: timestamps[index])
                }
            }
        }
        parsedLinkType = linkType
    }

    // MARK: Input stages (ReplayInput)

    /// Calls `body` with the packet bytes, writable, for a stage that rewrites packets in place
    /// (`AddressMap`); the parse is dropped, as it may no longer match the bytes.
    public mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) -> R) -> R {
        parsedLinkType = nil
        return bytes.withUnsafeMutableBytes(body)
    }

    /// Moves every packet `offset` ns in time (`replay --concatenate`). The parse stays valid:
    /// forwarding reads `timestamps`.
    mutating func shiftTimestamps(by offset: Int64) {
        let packets = count
        timestamps.withUnsafeMutableBufferPointer { timestamps in
            for index in 0..<packets { timestamps[index] &+= offset }
        }
    }

    /// Appends packets `range` of `source`, with their parse (`source` and this batch must share
    /// their link type and be parsed alike, or both not), as many as fit; returns how many. An empty batch grows its
    /// bytes for a first packet larger than them.
    mutating func append(_ range: Range<Int>, of source: PacketBatch) -> Int {
        if count == 0 {
            linkType = source.linkType
            parsedLinkType = source.parsedLinkType
            if let first = range.first, Int(source.capturedLengths[first]) > bytes.count { growBytes(to: Int(source.capturedLengths[first])) }
        }
        precondition(linkType == source.linkType && parsedLinkType == source.parsedLinkType,
                     "a batch holds packets of one link type, parsed alike")
        if parsedLinkType != nil, parsed.count < packetCapacity {
            parsed.append(contentsOf: repeatElement(ParsedFrame(), count: packetCapacity - parsed.count))
        }
        let isParsed = parsedLinkType != nil
        var appended = 0
        var filled = (count: count, byteCount: byteCount)
        bytes.withUnsafeMutableBytes { bytes in
            source.bytes.withUnsafeBytes { sourceBytes in
                for index in range {
                    let length = Int(source.capturedLengths[index])
                    guard filled.count < packetCapacity, length <= bytes.count &- filled.byteCount else { break }
                    (bytes.baseAddress! + filled.byteCount).copyMemory(from: sourceBytes.baseAddress! + source.offsets[index], byteCount: length)
                    offsets[filled.count] = filled.byteCount
                    capturedLengths[filled.count] = source.capturedLengths[index]
                    wireLengths[filled.count] = source.wireLengths[index]
                    timestamps[filled.count] = source.timestamps[index]
                    if isParsed { parsed[filled.count] = source.parsed[index] }
                    filled.count &+= 1
                    filled.byteCount &+= length
                    appended &+= 1
                }
            }
        }
        (count, byteCount) = filled
        return appended
    }

    // MARK: Filling (PcapReader)

    mutating func reset(firstRecordIndex: Int, linkType: LinkType = .ethernet) {
        count = 0
        byteCount = 0
        parsedLinkType = nil
        self.firstRecordIndex = firstRecordIndex
        self.linkType = linkType
    }

    /// Replaces the byte buffer with one that holds at least `byteCapacity` bytes. Only for an
    /// empty batch meeting a packet larger than its buffer; the larger buffer is then kept.
    mutating func growBytes(to byteCapacity: Int) {
        precondition(count == 0, "growing would move packets already in the batch")
        bytes = ContiguousArray(repeating: 0, count: byteCapacity)
    }

    /// Why a native reader stopped filling a batch's columns.
    enum FillStop {
        case batchFull
        /// The batch is empty and its bytes cannot hold the next record (of this many bytes).
        case recordLargerThanBatch(Int)
        case endOfFile
        /// The next record or block is damaged: the reader's message.
        case damaged(String)
    }

    /// Runs `fill` on the columns; when the batch is empty and its bytes cannot hold the next
    /// record, grows them once (the larger buffer is kept) and runs `fill` again.
    mutating func fillColumns(_ fill: (inout Columns) -> FillStop) -> FillStop {
        let stop = withColumns(fill)
        guard case .recordLargerThanBatch(let length) = stop else { return stop }
        growBytes(to: length)
        return withColumns(fill)
    }

    /// Gives `body` raw access to every column at once, so the fill loop does no per-packet
    /// uniqueness or exclusivity checks.
    mutating func withColumns<R>(_ body: (inout Columns) -> R) -> R {
        let packets = count, used = byteCount, linkType = self.linkType
        parsedLinkType = nil
        var result: R?
        var filled = (count: packets, byteCount: used, linkType: linkType)
        bytes.withUnsafeMutableBytes { bytes in
            offsets.withUnsafeMutableBufferPointer { offsets in
                capturedLengths.withUnsafeMutableBufferPointer { capturedLengths in
                    wireLengths.withUnsafeMutableBufferPointer { wireLengths in
                        timestamps.withUnsafeMutableBufferPointer { timestamps in
                            var columns = Columns(
                                bytes: bytes, offsets: offsets, capturedLengths: capturedLengths,
                                wireLengths: wireLengths, timestamps: timestamps,
                                count: packets, byteCount: used, linkType: linkType)
                            result = body(&columns)
                            filled = (columns.count, columns.byteCount, columns.linkType)
                        }
                    }
                }
            }
        }
        count = filled.count
        byteCount = filled.byteCount
        self.linkType = filled.linkType
        return result!
    }

    struct Columns {
        let bytes: UnsafeMutableRawBufferPointer
        let offsets: UnsafeMutableBufferPointer<Int>
        let capturedLengths: UnsafeMutableBufferPointer<UInt32>
        let wireLengths: UnsafeMutableBufferPointer<UInt32>
        let timestamps: UnsafeMutableBufferPointer<Int64>
        var count: Int
        var byteCount: Int
        /// The batch's link type; a reader sets it with the first packet it appends.
        var linkType: LinkType

        /// Copies one packet in if it fits; returns false, changing nothing, when the batch is full.
        @inline(__always)
        mutating func append(
            _ data: UnsafePointer<UInt8>, capturedLength: UInt32, wireLength: UInt32, timestamp: Int64
        ) -> Bool {
            let length = Int(capturedLength)
            guard count < offsets.count, length <= bytes.count &- byteCount else { return false }
            (bytes.baseAddress! + byteCount).copyMemory(from: data, byteCount: length)
            offsets[count] = byteCount
            capturedLengths[count] = capturedLength
            wireLengths[count] = wireLength
            timestamps[count] = timestamp
            count &+= 1
            byteCount &+= length
            return true
        }
    }
}
