import Foundation

/// What ping and traceroute print (text or JSON) and the exit status they end with.
public protocol ProbeReport {
    var text: String { get }
    func json() throws -> String
    var exitStatus: Int32 { get }
}

/// ping's output, in the form iputils prints it, and its JSON form.
extension Ping.Result: ProbeReport {
    /// `PING ecs-hub (10.0.1.10) from 10.1.1.10 ecs-b1: 56(84) bytes of data.`, one line per
    /// request (a reply, or where it was dropped), then the statistics block. A flood (`-f`)
    /// prints one line per distinct drop instead of one per request.
    public var text: String {
        let endpoints = endpoints
        let ipHeader = endpoints.destinationAddress.family == .ipv4 ? 28 : 48
        var lines = ["PING \(endpoints.destinationHeader) from \(endpoints.sourceAddress) \(endpoints.sourceInstance ?? endpoints.source): "
            + "\(options.payloadSize)(\(options.payloadSize + ipHeader)) bytes of data."]
        if let note { lines.append("note: \(note)") }
        if options.quiet {
            // -q: the header and the statistics only.
        } else if options.flood {
            lines += floodSummary
        } else {
            lines += replies.map(line)
        }
        let statistics = statistics
        var counts = "\(statistics.transmitted) packets transmitted, \(statistics.received) received"
        if statistics.errors > 0 { counts += ", +\(statistics.errors) errors" }
        counts += ", \(Self.percent(statistics.lossPercent))% packet loss, time \(statistics.timeNanoseconds / 1_000_000)ms"
        lines += ["", "--- \(endpoints.destinationName) ping statistics ---", counts]
        if let min = statistics.rttMinNanoseconds, let avg = statistics.rttAvgNanoseconds,
           let max = statistics.rttMaxNanoseconds, let mdev = statistics.rttMdevNanoseconds {
            lines.append("rtt min/avg/max/mdev = \([min, avg, max, mdev].map { Self.milliseconds(Double($0) / 1e6) }.joined(separator: "/")) ms")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func line(_ reply: Ping.Reply) -> String {
        switch reply.status {
        case .reply:
            let bytes = options.payloadSize + TransportHeaderLength.icmp
            let from = options.numeric ? "\(endpoints.destinationAddress)" : endpoints.destinationLabel
            return "\(bytes) bytes from \(from): icmp_seq=\(reply.sequence) ttl=\(reply.ttl ?? 0) "
                + "time=\(Self.milliseconds(Double(reply.rttNanoseconds ?? 0) / 1e6)) ms"
        case .dropped:
            guard let drop = reply.drop else { return "From ? icmp_seq=\(reply.sequence)" }
            return "From \(drop.location) icmp_seq=\(reply.sequence) \(Self.what(drop)) (\(drop.description))"
        case .left:
            return "icmp_seq=\(reply.sequence) no reply expected: leaves through \(reply.leftThrough ?? "a gateway outside the model")"
        case .late:
            let rtt = reply.rttNanoseconds.map { ", reply after \(Self.milliseconds(Double($0) / 1e6)) ms" } ?? ""
            return "no answer yet for icmp_seq=\(reply.sequence)\(rtt)"
        }
    }

    /// One line per distinct drop (where, what, on which leg), with how many requests and the first seq.
    private var floodSummary: [String] {
        var lines = drops.entries.map { entry in
            "From \(entry.drop.location) \(entry.requests) requests \(Self.what(entry.drop)), first icmp_seq=\(entry.firstSequence) "
                + "(\(entry.drop.description))"
        }
        if drops.late > 0 { lines.append("no answer within -W for \(drops.late) requests") }
        return lines
    }

    /// `non-transitive`, or `reply dropped: security-group-denied` when the answer was dropped.
    private static func what(_ drop: ProbeDrop) -> String {
        drop.onAnswer ? "echo reply \(drop.code)" : drop.code
    }

    static func milliseconds(_ value: Double) -> String { String(format: "%.3f", value) }

    /// `%g` as iputils prints the loss: `0`, `25`, `16.6667`.
    static func percent(_ value: Double) -> String { String(format: "%g", value) }

    /// The result for scripts: the endpoints, one entry per request and the statistics.
    public func json() throws -> String {
        let document = PingDocument(
            endpoints: EndpointsDocument(endpoints), note: note, payloadBytes: options.payloadSize,
            intervalNanoseconds: options.interval.nanoseconds, startNanoseconds: options.start.nanoseconds,
            replies: replies, statistics: statistics)
        return try SnakeCaseJSON.encode(document)
    }
}

struct PingDocument: Encodable {
    var endpoints: EndpointsDocument
    var note: String?
    var payloadBytes: Int
    var intervalNanoseconds: Int64
    var startNanoseconds: Int64
    var replies: [Ping.Reply]
    var statistics: PingStatistics
}

/// The two ends of a ping or traceroute in JSON.
struct EndpointsDocument: Encodable {
    var source: String
    var sourceAddress: String
    var destination: String
    var destinationAddress: String
    var destinationInstance: String?
    /// The vSwitch whose gateway the destination address is.
    var gateway: String?

    init(_ endpoints: DiagnosticEndpoints) {
        source = endpoints.source
        sourceAddress = "\(endpoints.sourceAddress)"
        destination = endpoints.destination
        destinationAddress = "\(endpoints.destinationAddress)"
        destinationInstance = endpoints.destinationInstance
        gateway = endpoints.gateway?.vswitch
    }
}
