/// `replay --flow-log F --check-actions` (docs/flow-logs.md, "Checking the logged actions"):
/// each record's logged ACCEPT or REJECT against the model's verdict for its connection at the
/// record's emulated time, asked of `ReachabilityAnalyzer.analyze(_:reverse:)` — independent of
/// the replay loop, so token buckets and the order of packets play no part.
///
/// A record of the opening direction is the analyzer's forward path; a reply record is the reverse
/// path, and is blocked when the request is (no reply can exist). A record logged only at the
/// sending interface (direction egress / out) saw the packets leave: it is judged by the stages
/// at the source (source, security-group egress, network-ACL egress). Disagreements are grouped by
/// (opener instance, server instance, protocol, server port, direction, logged action, where the
/// model blocks).
public struct FlowLogActionCheck: Sendable {
    public struct Group: Sendable, Hashable {
        /// The instance that opened the connection and the one it reached (`describe`: names).
        public var client: String
        public var server: String
        public var ipProtocol: ReachabilityFlow.FlowProtocol
        /// The server's port (TCP, UDP).
        public var port: UInt16?
        /// The records are the server's replies.
        public var isReply: Bool
        public var logged: FlowLogRecord.Action
        /// Where the model stops the traffic the log accepted; nil when the log rejected what the model delivers.
        public var block: ReachabilityBlock?
        public var records = 0
        public var packets: Int64 = 0
        public var bytes: Int64 = 0
        /// `file:line` of the group's first record.
        public var first: String
    }

    /// Records whose logged action the model gives.
    public private(set) var agreeing = 0
    /// Logged ACCEPT the model blocks first, then logged REJECT the model delivers; most packets first.
    public private(set) var disagreements: [Group] = []
    /// Records the model cannot judge, by reason.
    public private(set) var unchecked: [(reason: String, records: Int)] = []

    public var disagreeing: Int { disagreements.reduce(0) { $0 + $1.records } }

    /// Checks every flow of `log`; `start` is the emulated time of the log's first packet (`replay
    /// --start`), `addressMap` what `replay --map` rewrites the packets' addresses with.
    public init(log: FlowLog, topology: Topology, start: Int64 = 0, addressMap: AddressMap? = nil) {
        var owners: [IPAddress: String] = [:]
        for instance in topology.instances {
            for address in instance.addresses where owners[address] == nil { owners[address] = instance.name }
        }
        let origin = log.flows.first?.start ?? 0
        var runtime = TopologyRuntime(topology: topology)
        var analyzer: ReachabilityAnalyzer?
        var cache: [CacheKey: ReachabilityBlock?] = [:]
        var groups: [Group] = []
        var groupIndex: [GroupKey: Int] = [:]
        var skipped: [String: Int] = [:]

        for flow in log.flows {
            guard let logged = flow.action else {
                skipped["no action logged ('-')", default: 0] += 1
                continue
            }
            let (logClient, logServer) = flow.isReply ? (flow.destination, flow.source) : (flow.source, flow.destination)
            let client = addressMap?.map(logClient) ?? logClient, server = addressMap?.map(logServer) ?? logServer
            let (clientPort, serverPort) = flow.isReply ? (flow.destinationPort, flow.sourcePort) : (flow.sourcePort, flow.destinationPort)
            guard let clientName = owners[client], let serverName = owners[server] else {
                skipped["an endpoint is not an instance of the topology (outside the model)", default: 0] += 1
                continue
            }
            let v4 = client.family == .ipv4
            let flowProtocol: ReachabilityFlow.FlowProtocol
            switch flow.ipProtocol {
            case IPProtocolNumber.tcp: flowProtocol = .tcp
            case IPProtocolNumber.udp: flowProtocol = .udp
            case IPProtocolNumber.icmp where v4: flowProtocol = .icmp
            case IPProtocolNumber.icmpv6 where !v4: flowProtocol = .icmpv6
            default:
                skipped["protocol \(flow.ipProtocol): the model analyses TCP, UDP, ICMP and ICMPv6", default: 0] += 1
                continue
            }
            guard let connection = try? ReachabilityFlow(source: client, destination: server, ipProtocol: flowProtocol,
                                                        sourcePort: clientPort, destinationPort: serverPort) else {
                skipped["TCP or UDP port 0", default: 0] += 1
                continue
            }
            let now = EmulatedTime(nanoseconds: (flow.start - origin) * 1_000_000_000 + start)
            if analyzer == nil || now >= runtime.nextChange {
                runtime.advance(to: now)
                analyzer = ReachabilityAnalyzer(topology: topology, at: now)
                cache.removeAll()
            }
            let egressOnly = flow.sides == .egress
            let key = CacheKey(flow: connection, isReply: flow.isReply, egressOnly: egressOnly)
            let block: ReachabilityBlock?
            if let known = cache[key] {
                block = known
            } else {
                block = Self.modelBlock(analyzer!.analyze(connection, reverse: flow.isReply), isReply: flow.isReply, egressOnly: egressOnly)
                cache[key] = block
            }
            if (block == nil) == (logged == .accept) {
                agreeing += 1
                continue
            }
            let groupKey = GroupKey(client: clientName, server: serverName, ipProtocol: flowProtocol, port: flowProtocol.hasPorts ? serverPort : nil,
                                    isReply: flow.isReply, logged: logged, block: block)
            let index: Int
            if let known = groupIndex[groupKey] {
                index = known
            } else {
                index = groups.count
                groupIndex[groupKey] = index
                groups.append(Group(client: clientName, server: serverName, ipProtocol: flowProtocol, port: groupKey.port,
                                    isReply: flow.isReply, logged: logged, block: block, first: log.location(of: flow)))
            }
            groups[index].records += 1
            groups[index].packets += flow.packets
            groups[index].bytes += flow.bytes
        }
        disagreements = groups.sorted {
            ($0.logged == .accept ? 0 : 1, -$0.packets, $0.client, $0.server) < ($1.logged == .accept ? 0 : 1, -$1.packets, $1.client, $1.server)
        }
        unchecked = skipped.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { (reason: $0.key, records: $0.value) }
    }

