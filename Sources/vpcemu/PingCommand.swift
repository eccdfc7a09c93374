import ArgumentParser
import VPCEmu

/// `vpcemu ping TOPOLOGY --from INSTANCE DEST`: echo requests through the emulated VPCs.
struct PingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ping",
        abstract: "Send ICMP echo requests from an instance through the emulated VPCs, as ping does.",
        discussion: "Exit status: 0 when at least one reply came back, 1 when none did, " + DiagnosticArguments.exitStatusHelp
    )

    @OptionGroup var probe: ProbeArguments

    @Option(name: .customShort("c", allowingJoined: true), help: ArgumentHelp("Requests to send.", valueName: "count"))
    var count = 4

    @Option(name: .customShort("i", allowingJoined: true),
            help: ArgumentHelp("Interval between requests (seconds, or 200ms …; default 1s, 1ms with -f).", valueName: "interval"),
            transform: parseInterval)
    var interval: EmulatedDuration?

    @Option(name: .customShort("s", allowingJoined: true), help: ArgumentHelp("ICMP payload bytes.", valueName: "size"))
    var size = 56

    @Option(name: .customShort("W", allowingJoined: true),
            help: ArgumentHelp("A reply with a longer round trip counts as lost (default 10s).", valueName: "timeout"),
            transform: parseInterval)
    var timeout = EmulatedDuration.seconds(10)

    @Flag(name: .customShort("f"), help: "Flood: one request per millisecond unless -i says otherwise; print a summary.")
    var flood = false

    @Flag(help: "Queue packets over bandwidth-limited peerings instead of dropping them (as replay --shape).")
    var shape = false

    func run() throws {
        var options = Ping.Options(source: probe.from, destination: probe.destination)
        options.count = count
        options.interval = interval ?? (flood ? .milliseconds(1) : .seconds(1))
        options.payloadSize = size
        options.timeout = timeout
        options.start = probe.common.time.at
        options.ipv6 = probe.ipv6
        options.flood = flood
        options.shape = shape
        // A flood's text is a summary: without --json its memory stays flat however large -c is.
        options.recordsReplies = probe.common.json
        try probe.run("ping") { [options] topology throws(PingError) in try Ping.run(topology, options) }
    }
}

/// Parses `-i` / `-W` values: seconds, or a number with a unit.
func parseInterval(_ text: String) throws -> EmulatedDuration {
    try parseDuration(text, notADuration: "a duration: expected seconds (0.2) or a number with a unit (200ms, 1s)")
}

/// What ping and traceroute share: the diagnostics' arguments, `--from`, DEST and `-6`.
struct ProbeArguments: ParsableArguments {
    @OptionGroup var common: DiagnosticArguments

    @Option(help: ArgumentHelp("The instance that sends the probes.", valueName: "instance"))
    var from: String

    @Argument(help: "The destination: an instance name or an IP address.")
    var destination: String

    @Flag(name: .customShort("6"), help: "Use the IPv6 addresses of named instances.")
    var ipv6 = false

    /// Runs `body` on the topology, prints its text or JSON and exits with its status (a topology
    /// that does not load or a `PingError`: `DiagnosticArguments.run`).
    func run<Report: ProbeReport>(_ command: String, _ body: (Topology) throws(PingError) -> Report) throws {
        let report = try common.run(command) { topology in try body(topology) }
        try common.print(text: report.text, json: report.json)
        if report.exitStatus != 0 { throw ExitCode(report.exitStatus) }
    }
}
