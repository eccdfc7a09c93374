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

/// Parses `--at` values: a duration since start.
func parseTime(_ text: String) throws -> EmulatedTime {
    let sinceStart = try parseDuration(text, notADuration: "a time: expected a duration since start such as 90s, 250ms, 2h or 7d")
    return EmulatedTime(nanoseconds: sinceStart.nanoseconds)
}

/// Parses a duration-valued flag (`--at`, `-i`, `-W`), telling a value too large for the emulated
/// clock from one that is not a duration at all (`notADuration`: what was expected instead).
func parseDuration(_ text: String, notADuration: String) throws -> EmulatedDuration {
    do {
        return try EmulatedDuration(validating: text)
    } catch .tooLarge {
        throw ValidationError("'\(text)' is too large (at most \(EmulatedDuration.maximumDays) days)")
    } catch {
        throw ValidationError("'\(text)' is not \(notADuration)")
    }
}
