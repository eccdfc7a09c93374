import ArgumentParser
import VPCEmu

/// `vpcemu topology …`: check, show and draw topology files.
struct TopologyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topology",
        abstract: "Check, show and draw topology files.",
        subcommands: [
            TopologyCheckCommand.self,
            TopologyShowCommand.self,
            TopologyGraphCommand.self,
        ]
    )
}

/// The topology file argument shared by the topology subcommands.
struct TopologyFileArgument: ParsableArguments {
    @Argument(help: "The topology file (YAML; see docs/topology.md).")
    var file: String
}

/// `--at TIME`, shared by the subcommands that look at one point of the timeline.
struct TimeOption: ParsableArguments {
    @Option(help: ArgumentHelp("Emulated time since start, e.g. 90s, 2h, 7d (default 0).", valueName: "time"), transform: parseTime)
    var at: EmulatedTime = .zero
}

/// Parses `--at` values.
func parseTime(_ text: String) throws -> EmulatedTime {
    do {
        return try EmulatedTime(validating: text)
    } catch .tooLarge {
        throw ValidationError("'\(text)' is too large (at most \(EmulatedDuration.maximumDays) days)")
    } catch {
        throw ValidationError("'\(text)' is not a time: expected a duration since start such as 90s, 250ms, 2h or 7d")
    }
}
