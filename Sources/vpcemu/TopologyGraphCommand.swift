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

    func run() throws {
        let loaded = try loadTopology(topology.file)
        let dot = TopologyGraph.dot(TopologyTimeline.state(of: loaded.topology, at: time.at))
        guard let svg else {
            print(dot, terminator: "")
            return
        }
        guard let dotPath = findExecutable("dot") else {
            printError("error: --svg needs Graphviz's 'dot', which is not on PATH. Install Graphviz (apt-get install graphviz), or run without --svg and render the DOT output elsewhere.")
            throw ExitCode.failure
        }
        try render(dot, with: dotPath, to: svg)
    }

    /// Runs `dot -Tsvg` into a temporary file next to `output`, then renames it into place.
    func render(_ dot: String, with dotPath: String, to output: String) throws {
        let temporary = output + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: dotPath)
        process.arguments = ["-Tsvg", "-o", temporary]
        let input = Pipe()
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(Data(dot.utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            printError("error: dot failed with status \(process.terminationStatus)")
            throw ExitCode.failure
        }
        guard rename(temporary, output) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            printError("error: cannot write \(output): \(String(cString: strerror(errno)))")
            throw ExitCode.failure
        }
        print("wrote \(output)")
    }

    func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
