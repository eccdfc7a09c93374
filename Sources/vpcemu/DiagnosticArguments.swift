import ArgumentParser
import VPCEmu

/// What the diagnostics (ping, traceroute, analyze, doctor) share: the topology, `--at`,
/// `--json`, and how they load the topology, report what does not fit it and print.
struct DiagnosticArguments: ParsableArguments {
    @OptionGroup var topology: TopologyFileArgument

    @OptionGroup var time: TimeOption

    @Flag(help: "Print JSON instead of text.")
    var json = false

    /// The diagnostics' exit statuses besides 0 and 1 (the flow blocked, no reply, a check failed).
    static let exitStatusHelp = "64 for a usage error (a flag, value or name that does not fit the topology), "
        + "2 when the topology does not load."

    /// Loads the topology and runs `body` on it. A topology that does not load goes to stderr and
    /// exits with 2; an error of `body` (a name or value that does not fit the topology) is a usage
    /// error, exit status 64 as for the flags swift-argument-parser refuses.
    func run<Output>(_ command: String, _ body: (Topology) throws -> Output) throws -> Output {
        let loaded = try loadTopology(topology.file, failure: ExitCode(2))
        do {
            return try body(loaded.topology)
        } catch {
            printError("\(command): \(error)")
            throw ExitCode.validationFailure
        }
    }

    /// Prints `text`, or with `--json` what `makeJSON` returns (which ends without a newline).
    func print(text: String, json makeJSON: () throws -> String) throws {
        if json { Swift.print(try makeJSON()) } else { Swift.print(text, terminator: "") }
    }
}
