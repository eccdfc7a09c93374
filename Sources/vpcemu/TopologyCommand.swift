import ArgumentParser

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
