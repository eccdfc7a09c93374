import ArgumentParser
import VPCEmu

/// `vpcemu topology show FILE [--at TIME] [--json]`: the world at one time.
struct TopologyShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show VPCs, vSwitches, instances, peering states and effective routes at a time."
    )

    @OptionGroup var topology: TopologyFileArgument

    @Option(help: "Emulated time since start, e.g. 90s, 2h, 7d (default 0).", transform: parseTime)
    var at: EmulatedTime = .zero

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    func run() throws {
        let loaded = try loadTopology(topology.file)
        let snapshot = TopologySnapshot(TopologyTimeline.state(of: loaded.topology, at: at))
        print(json ? try snapshot.json() : snapshot.text, terminator: json ? "\n" : "")
    }
}

/// Parses `--at` values.
func parseTime(_ text: String) throws -> EmulatedTime {
    guard let time = EmulatedTime(parsing: text) else {
        throw ValidationError("'\(text)' is not a time: expected a duration since start such as 90s, 250ms, 2h or 7d")
    }
    return time
}

/// Loads a topology or prints its errors to stderr and fails.
func loadTopology(_ path: String) throws -> LoadedTopology {
    do {
        return try TopologyLoader.load(contentsOf: path)
    } catch {
        printError(error.description)
        throw ExitCode.failure
    }
}
