#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Flow-log files read for a replay (docs/flow-logs.md): every record of every file, in the
/// order the replay sends them, each record seen at both ends of its flow kept once.
///
/// The files are read whole before anything is replayed (so a bad file is refused before any
/// output is written), and the records are sorted by start time: the records of a file are not in
/// time order (AWS writes each interface's windows as they close). Memory is one compact `Flow` per
/// record (`MemoryLayout<Flow>.stride`, 104 bytes on 64-bit platforms: about 100 MB for a million
/// records, deduplicated in place), plus, while reading, a few dictionary entries per distinct
/// flow (deduplication, who opened); it grows with the records, never with the time they span. A
/// malformed line is a located, counted skip (the first `issueLimit` are kept to show); NODATA and
/// SKIPDATA lines are counted.
public struct FlowLog: Sendable {
    /// One record as it is replayed.
    public struct Flow: Sendable, Hashable {
        public var source: IPAddress
        public var destination: IPAddress
        public var sourcePort: UInt16
        public var destinationPort: UInt16
        public var ipProtocol: UInt8
        public var packets: Int64
        public var bytes: Int64
        /// Unix seconds.
        public var start: Int64
        public var end: Int64
        /// The logged action; REJECT when either end's copy says REJECT.
        public var action: FlowLogRecord.Action?
        public var tcpFlags: UInt8?
        /// Which ends of the flow logged it.
        public var sides: Sides
        /// Sent by the side that did not open the connection (docs/flow-logs.md, "Who opened the connection").
        public var isReply: Bool
        /// The first record of its direction (or, with `tcp-flags`, one with SYN): its first TCP
        /// packet opens the connection (SYN, or SYN-ACK for a reply).
        public var opens: Bool
        /// Index into `FlowLog.files`, and the 1-based line.
        public var file: Int32
        public var line: Int32
        /// Index into the interfaces read, -1 when the record names none (only used to deduplicate).
        var interface: Int32

        var hasPorts: Bool { ipProtocol == IPProtocolNumber.tcp || ipProtocol == IPProtocolNumber.udp }
    }

