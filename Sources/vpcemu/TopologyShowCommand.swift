import ArgumentParser
import VPCEmu

/// `vpcemu topology show FILE [--at TIME] [--json]`: the world at one time.
struct TopologyShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show VPCs, vSwitches, instances, peering states, effective routes, security groups and network ACLs at a time."
    )

    @OptionGroup var topology: TopologyFileArgument

    @OptionGroup var time: TimeOption

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    func run() throws {
        let loaded = try loadTopology(topology.file)
        let snapshot = TopologySnapshot(TopologyTimeline.state(of: loaded.topology, at: time.at))
        print(json ? try snapshot.json() : snapshot.text, terminator: json ? "\n" : "")
    }
}

/// Loads a topology or prints its errors to stderr and fails with `failure`.
func loadTopology(_ path: String, failure: ExitCode = .failure) throws -> LoadedTopology {
    do {
        return try TopologyLoader.load(contentsOf: path)
    } catch {
        printError(error.description)
        throw failure
    }
}