    /// Where the model stops the record's packets; nil when it delivers them.
    static func modelBlock(_ report: ReachabilityReport, isReply: Bool, egressOnly: Bool) -> ReachabilityBlock? {
        var path = report.forward
        if isReply, path.isDelivered, let reverse = report.reverse { path = reverse }
        guard !path.isDelivered else { return nil }
        let ownPath = !isReply || report.forward.isDelivered
        if egressOnly, ownPath, let block = path.block, ![.source, .securityGroupEgress, .networkACLEgress].contains(block.stage) {
            return nil  // the packets left the logging interface; what happens further on is not in this record
        }
        return path.block
    }

    private struct CacheKey: Hashable {
        var flow: ReachabilityFlow
        var isReply: Bool
        var egressOnly: Bool
    }

    private struct GroupKey: Hashable {
        var client: String, server: String
        var ipProtocol: ReachabilityFlow.FlowProtocol
        var port: UInt16?
        var isReply: Bool
        var logged: FlowLogRecord.Action
        var block: ReachabilityBlock?
    }

    /// The report for a terminal.
    public var text: String {
        let checked = agreeing + disagreeing
        let skippedCount = unchecked.reduce(0) { $0 + $1.records }
        var out = "Action check: \(checked) record\(checked == 1 ? "" : "s") checked, \(agreeing) agree, \(disagreeing) disagree"
        out += skippedCount > 0 ? "; \(skippedCount) not checked\n" : "\n"
        for logged in [FlowLogRecord.Action.accept, .reject] {
            let groups = disagreements.filter { $0.logged == logged }
            guard !groups.isEmpty else { continue }
            out += logged == .accept
                ? "Logged ACCEPT, the model blocks it (this configuration is not what produced this traffic):\n"
                : "Logged REJECT, the model delivers it (a reject the model cannot explain):\n"
            for group in groups {
                let port = group.port.map { "/\($0)" } ?? ""
                out += "  \(group.client) -> \(group.server) \(group.ipProtocol.rawValue)\(port)\(group.isReply ? " replies" : ""): "
                out += "\(group.records) record\(group.records == 1 ? "" : "s"), \(group.packets) packets, \(group.bytes) bytes (first: \(group.first))\n"
                if let block = group.block {
                    out += "      blocked at \(block.stage.rawValue) \(block.component): \(block.code): \(block.reason)\n"
                }
            }
        }
        for (reason, records) in unchecked {
            out += "Not checked: \(records) record\(records == 1 ? "" : "s"): \(reason)\n"
        }
        return out
    }
}
