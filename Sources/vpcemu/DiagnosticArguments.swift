import ArgumentParser
import VPCEmu

/// What the diagnostics (ping, traceroute, analyze, doctor) share: the topology, `--at`,
/// `--json`, and how they load the topology, report what does not fit it and print.
struct DiagnosticArguments: ParsableArguments {
    @OptionGroup var topology: TopologyFileArgument

    @OptionGroup var time: TimeOption

    @Flag(help: "Print JSON instead of text.")
    var json = false

    /// Loads the topology and runs `body` on it. A topology that does not load, or an error of
    /// `body` (a name or value that does not fit the topology), goes to stderr and exits with `failure`.
    func run<Output>(_ command: String, failure: ExitCode, _ body: (Topology) throws -> Output) throws -> Output {
        let loaded = try loadTopology(topology.file, failure: failure)
        do {
            return try body(loaded.topology)
        } catch {
            printError("\(command): \(error)")
            throw failure
        }
    }

    /// Prints `text`, or with `--json` what `makeJSON` returns (which ends without a newline).
    func print(text: String, json makeJSON: () throws -> String) throws {
        if json { Swift.print(try makeJSON()) } else { Swift.print(text, terminator: "") }
    }
}