    public struct Sides: OptionSet, Sendable, Hashable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let ingress = Sides(rawValue: 1)
        public static let egress = Sides(rawValue: 2)
        /// A copy that does not say its direction.
        public static let unknown = Sides(rawValue: 4)
    }

    public struct Counts: Sendable, Hashable {
        /// Non-blank lines, header lines included.
        public var lines = 0
        /// Records read (before deduplication).
        public var records = 0
        public var noData = 0
        public var skipData = 0
        /// Lines skipped as malformed (`issues` shows the first ones).
        public var malformed = 0
        /// Records dropped as the other end's copy of a record kept.
        public var duplicates = 0
    }

    public let files: [String]
    /// Sorted by start time; at equal times an opener's record before its reply's, then file and line order.
    public private(set) var flows: [Flow] = []
    public private(set) var counts = Counts()
    /// The first `issueLimit` malformed lines.
    public private(set) var issues: [FlowLogIssue] = []
    /// Header fields AWS does not document, read past: `file:line: name, name`.
    public private(set) var notes: [String] = []
    /// The first malformed line of the file being read.
    private var firstIssueOfFile: FlowLogIssue?

    public static let issueLimit = 100
    /// Two records of one direction of a 5-tuple from different interfaces are one flow seen at
    /// both ends when the second starts at most this long after the first's window ended: AWS
    /// stamps `start` and `end` up to 60 s after the packet passed the interface ("Flow log records").
    public static let deduplicationWindow: Int64 = 60

    /// Reads `paths` (plain or gzip-compressed text). Throws for a file that cannot be opened or
    /// read, or whose header lacks a field the replay needs.
    public static func read(_ paths: [String]) throws(FlowLogError) -> FlowLog {
        var log = FlowLog(files: paths)
        var interfaces: [String: Int32] = [:]
        for (index, path) in paths.enumerated() {
            try log.readFile(path, index: Int32(index), interfaces: &interfaces)
        }
        log.arrange()
        return log
    }

    /// Records of `text` as if it were a file named `name`, for tests and fixtures.
    static func parse(_ text: String, name: String = "flows.log") throws(FlowLogError) -> FlowLog {
        var log = FlowLog(files: [name])
        var interfaces: [String: Int32] = [:]
        var format: FlowLogFormat?
        let before = log.counts
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            try log.take(line, number: number + 1, file: 0, format: &format, interfaces: &interfaces)
        }
        try log.refuseIfNothingRead(since: before, file: name)
        log.arrange()
        return log
    }

    private init(files: [String]) { self.files = files }

    /// `flows.log:12`.
    public func location(of flow: Flow) -> String { "\(files[Int(flow.file)]):\(flow.line)" }

    /// Packets in all the flows.
    public var totalPackets: Int64 { flows.reduce(0) { $0 + $1.packets } }

    // MARK: Reading

    private mutating func readFile(_ path: String, index: Int32, interfaces: inout [String: Int32]) throws(FlowLogError) {
        let reader = try FlowLogLineReader(path: path)
        var format: FlowLogFormat?
        var number = 0
        let before = counts
        firstIssueOfFile = nil
        while let line = try reader.next() {
            number += 1
            switch line {
            case .text(let text): try take(Substring(text), number: number, file: index, format: &format, interfaces: &interfaces)
            case .tooLong:
                counts.lines += 1
                malformed(FlowLogIssue(file: path, line: number, field: nil,
                                       problem: "longer than \(FlowLogLineReader.maximumLine) bytes: not a flow-log record"))
            }
        }
        try refuseIfNothingRead(since: before, file: path)
    }

    /// A file none of whose lines is a record or a status line is not a flow log (a wrong file
    /// given): refused, with its first problem, rather than replayed as nothing.
    private mutating func refuseIfNothingRead(since before: Counts, file: String) throws(FlowLogError) {
        let malformed = counts.malformed - before.malformed
        guard malformed > 0, counts.records == before.records, counts.noData == before.noData, counts.skipData == before.skipData,
              let first = firstIssueOfFile else { return }
        throw .unusableFormat(file: file, line: first.line, problem: "not a flow log: none of its \(malformed) non-blank lines is a record ("
                              + (first.field.map { "\($0): " } ?? "") + first.problem + ")")
    }

    private mutating func take(_ raw: Substring, number: Int, file: Int32, format: inout FlowLogFormat?,
                               interfaces: inout [String: Int32]) throws(FlowLogError) {
        let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
        guard line.utf8.contains(where: { !$0.isFlowLogSpace }) else { return }
        counts.lines += 1
        let path = files[Int(file)]
        if let names = FlowLogFormat.headerNames(line) {
            do {
                let fields = try FlowLogFormat.AWSFields(names: names)
                if !fields.unknown.isEmpty {
                    notes.append("\(path):\(number): fields AWS does not document, read past: \(fields.unknown.joined(separator: ", "))")
                }
                format = .aws(fields)
            } catch {
                throw .unusableFormat(file: path, line: number, problem: error.description)
            }
            return
        }
        let current = format ?? (line.utf8.first(where: { !$0.isFlowLogSpace }) == UInt8(ascii: "{") ? .alibabaJSON : .aws(.defaultVersion2))
        format = current
        do {
            switch try current.parse(line) {
            case .noData: counts.noData += 1
            case .skipData: counts.skipData += 1
            case .record(let record):
                counts.records += 1
                var interface: Int32 = -1
                if let name = record.interface {
                    if let known = interfaces[name] {
                        interface = known
                    } else {
                        interface = Int32(interfaces.count)
                        interfaces[name] = interface
                    }
                }
                flows.append(Flow(source: record.source, destination: record.destination, sourcePort: record.sourcePort,
                                  destinationPort: record.destinationPort, ipProtocol: record.ipProtocol, packets: record.packets,
                                  bytes: record.bytes, start: record.start, end: record.end, action: record.action,
                                  tcpFlags: record.tcpFlags, sides: record.direction.map { $0 == .ingress ? .ingress : .egress } ?? .unknown,
                                  isReply: false, opens: false, file: file, line: Int32(clamping: number), interface: interface))
            }
        } catch {
            malformed(FlowLogIssue(file: path, line: number, field: error.field, problem: error.problem))
        }
    }

    private mutating func malformed(_ issue: FlowLogIssue) {
        if firstIssueOfFile == nil { firstIssueOfFile = issue }
        counts.malformed += 1
        if issues.count < Self.issueLimit { issues.append(issue) }
    }

    // MARK: Order, deduplication, roles

    private struct DirectionKey: Hashable {
        var source: IPAddress, destination: IPAddress
        var sourcePort: UInt16, destinationPort: UInt16
        var ipProtocol: UInt8

        init(_ flow: Flow) {
            (source, destination, sourcePort, destinationPort, ipProtocol) =
                (flow.source, flow.destination, flow.sourcePort, flow.destinationPort, flow.ipProtocol)
        }

        /// The same key for both directions.
        var unordered: DirectionKey {
            guard (destination, destinationPort) < (source, sourcePort) else { return self }
            var key = self
            (key.source, key.destination, key.sourcePort, key.destinationPort) = (destination, source, destinationPort, sourcePort)
            return key
        }
    }

    /// Sorts by start time, keeps one copy of a record logged at both ends, and decides who
    /// opened each connection.
    private mutating func arrange() {
        flows.sort { ($0.start, $0.file, $0.line) < ($1.start, $1.file, $1.line) }
        // One interface per direction of a flow: a record from another interface within the
        // window after the chosen one's records is the same packets, seen at the other end.
        // Compacted in place: `flows[..<kept]` are the records kept so far.
        var chosen: [DirectionKey: (interface: Int32, latestEnd: Int64, kept: Int)] = [:]
        var kept = 0
        for index in flows.indices {
            let flow = flows[index]
            if flow.interface >= 0 {
                let key = DirectionKey(flow)
                if let first = chosen[key], first.interface != flow.interface, flow.start <= first.latestEnd + Self.deduplicationWindow {
                    flows[first.kept].absorb(flow)
                    counts.duplicates += 1
                    continue
                }
                if let first = chosen[key], first.interface == flow.interface {
                    chosen[key] = (first.interface, max(first.latestEnd, flow.end), kept)
                } else {
                    chosen[key] = (flow.interface, flow.end, kept)
                }
            }
            flows[kept] = flow
            kept += 1
        }
        flows.removeLast(flows.count - kept)
        chosen = [:]
        // Who opened the connection: TCP flags when logged (SYN without ACK opens, SYN-ACK
        // answers); else the lower port is the server's (IANA's well-known and registered ports
        // below the ephemeral range, RFC 6335); else the direction logged first.
        var firstDirection: [DirectionKey: DirectionKey] = [:]
        var seen: Set<DirectionKey> = []
        for index in flows.indices {
            let flow = flows[index]
            let key = DirectionKey(flow)
            let syn = TCPFlags.syn.rawValue, synAck = TCPFlags.syn.rawValue | TCPFlags.ack.rawValue
            let flags = flow.ipProtocol == IPProtocolNumber.tcp ? flow.tcpFlags : nil
            if let flags, flags & synAck == syn {
                flows[index].isReply = false
            } else if let flags, flags & synAck == synAck {
                flows[index].isReply = true
            } else if flow.hasPorts, flow.sourcePort != flow.destinationPort {
                flows[index].isReply = flow.sourcePort < flow.destinationPort
            } else if let first = firstDirection[key.unordered] {
                flows[index].isReply = first != key
            } else {
                firstDirection[key.unordered] = key
            }
            let isNew = seen.insert(key).inserted
            flows[index].opens = flags.map { $0 & syn != 0 } ?? isNew
        }
        // A reply stamped before its request (the other interface's clock: AWS stamps up to 60 s
        // late) starts with the request instead, so that the request is forwarded first.
        var openerStart: [DirectionKey: Int64] = [:]
        for flow in flows where !flow.isReply {
            let key = DirectionKey(flow).unordered
            openerStart[key] = min(openerStart[key] ?? .max, flow.start)
        }
        for index in flows.indices where flows[index].isReply {
            guard let start = openerStart[DirectionKey(flows[index]).unordered], start > flows[index].start,
                  start - flows[index].start <= Self.deduplicationWindow else { continue }
            flows[index].start = start
            flows[index].end = max(flows[index].end, start)
        }
        flows.sort { ($0.start, $0.isReply ? 1 : 0, $0.file, $0.line) < ($1.start, $1.isReply ? 1 : 0, $1.file, $1.line) }
    }
}

