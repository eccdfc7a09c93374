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
            and a fix. Exits 0 when every analyzed direction is reachable, 1 when one is blocked, 64 when \
            an endpoint or the protocol does not fit the topology.
            """
    )

    @OptionGroup var topology: TopologyFileArgument

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

    @OptionGroup var time: TimeOption

    @Flag(help: "Analyze the reply path too (stateful security groups let it out; routes and ACLs must allow it).")
    var reverse = false

    @Flag(name: .customShort("6"), help: "Use the instances' IPv6 addresses (implied by an IPv6 address endpoint).")
    var ipv6 = false

    @Flag(help: "Print JSON (an array with one report per protocol).")
    var json = false

    var endpoints: [ReachabilityEndpoint] { [ReachabilityEndpoint(from), ReachabilityEndpoint(to)] }

    var family: AddressFamily { ReachabilityEndpoint.family(endpoints, ipv6: ipv6) }

    var protocols: [ReachabilityFlow.FlowProtocol] {
        flowProtocol == "all" ? ReachabilityFlow.FlowProtocol.all(for: family)
            : ReachabilityFlow.FlowProtocol(rawValue: flowProtocol).map { [$0] } ?? []
    }

    func validate() throws {
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
        let loaded = try loadTopology(topology.file)
        let analyzer = ReachabilityAnalyzer(topology: loaded.topology, at: time.at)
        var reports: [ReachabilityReport] = []
        do {
            let source = try endpoints[0].address(in: loaded.topology, family: family)
            let destination = try endpoints[1].address(in: loaded.topology, family: family)
            for flowProtocol in protocols {
                let flow = try ReachabilityFlow(source: source, destination: destination, ipProtocol: flowProtocol,
                                                sourcePort: sourcePort ?? ReachabilityFlow.defaultSourcePort, destinationPort: port ?? 0)
                reports.append(analyzer.analyze(flow, reverse: reverse))
            }
        } catch let error as ReachabilityEndpoint.ResolveError {
            printError("error: \(error)")
            throw ExitCode.validationFailure
        } catch let error as ReachabilityFlow.FlowError {
            printError("error: \(error)")
            throw ExitCode.validationFailure
        }
        print(json ? try ReachabilityReport.json(reports) : reports.map(\.text).joined(separator: "\n"), terminator: json ? "\n" : "")
        if !reports.allSatisfy(\.isReachable) { throw ExitCode.failure }
    }
}
