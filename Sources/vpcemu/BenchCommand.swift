import ArgumentParser

/// `vpcemu bench …`: throughput of the performance cores, each measured on files, not in tests.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure lookup, classification, parsing and replay throughput.",
        subcommands: [
            BenchParseCommand.self,
            BenchLPMCommand.self,
            BenchACLCommand.self,
            BenchReplayCommand.self,
        ]
    )
}
