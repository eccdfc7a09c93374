import ArgumentParser
import VPCEmu

/// `vpcemu ping TOPOLOGY --from INSTANCE DEST`: echo requests through the emulated VPCs.
struct PingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ping",
        abstract: "Send ICMP echo requests from an instance through the emulated VPCs, as ping does.",
        discussion: "Exit status: 0 when at least one reply came back (with -c and -w, -c of them), 1 otherwise, "
            + DiagnosticArguments.exitStatusHelp
    )

    @OptionGroup var probe: ProbeArguments

    @Option(name: .customShort("c", allowingJoined: true), help: ArgumentHelp("Requests to send (default 4; with -w, as many as fit).", valueName: "count"))
    var count: Int?

    @Option(name: .customShort("w", allowingJoined: true),
            help: ArgumentHelp("Deadline: stop sending after this long; a later reply is lost.", valueName: "deadline"),
            transform: parseInterval)
    var deadline: EmulatedDuration?

    @Option(name: .customShort("t", allowingJoined: true), help: ArgumentHelp("TTL (hop limit) of the requests.", valueName: "ttl"))
    var ttl = Int(Ping.Options.requestTTL)

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

    @Flag(name: .customShort("q"), help: "Quiet: print the header and the statistics only.")
    var quiet = false

    @Flag(name: .customShort("n"), help: "Numeric: name the replying destination by its address.")
    var numeric = false

    @Flag(help: "Queue packets over bandwidth-limited peerings instead of dropping them (as replay --shape).")
    var shape = false

    func run() throws {
        var options = Ping.Options(source: probe.from, destination: probe.destination)
        // iputils: -w without -c sends until the deadline; -c with -w needs -c replies to exit 0.
        options.count = count ?? (deadline == nil ? 4 : Ping.Options.maximumCount)
        options.deadline = deadline
        if let count, deadline != nil { options.requiredReplies = count }
        options.ttl = ttl
        options.quiet = quiet
        options.numeric = numeric
        options.interval = interval ?? (flood ? .milliseconds(1) : .seconds(1))
        options.payloadSize = size
        options.timeout = timeout
        options.start = probe.common.time.at
        options.ipv6 = probe.ipv6
        options.flood = flood
        options.shape = shape
        // A flood's and -q's text is a summary: without --json its memory stays flat however large -c is.
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

    @Option(help: ArgumentHelp("The source: an instance name or one of its addresses.", valueName: "source"))
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
