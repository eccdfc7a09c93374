import ArgumentParser
import Foundation
import VPCEmu

/// `vpcemu demo`: generated traffic through a bundled example, replayed. The examples are
/// compiled into the binary (Plugins/EmbedExamples), so the demo runs from any directory.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Generate traffic for a bundled example topology, replay it and show where the outputs are.",
        discussion: "The examples (captures/*.yaml of the checkout) are built into vpcemu; --list names them. "
            + "The default, inter-region-bandwidth, gets a curated mix of traffic; any other gets pings between every two instances."
    )

    @Option(help: "Output directory.")
    var out = "vpcemu-demo-out"

    @Option(help: ArgumentHelp("A bundled example (--list), or the path of a topology file.", valueName: "name"))
    var topology = defaultExample

    @Flag(help: "List the bundled examples and exit.")
    var list = false

    static let defaultExample = "inter-region-bandwidth"

    /// Ping and HTTP that arrive, SSH attempts that sg-web's no-ssh rule blocks, a 20 Mbit/s UDP stream
    /// back over the 10 Mbit/s peering (throttled), a ping to an address no route covers, MySQL to
    /// db-hz over the intra-region pcx-hz-db (arrives), and pings from web-sv to db-hz, which would
    /// have to transit vpc-hz (non-transitive).
    static let flows = [
        "ping client-hz web-sv count=10 interval=500ms",
        "tcp client-hz web-sv 80 bytes=400000 mbps=8 start=1s",
        "syn client-hz web-sv 22 count=3 start=2s",
        "udp web-sv client-hz 5000 mbps=20 size=1000 duration=25s start=3s",
        "ping client-hz 10.99.0.1 count=3 start=4s",
        "tcp client-hz db-hz 3306 bytes=200000 mbps=50 start=5s",
        "ping web-sv db-hz count=3 start=6s",
    ]

    func validate() throws {
        try OutputOption.validateDirectory(out)
        // A name without a slash is a bundled example; anything else is a file's path.
        if Self.example(topology) == nil, !topology.contains("/") {
            let names = BundledExamples.files.map { String($0.name.dropLast(".yaml".count)) }
            let suggestion = NameSuggestion.closest(to: topology, in: names).map { ": did you mean \($0)?" } ?? ""
            throw ValidationError("--topology \(topology): no bundled example of that name\(suggestion) (vpcemu demo --list names them; "
                + "a topology file's path needs a /, e.g. ./\(topology))")
        }
    }

    /// A bundled example by name (`hub-and-spoke` or `hub-and-spoke.yaml`); nil when `name` has no
    /// example of that name.
    static func example(_ name: String) -> (name: String, yaml: String)? {
        BundledExamples.files.first { $0.name == name || $0.name == name + ".yaml" }
    }

    /// An example's first sentence of its opening comment, as `--list` shows it.
    static func summary(_ yaml: String) -> String {
        let comment = yaml.split(separator: "\n").prefix { $0.hasPrefix("#") }
            .map { $0.dropFirst().trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        return comment.range(of: ". ").map { String(comment[..<$0.lowerBound]) + "." } ?? comment
    }

    /// The traffic: the curated mix for the default example, else three pings each way between
    /// every two instances, a second apart.
    static func flows(example: String?, topology: Topology) -> [String] {
        if example == defaultExample + ".yaml" { return flows }
        let names = topology.instances.map(\.name)
        return names.flatMap { source in names.filter { $0 != source }.map { (source, $0) } }.enumerated().map { index, pair in
            "ping \(pair.0) \(pair.1) count=3 start=\(index)s"
        }
    }

    func run() throws {
        if list {
            let width = BundledExamples.files.map(\.name.count).max() ?? 0
            for file in BundledExamples.files {
                let name = String(file.name.dropLast(".yaml".count))
                print(name.padding(toLength: width - 5, withPad: " ", startingAt: 0) + "  " + Self.summary(file.yaml))
            }
            return
        }
        let bundled = Self.example(topology)
        let loaded: LoadedTopology
        do {
            loaded = try bundled.map { try TopologyLoader.load(yaml: $0.yaml, file: $0.name) } ?? TopologyLoader.load(contentsOf: topology)
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        let flowSpecs = Self.flows(example: bundled?.name, topology: loaded.topology)
        let inputs = bundled == nil ? [topology] : []
        let capture = (out as NSString).appendingPathComponent("demo-traffic.pcap")
        let generator: TrafficGenerator
        do {
            let flows = try flowSpecs.map { spec throws(TrafficGenerator.SpecError) in try TrafficGenerator.parse(spec, topology: loaded.topology) }
            generator = TrafficGenerator(flows: flows, seed: 1)
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        let options = ReplaySession.Options(writeVerdicts: true)
        do {
            try Self.refuseOverwriting(inputs: inputs, with: [capture] + (try ReplaySession.outputPaths(of: loaded.topology, in: out, options: options)))
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        StopSignal.install()
        try createOutputDirectory(out)
        try Self.removePreviousOutputs([capture])
        guard let count = try GenerateCommand.write(generator, to: capture) else { return }
        print("generated \(count) packets into \(capture):")
        for flow in flowSpecs { print("  \(flow)") }
        print()
        if try ReplayCommand.replay(loaded.topology, input: .captures([capture]), out: out, options: options, inputs: inputs + [capture]) == nil {
            throw ExitCode(1)
        }
    }
}
