import ArgumentParser
import VPCEmu

/// `vpcemu traceroute TOPOLOGY --from INSTANCE DEST`: TTL-limited probes through the emulated VPCs.
struct TracerouteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "traceroute",
        abstract: "Show the VPC routers a probe passes on its way from an instance, as traceroute does.",
        discussion: "Exit status: 0 when the destination answered, 1 when it did not, 2 for a usage or topology error."
    )

    @OptionGroup var topology: TopologyFileArgument

    @Option(help: ArgumentHelp("The instance that sends the probes.", valueName: "instance"))
    var from: String

    @Argument(help: "The destination: an instance name or an IP address.")
    var destination: String

    @Option(name: .customShort("q"), help: "Probes per hop.")
    var queries = 3

    @Option(name: .customShort("m"), help: "The largest TTL (hop count) to try.")
    var maxHops = 30

    @Flag(name: .customShort("I"), help: "Probe with ICMP echo requests instead of UDP datagrams.")
    var icmp = false

    @Flag(name: .customShort("6"), help: "Use the IPv6 addresses of named instances.")
    var ipv6 = false

    @OptionGroup var time: TimeOption

    @Flag(help: "Print JSON instead of traceroute's text.")
    var json = false

    func run() throws {
        let loaded = try loadTopology(topology.file, failure: ExitCode(2))
        var options = Traceroute.Options(source: from, destination: destination)
        options.queries = queries
        options.maxHops = maxHops
        options.icmp = icmp
        options.ipv6 = ipv6
        options.start = time.at
        let result: Traceroute.Result
        do { result = try Traceroute.run(loaded.topology, options) } catch {
            printError("traceroute: \(error)")
            throw ExitCode(2)
        }
        print(json ? try result.json() : result.text, terminator: json ? "\n" : "")
        if result.exitStatus != 0 { throw ExitCode(result.exitStatus) }
    }
}
