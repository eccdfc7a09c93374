import ArgumentParser
import Foundation
import VPCEmu

/// `vpcemu topology graph FILE [--at TIME] [--svg OUT]`: Graphviz DOT, or SVG through `dot`.
struct TopologyGraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Print the topology as Graphviz DOT, or render it to SVG with --svg.",
        discussion: "Edges are peerings labelled with their state (and bandwidth for inter-region ones); dashed edges carry no traffic."
    )

    @OptionGroup var topology: TopologyFileArgument

    @OptionGroup var time: TimeOption

    @Option(help: ArgumentHelp("Render SVG to this file with Graphviz's dot instead of printing DOT.", valueName: "out"))
    var svg: String?

    func validate() throws {
        if let svg { try OutputOption.validateFile(svg, option: "--svg") }
    }

    func run() throws {
        let loaded = try loadTopology(topology.file, failure: ExitCode(2))
        let dot = TopologyGraph.dot(TopologyTimeline.state(of: loaded.topology, at: time.at))
        guard let svg else {
            print(dot, terminator: "")
            return
        }
        try Self.refuseOverwriting(inputs: [topology.file], with: [svg])
        guard let dotPath = findExecutable("dot") else {
            printError("error: --svg needs Graphviz's 'dot', which is not on PATH. Install Graphviz (apt-get install graphviz), or run without --svg and render the DOT output elsewhere.")
            throw ExitCode.failure
        }
        StopSignal.install()
        try render(dot, with: dotPath, to: svg)
    }

    /// Runs `dot -Tsvg` and writes what it prints to `output` through `AtomicFile` (nothing
    /// appears at `output` unless dot succeeded and the file is complete). After SIGINT or SIGTERM
    /// the temporary file is removed and it exits 130 or 143.
    func render(_ dot: String, with dotPath: String, to output: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: dotPath)
        process.arguments = ["-Tsvg"]
        let input = Pipe(), rendered = Pipe()
        process.standardInput = input
        process.standardOutput = rendered
        try process.run()
        // dot reads the whole graph before it writes, so writing first and reading after cannot block.
        input.fileHandleForWriting.write(Data(dot.utf8))
        try input.fileHandleForWriting.close()
        let svg = rendered.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try StopSignal.exitIfReceived("\(output) was not written")
        guard process.terminationStatus == 0 else {
            printError("error: dot failed with status \(process.terminationStatus)")
            throw ExitCode.failure
        }
        do { try AtomicFile.write(svg, to: output) } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        try StopSignal.exitIfReceived("\(output) was written whole")
        print("wrote \(output)")
    }

    func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
