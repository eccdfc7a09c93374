import ArgumentParser
import Foundation
import VPCEmu
import VPCEmuBench

/// `vpcemu bench replay TOPOLOGY CAPTURE`: pipeline throughput (outputs off) against libpcap's loop.
struct BenchReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Mpps of the forwarding pipeline (outputs off) next to libpcap's pcap_next_ex loop on the same file, same run."
    )

    @Argument(help: "Topology file (YAML).", completion: .file())
    var topology: String

    @Argument(help: "A pcap or pcapng file.", completion: .file())
    var capture: String

    @Option(name: .customLong("repeat"), help: "Rounds of each measurement; the best is reported.")
    var repeat_ = 3

    @Flag(help: "Queue instead of police on inter-region peerings.")
    var shape = false

    @Option(help: ArgumentHelp("Rewrite addresses as `replay --map` does, on the reader thread (repeatable).", valueName: "FROM=TO"))
    var map: [String] = []

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func validate() throws {
        if repeat_ < 1 { throw ValidationError("--repeat must be at least 1.") }
    }

    func run() throws {
        let loaded: LoadedTopology
        let loadStart = ContinuousClock.now
        do { loaded = try TopologyLoader.load(contentsOf: topology) } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        let topologySeconds = (ContinuousClock.now - loadStart) / .seconds(1)
        let addressMap = map.isEmpty ? nil : try ReplayMappingOptions.addressMap(map)
        var result: ReplayBenchmark.Result
        let progress = ProgressLine()
        do {
            defer { progress.finish() }
            result = try ReplayBenchmark.run(topology: loaded.topology, path: capture, rounds: repeat_, options: .init(shape: shape),
                                             map: addressMap, progress: progress.phase)
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        result.topologySeconds = topologySeconds
        if json {
            print(try SnakeCaseJSON.encode(result))
            return
        }
        print("""
            \(result.file): \(result.packets) packets, \(result.delivered) delivered
              pipeline       \(String(format: "%.2f", result.pipelinePacketsPerSecond / 1e6)) Mpps   (read on a second thread + parse + forward, outputs off)
              libpcap loop   \(String(format: "%.2f", result.libpcapPacketsPerSecond / 1e6)) Mpps   (pcap_next_ex only, same file, same run)
              ratio          \(String(format: "%.2f", result.ratio))x   best of \(result.rounds) rounds each
              CPU / packet   \(String(format: "%.0f", result.pipelineCPUNanosecondsPerPacket)) ns pipeline (both threads; forwarding thread \(String(format: "%.0f", result.forwardingThreadCPUNanosecondsPerPacket)) ns), \(String(format: "%.0f", result.libpcapCPUNanosecondsPerPacket)) ns libpcap loop
              peak RSS       \(String(format: "%.1f", Double(result.peakResidentBytes) / 1_048_576)) MiB
              set-up         \(String(format: "%.3f", topologySeconds)) s topology load, \(String(format: "%.3f", result.pipelineBuildSeconds)) s pipeline build (not in the rates)
            """)
        for (code, count) in result.dropsByReason.sorted(by: { $0.key < $1.key }) { print("  drop \(code): \(count)") }
    }
}
