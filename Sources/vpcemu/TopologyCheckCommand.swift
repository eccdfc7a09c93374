import ArgumentParser
import VPCEmu

/// `vpcemu topology check FILE [--strict]`: every error and precheck finding, one per line.
struct TopologyCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a topology file and run the peering prechecks.",
        discussion: "Exits 0 when the file is valid. Precheck findings are warnings and do not fail the check unless --strict is given."
    )

    @OptionGroup var topology: TopologyFileArgument

    @Flag(help: "Treat warnings (precheck findings) as errors.")
    var strict = false

    func run() throws {
        let diagnostics: [TopologyDiagnostic]
        do {
            diagnostics = try TopologyLoader.load(contentsOf: topology.file).warnings
        } catch {
            diagnostics = error.diagnostics
        }
        for line in TopologyDiagnostic.render(diagnostics) { print(line) }
        let errors = diagnostics.filter { $0.severity == .error }.count
        let warnings = diagnostics.count - errors
        print("\(topology.file): \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")")
        if errors > 0 || (strict && warnings > 0) { throw ExitCode.failure }
    }
}
