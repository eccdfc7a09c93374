import ArgumentParser
import Foundation
import VPCEmu

/// `vpcemu generate TOPOLOGY --out FILE.pcap --seed N --flow SPEC…`: synthetic traffic.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write synthetic traffic between named instances to a pcap file (deterministic for a seed).",
        discussion: """
            Each --flow is one of (SRC and DST: instance names or addresses; sizes are IP lengths):
              ping SRC DST [count=4] [interval=1s] [start=0s] [size=84]
              tcp  SRC DST PORT [bytes=10000] [mbps=10] [start=0s]
              syn  SRC DST PORT [count=3] [start=0s]   (unanswered connection attempt)
              udp  SRC DST PORT mbps=RATE [size=1000] [duration=1s] [start=0s]
              mix  SRC DST [count=1000] [pps=10000] [start=0s]   (random 5-tuples, IMIX 46/576/1500 7:4:1)
            Example: vpcemu generate captures/hub-and-spoke.yaml --out t.pcap --flow "ping ecs-b1 ecs-hub count=10"
            """
    )

    @Argument(help: "Topology file (YAML).", completion: .file())
    var topology: String

    @Option(help: "Output pcap file.")
    var out: String

    @Option(help: "Seed for ports and random mixes.")
    var seed: UInt64 = 1

    @Option(help: "A flow (repeatable); see the discussion for the syntax.")
    var flow: [String] = []

    func validate() throws {
        if flow.isEmpty { throw ValidationError("give at least one --flow") }
    }

    func run() throws {
        let loaded: LoadedTopology
        do { loaded = try TopologyLoader.load(contentsOf: topology) } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        do {
            let flows = try flow.map { spec throws(TrafficGenerator.SpecError) in try TrafficGenerator.parse(spec, topology: loaded.topology) }
            let count = try TrafficGenerator(flows: flows, seed: seed).write(to: out)
            print("wrote \(count) packets to \(out)")
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
    }
}
