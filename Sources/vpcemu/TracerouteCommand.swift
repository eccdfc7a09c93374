import ArgumentParser
import VPCEmu

/// `vpcemu traceroute TOPOLOGY --from INSTANCE DEST`: TTL-limited probes through the emulated VPCs.
struct TracerouteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "traceroute",
        abstract: "Show the VPC routers a probe passes on its way from an instance, as traceroute does.",
        discussion: "Exit status: 0 when the destination answered, 1 when it did not, " + DiagnosticArguments.exitStatusHelp
    )

    @OptionGroup var probe: ProbeArguments

    @Option(name: .customShort("q", allowingJoined: true), help: ArgumentHelp("Probes per hop.", valueName: "queries"))
    var queries = 3

    @Option(name: .customShort("m", allowingJoined: true), help: ArgumentHelp("The largest TTL (hop count) to try.", valueName: "max-hops"))
    var maxHops = 30

    @Flag(name: .customShort("I"), help: "Probe with ICMP echo requests instead of UDP datagrams.")
    var icmp = false

    func run() throws {
        var options = Traceroute.Options(source: probe.from, destination: probe.destination)
        options.queries = queries
        options.maxHops = maxHops
        options.icmp = icmp
        options.ipv6 = probe.ipv6
        options.start = probe.common.time.at
        try probe.run("traceroute") { [options] topology throws(PingError) in try Traceroute.run(topology, options) }
    }
}
