/// One flow-log record: the packets of one direction of a 5-tuple that one network interface saw
/// in one capture window (AWS VPC Flow Logs, Alibaba Cloud VPC flow logs). docs/flow-logs.md says
/// what a record does not tell and what the replay assumes instead.
public struct FlowLogRecord: Sendable, Hashable {
    public enum Action: UInt8, Sendable, Hashable {
        case accept, reject
    }

    /// Which way the traffic crossed the logging interface (AWS `flow-direction`, Alibaba `direction`).
    public enum Direction: UInt8, Sendable, Hashable {
        case ingress, egress
    }

    public var source: IPAddress
    public var destination: IPAddress
    /// 0 for protocols without ports (AWS logs ICMP with ports 0).
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var ipProtocol: UInt8
    public var packets: Int64
    /// IP bytes of all the packets.
    public var bytes: Int64
    /// Unix seconds of the first and the last packet of the window.
    public var start: Int64
    public var end: Int64
    /// nil when the log gives none (`-`).
    public var action: Action?
    /// nil when the format does not say.
    public var direction: Direction?
    /// The OR of the TCP flags seen in the window (AWS and Alibaba `tcp-flags`: FIN 1, SYN 2,
    /// RST 4, SYN-ACK 18); nil when the format does not say.
    public var tcpFlags: UInt8?
    /// The logging interface (AWS `interface-id`, Alibaba `eni-id`); nil when not given.
    public var interface: String?

    public init(source: IPAddress, destination: IPAddress, sourcePort: UInt16, destinationPort: UInt16, ipProtocol: UInt8,
                packets: Int64, bytes: Int64, start: Int64, end: Int64, action: Action? = nil, direction: Direction? = nil,
                tcpFlags: UInt8? = nil, interface: String? = nil) {
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.ipProtocol = ipProtocol
        self.packets = packets
        self.bytes = bytes
        self.start = start
        self.end = end
        self.action = action
        self.direction = direction
        self.tcpFlags = tcpFlags
        self.interface = interface
    }
}

/// A line that could not be read, located: `flows.log:12: srcport: expected a port 0-65535, got 'x'`.
/// The line is skipped and counted; the lines after it are still read.
public struct FlowLogIssue: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// 1-based.
    public var line: Int
    /// The field at fault, when one is.
    public var field: String?
    public var problem: String

    public var description: String { "\(file):\(line): \(field.map { "\($0): " } ?? "")\(problem)" }
}

/// A flow-log file that cannot be used at all: nothing of it is replayed.
public enum FlowLogError: Error, Equatable, Sendable, CustomStringConvertible {
    case cannotOpen(file: String, reason: String)
    /// An OS error, damaged or cut-short gzip data, or a compression that is not read.
    case unreadable(file: String, reason: String)
    /// A header line whose format lacks a field the replay needs.
    case unusableFormat(file: String, line: Int, problem: String)

    public var description: String {
        switch self {
        case .cannotOpen(let file, let reason): "\(file): \(reason)"
        case .unreadable(let file, let reason): "\(file): \(reason)"
        case .unusableFormat(let file, let line, let problem): "\(file):\(line): \(problem)"
        }
    }
}
