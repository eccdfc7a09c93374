import ArgumentParser
import VPCEmu

/// `vpcemu traceroute TOPOLOGY --from INSTANCE DEST`: TTL-limited probes through the emulated VPCs.
struct TracerouteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "traceroute",
        abstract: "Show the VPC routers a probe passes on its way from an instance, as traceroute does.",
        discussion: "Exit status: 0 once it ran, whatever it reached (as Linux traceroute; the JSON's reached says whether "
            + "the destination answered), with --exit-status 1 when the destination did not answer; " + DiagnosticArguments.exitStatusHelp
    )

    @OptionGroup var probe: ProbeArguments

    @Option(name: .customShort("q", allowingJoined: true), help: ArgumentHelp("Probes per hop.", valueName: "queries"))
    var queries = 3

    @Option(name: .customShort("m", allowingJoined: true), help: ArgumentHelp("The largest TTL (hop count) to try.", valueName: "max-hops"))
    var maxHops = 30

    @Option(name: .customShort("f", allowingJoined: true), help: ArgumentHelp("The first TTL to try.", valueName: "first-ttl"))
    var firstTTL = 1

    @Flag var method: ProbeMethod = .udp

    @Option(name: .customShort("p", allowingJoined: true),
            help: ArgumentHelp("Destination port: the first of the UDP probes' (default 33434), the TCP probes' (default 80).",
                               valueName: "port"))
    var port: UInt16?

    @Option(name: .customShort("w", allowingJoined: true),
            help: ArgumentHelp("An answer slower than this counts as none (default 5s).", valueName: "wait"),
            transform: parseInterval)
    var wait = EmulatedDuration.seconds(5)

    @Flag(name: .customShort("n"), help: "Print the addresses that answered without their names.")
    var numeric = false

    @Flag(help: "Exit 1 when the destination did not answer.")
    var exitStatus = false

    func run() throws {
        var options = Traceroute.Options(source: probe.from, destination: probe.destination)
        options.queries = queries
        options.maxHops = maxHops
        options.firstTTL = firstTTL
        options.method = method.method
        options.port = port
        options.wait = wait
        options.numeric = numeric
        options.exitStatusIsVerdict = exitStatus
        options.ipv6 = probe.ipv6
        options.start = probe.common.time.at
        try probe.run("traceroute") { [options] topology throws(PingError) in try Traceroute.run(topology, options) }
    }
}

/// traceroute's probe methods as Linux traceroute spells them: `-U`, `-I`, `-T`.
enum ProbeMethod: String, EnumerableFlag {
    case udp, icmp, tcp

    static func name(for value: ProbeMethod) -> NameSpecification {
        switch value {
        case .udp: .customShort("U")
        case .icmp: .customShort("I")
        case .tcp: .customShort("T")
        }
    }

    static func help(for value: ProbeMethod) -> ArgumentHelp? {
        switch value {
        case .udp: "Probe with UDP datagrams."
        case .icmp: "Probe with ICMP echo requests."
        case .tcp: "Probe with TCP SYNs (to -p, default 80)."
        }
    }

    var method: Traceroute.Options.Method {
        switch self {
        case .udp: .udp
        case .icmp: .icmp
        case .tcp: .tcp
        }
    }
}