extension FlowLog.Flow {
    /// Folds in the other end's copy of this record: REJECT wins (the packets were refused at
    /// one end), flags and sides add up; the counts stay this copy's.
    mutating func absorb(_ other: FlowLog.Flow) {
        if other.action == .reject || action == nil { action = other.action ?? action }
        if let flags = other.tcpFlags { tcpFlags = (tcpFlags ?? 0) | flags }
        sides.formUnion(other.sides)
    }
}

/// The lines of a plain or gzip-compressed text file, read in blocks (the gzip stream through
/// the capture readers' `CaptureByteSource`).
final class FlowLogLineReader {
    enum Line {
        case text(String)
        /// A line longer than `maximumLine`: skipped whole.
        case tooLong
    }

    static let maximumLine = 65_536
    private let path: String
    private let source: CaptureByteSource
    private var data = ContiguousArray<UInt8>()
    private var position = 0
    private var discarding = false
    private var atEnd = false

    init(path: String) throws(FlowLogError) {
        guard let file = fopen(path, "rb") else { throw .cannotOpen(file: path, reason: String(cString: strerror(errno))) }
        var magic: UInt32 = 0
        let peeked = pread(fileno(file), &magic, 4, 0)
        let compression = peeked == 4 ? CaptureCompression(magic: UInt32(littleEndian: magic)) : nil
        if let compression, compression != .gzip {
            fclose(file)
            throw .unreadable(file: path, reason: compression.refusal(path))
        }
        self.path = path
        source = CaptureByteSource(file: file, gzip: compression == .gzip)
    }

    func next() throws(FlowLogError) -> Line? {
        while true {
            if let newline = data[position...].firstIndex(of: UInt8(ascii: "\n")) {
                let start = position
                position = newline + 1
                if discarding {
                    discarding = false
                    return .tooLong
                }
                return .text(String(decoding: data[start ..< newline], as: UTF8.self))
            }
            if data.count - position > Self.maximumLine {
                discarding = true
                position = data.count
            }
            if atEnd {
                guard position < data.count || discarding else { return nil }
                let rest = data[position...]
                position = data.count
                if discarding {
                    discarding = false
                    return .tooLong
                }
                return .text(String(decoding: rest, as: UTF8.self))
            }
            data.removeSubrange(0 ..< position)
            position = 0
            let kept = data.count
            data.append(contentsOf: repeatElement(0, count: 1 << 16))
            let (got, failure) = data.withUnsafeMutableBytes { source.produce(into: $0.baseAddress! + kept, count: 1 << 16) }
            data.removeLast((1 << 16) - got)
            if let failure { throw .unreadable(file: path, reason: failure) }
            if got == 0 { atEnd = true }
        }
    }
}
