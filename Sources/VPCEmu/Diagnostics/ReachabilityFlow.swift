/// A flow for the reachability analyzer: what the first packet of a connection carries.
/// TCP and UDP carry ports; ICMP and ICMPv6 are an echo request (the reply an echo reply with
/// the same identifier, as the connection tracker expects).
public struct ReachabilityFlow: Sendable, Hashable, CustomStringConvertible {
    public enum FlowProtocol: String, Sendable, Hashable, CaseIterable, Codable {
        case tcp, udp, icmp, icmpv6

        /// The protocols a flow of `family` may use (ICMP for IPv4, ICMPv6 for IPv6).
        public static func all(for family: AddressFamily) -> [FlowProtocol] {
            [.tcp, .udp, family == .ipv4 ? .icmp : .icmpv6]
        }

        public var hasPorts: Bool { self == .tcp || self == .udp }
    }

    /// The first ephemeral port of IANA's dynamic range (RFC 6335), the default source port.
    public static let defaultSourcePort: UInt16 = 49152
    /// Echo identifier of analyzed ICMP flows.
    static let echoIdentifier: UInt16 = 0x5645

    public var source: IPAddress
    public var destination: IPAddress
    public var ipProtocol: FlowProtocol
    public var sourcePort: UInt16
    public var destinationPort: UInt16

    public enum FlowError: Error, Equatable, Sendable, CustomStringConvertible {
        case familyMismatch(source: IPAddress, destination: IPAddress)
        case protocolFamily(FlowProtocol, AddressFamily)
        /// TCP or UDP port 0: reserved (RFC 6335 6), no connection uses it.
        case portZero(FlowProtocol, destination: Bool)

        public var description: String {
            switch self {
            case .familyMismatch(let source, let destination):
                "source \(source) and destination \(destination) are not of the same address family"
            case .protocolFamily(let flowProtocol, let family):
                "protocol \(flowProtocol.rawValue) does not exist over \(family); use \(family == .ipv4 ? "icmp" : "icmpv6")"
            case .portZero(let flowProtocol, let destination):
                "\(flowProtocol.rawValue) \(destination ? "destination" : "source") port 0 is reserved (RFC 6335): use a port from 1 to 65535"
            }
        }
    }

    public init(source: IPAddress, destination: IPAddress, ipProtocol: FlowProtocol, sourcePort: UInt16 = defaultSourcePort,
                destinationPort: UInt16 = 0) throws(FlowError) {
        guard source.family == destination.family else { throw .familyMismatch(source: source, destination: destination) }
        if ipProtocol == .icmp && source.family == .ipv6 || ipProtocol == .icmpv6 && source.family == .ipv4 {
            throw .protocolFamily(ipProtocol, source.family)
        }
        if ipProtocol.hasPorts {
            guard sourcePort != 0 else { throw .portZero(ipProtocol, destination: false) }
            guard destinationPort != 0 else { throw .portZero(ipProtocol, destination: true) }
        }
        self.source = source
        self.destination = destination
        self.ipProtocol = ipProtocol
        self.sourcePort = ipProtocol.hasPorts ? sourcePort : 0
        self.destinationPort = ipProtocol.hasPorts ? destinationPort : 0
    }

    /// The classifier's view of the request (`reply: false`) or of its answer.
    func tuple(reply: Bool) -> FiveTuple {
        let (from, to) = reply ? (destination, source) : (source, destination)
        switch ipProtocol {
        case .tcp, .udp:
            return FiveTuple(source: from, destination: to, sourcePort: reply ? destinationPort : sourcePort,
                             destinationPort: reply ? sourcePort : destinationPort, ipProtocol: ipProtocol == .tcp ? 6 : 17)
        case .icmp, .icmpv6:
            let type: UInt8 = ipProtocol == .icmp ? (reply ? 0 : 8) : (reply ? 129 : 128)
            return FiveTuple(icmpSource: from, destination: to, type: type, code: 0, identifier: Self.echoIdentifier)
        }
    }

    /// TCP flags of the request (SYN) and of the reply (SYN-ACK); none for other protocols.
    func tcpFlags(reply: Bool) -> TCPFlags {
        guard ipProtocol == .tcp else { return [] }
        return reply ? [.syn, .ack] : .syn
    }

    /// `tcp 10.1.1.10:49152 -> 10.0.1.10:22`, `icmp echo request 10.1.1.10 -> 10.0.1.10`.
    public var description: String { describe(reply: false) }

    /// The request, or its reply (`reply: true`), as text.
    public func describe(reply: Bool) -> String {
        let (from, to) = reply ? (destination, source) : (source, destination)
        if ipProtocol.hasPorts {
            let (fromPort, toPort) = reply ? (destinationPort, sourcePort) : (sourcePort, destinationPort)
            // IPv6 addresses are bracketed before a port (RFC 3986 3.2.2).
            func endpoint(_ address: IPAddress, _ port: UInt16) -> String {
                address.family == .ipv6 ? "[\(address)]:\(port)" : "\(address):\(port)"
            }
            return "\(ipProtocol.rawValue) \(endpoint(from, fromPort)) -> \(endpoint(to, toPort))"
        }
        return "\(ipProtocol.rawValue) echo \(reply ? "reply" : "request") \(from) -> \(to)"
    }
}
