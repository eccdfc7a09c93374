import ArgumentParser
import Foundation
import VPCEmu

/// `vpcemu demo`: generated traffic through the bundled inter-region example, replayed.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Generate traffic for captures/inter-region-bandwidth.yaml, replay it and show where the outputs are."
    )

    @Option(help: "Output directory.")
    var out = "vpcemu-demo-out"

    @Option(help: "The example topology.")
    var topology = "captures/inter-region-bandwidth.yaml"

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
    }

    func run() throws {
        let loaded: LoadedTopology
        do { loaded = try TopologyLoader.load(contentsOf: topology) } catch {
            printError("\(error) (run the demo from the VPCEmu checkout, or pass --topology)")
            throw ExitCode(2)
        }
        let capture = (out as NSString).appendingPathComponent("demo-traffic.pcap")
        let generator: TrafficGenerator
        do {
            let flows = try Self.flows.map { spec throws(TrafficGenerator.SpecError) in try TrafficGenerator.parse(spec, topology: loaded.topology) }
            generator = TrafficGenerator(flows: flows, seed: 1)
        } catch {
            printError("\(error)")
            throw ExitCode(2)  // the flows name the bundled example's instances: another topology may lack them
        }
        let options = ReplaySession.Options(writeVerdicts: true)
        do {
            try Self.refuseOverwriting(inputs: [topology], with: [capture] + (try ReplaySession.outputPaths(of: loaded.topology, in: out, options: options)))
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        StopSignal.install()
        try createOutputDirectory(out)
        try Self.removePreviousOutputs([capture])
        let written: Int?
        do { written = try generator.write(to: capture, shouldStop: { StopSignal.received != nil }) } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
        guard let count = written else {
            try StopSignal.exitIfReceived("nothing was written to \(capture)")
            return
        }
        print("generated \(count) packets into \(capture):")
        for flow in Self.flows { print("  \(flow)") }
        print()
        if try ReplayCommand.replay(loaded.topology, input: .captures([capture]), out: out, options: options, inputs: [topology, capture]) == nil {
            throw ExitCode(1)
        }
    }
}
