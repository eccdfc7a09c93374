import ArgumentParser
import VPCEmu

/// `vpcemu analyze TOPOLOGY --from A --to B --protocol P [--port N] [--at TIME] [--reverse] [-6] [--json]`.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyze whether a flow is reachable, hop by hop, without sending packets.",
        discussion: """
            Walks the forwarding pipeline's stages for the flow (security groups, network ACLs, routes, \
            peering) and prints each decision; a blocked flow names the component, the drop reason code \
            and a fix. Exit status: 0 when every analyzed direction is reachable, 1 when one is blocked, \
            \(DiagnosticArguments.exitStatusHelp)
            """
    )

    @OptionGroup var common: DiagnosticArguments

    @Option(help: ArgumentHelp("Source: an instance name or an address.", valueName: "instance|address"))
    var from: String

    @Option(help: ArgumentHelp("Destination: an instance name or an address.", valueName: "instance|address"))
    var to: String

    @Option(name: .customLong("protocol"), help: "tcp, udp, icmp, icmpv6, or all (each of tcp, udp and ICMP of the family).")
    var flowProtocol: String

    @Option(help: "Destination port (tcp and udp; required for them and for all).")
    var port: UInt16?

    @Option(help: "Source port (tcp and udp; default 49152).")
    var sourcePort: UInt16?

    @Flag(help: "Analyze the reply path too (stateful security groups let it out; routes and ACLs must allow it).")
    var reverse = false

    @Flag(name: .customShort("6"), help: "Use the instances' IPv6 addresses (an IPv6 address endpoint implies it).")
    var ipv6 = false

    /// The protocols `--protocol` names for flows of `family` (`all`: TCP, UDP and the family's ICMP).
    func protocols(for family: AddressFamily) -> [ReachabilityFlow.FlowProtocol] {
        flowProtocol == "all" ? ReachabilityFlow.FlowProtocol.all(for: family)
            : ReachabilityFlow.FlowProtocol(rawValue: flowProtocol).map { [$0] } ?? []
    }

    func validate() throws {
        // TCP and UDP are in `all` of either family, so IPv4 stands for both here.
        let protocols = protocols(for: .ipv4)
        guard !protocols.isEmpty else {
            throw ValidationError("'\(flowProtocol)' is not a protocol: expected tcp, udp, icmp, icmpv6 or all")
        }
        let hasPorts = protocols.contains(where: \.hasPorts)
        if port == nil, hasPorts { throw ValidationError("--port is required with --protocol \(flowProtocol)") }
        if port != nil || sourcePort != nil, !hasPorts {
            throw ValidationError("--port and --source-port apply to tcp and udp, not \(flowProtocol)")
        }
    }

    func run() throws {
        let reports = try common.run("analyze") { topology in
            let endpoints = try DiagnosticEndpoints(topology: topology, source: EndpointArgument(flag: "--from", text: from),
                                                    destination: EndpointArgument(flag: "--to", text: to), ipv6: ipv6)
            let analyzer = ReachabilityAnalyzer(topology: topology, at: common.time.at)
            return try protocols(for: endpoints.family).map { flowProtocol in
                let flow = try ReachabilityFlow(source: endpoints.sourceAddress, destination: endpoints.destinationAddress,
                                                ipProtocol: flowProtocol, sourcePort: sourcePort ?? ReachabilityFlow.defaultSourcePort,
                                                destinationPort: port ?? 0)
                return analyzer.analyze(flow, reverse: reverse)
            }
        }
        try common.print(text: reports.map(\.text).joined(separator: "\n")) { try ReachabilityReport.json(reports) }
        if !reports.allSatisfy(\.isReachable) { throw ExitCode.failure }
    }
}
