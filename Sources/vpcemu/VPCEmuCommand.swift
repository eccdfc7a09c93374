import ArgumentParser

@main
struct VPCEmuCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vpcemu",
        abstract: "Packet-level data-plane emulator for peered cloud VPCs.",
        version: "0.1.0",
        subcommands: [
            AnalyzeCommand.self,
            BenchCommand.self,
            DemoCommand.self,
            DoctorCommand.self,
            GenerateCommand.self,
            ImportCommand.self,
            InspectCommand.self,
            PingCommand.self,
            ReplayCommand.self,
            TopologyCommand.self,
            TracerouteCommand.self,
        ]
    )
}
