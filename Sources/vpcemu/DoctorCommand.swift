import ArgumentParser
import VPCEmu

/// `vpcemu doctor TOPOLOGY [--peering NAME] [--at TIME] [--json] [--strict]`.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Run the VPC peering troubleshooting checklist on each peering.",
        discussion: """
            Checks the peering state, overlapping and non-RFC 1918 blocks, routes on both sides and in the \
            vSwitches' tables, route destinations, security groups and network ACLs in both directions, and \
            routes that expect a peering to transit. Exit status: 0 when no check fails (and, with --strict, \
            none warns), 1 otherwise, \(DiagnosticArguments.exitStatusHelp)
            """
    )

    @OptionGroup var common: DiagnosticArguments

    @Option(help: "Check only this peering.")
    var peering: String?

    @Flag(help: "Fail on warnings too.")
    var strict = false

    func run() throws {
        let report = try common.run("doctor") { topology in
            try TopologyDoctor(topology: topology, at: common.time.at).diagnose(peering: peering)
        }
        try common.print(text: report.text, json: report.json)
        if report.fails(strict: strict) { throw ExitCode.failure }
    }
}
