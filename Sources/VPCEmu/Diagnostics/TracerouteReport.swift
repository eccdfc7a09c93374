/// traceroute's output, in the form traceroute prints it, and its JSON form.
extension Traceroute.Result: ProbeReport {
    /// `traceroute to ecs-hub (10.0.1.10) from ecs-b1 (10.1.1.10), 30 hops max, 60 byte packets`,
    /// then one line per hop: who answered each probe and the round trip, `*` for a probe that
    /// got no answer, and where and why it was dropped.
    public var text: String {
        let ipHeader = endpoints.destinationAddress.family == .ipv4 ? 20 : 40
        var lines = ["traceroute to \(endpoints.destinationHeader) from \(endpoints.source) (\(endpoints.sourceAddress)), "
            + "\(options.maxHops) hops max, \(ipHeader + options.probeLength) byte packets"]
        for hop in hops {
            var line = String(repeating: " ", count: max(0, 2 - String(hop.ttl).count)) + "\(hop.ttl) "
            var lastAddress: String?
            var drops: [ProbeDrop] = []
            for probe in hop.probes {
                guard let address = probe.address, let rtt = probe.rttNanoseconds else {
                    line += " *"
                    if let drop = probe.drop, !drops.contains(drop) { drops.append(drop) }
                    continue
                }
                if address != lastAddress {
                    line += probe.name.flatMap { options.numeric ? nil : " \($0) (\(address))" } ?? " \(address)"
                    lastAddress = address
                }
                line += "  \(Ping.Result.milliseconds(Double(rtt) / 1e6)) ms"
            }
            for drop in drops {
                line += "  \(drop.onAnswer ? "answer " : "")\(drop.code) at \(drop.location) (\(drop.description))"
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public func json() throws -> String {
        try SnakeCaseJSON.encode(TracerouteDocument(
            endpoints: EndpointsDocument(endpoints), probe: options.method.rawValue, firstTTL: options.firstTTL, maxHops: options.maxHops,
            queries: options.queries, waitNanoseconds: options.wait.nanoseconds, startNanoseconds: options.start.nanoseconds,
            hops: hops, reached: reached))
    }
}

struct TracerouteDocument: Encodable {
    var endpoints: EndpointsDocument
    var probe: String
    var firstTTL: Int
    var maxHops: Int
    var queries: Int
    var waitNanoseconds: Int64
    var startNanoseconds: Int64
    var hops: [Traceroute.Hop]
    var reached: Bool
}
