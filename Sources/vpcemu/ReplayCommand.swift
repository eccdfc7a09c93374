import ArgumentParser
import Foundation
import Synchronization
import VPCEmu

/// Set by SIGINT; the replay checks it between batches and finishes its outputs.
private let interrupted = Atomic<Bool>(false)

/// `vpcemu replay TOPOLOGY CAPTURE… --out DIR`: the captures through the emulated VPCs.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Forward captured packets through a topology and write what arrived where, drops, metrics and a report.",
        discussion: """
            Several captures are merged in timestamp order (--concatenate: one after another); the \
            first packet is at emulated time 0, or --start. --map rewrites addresses onto the \
            topology before forwarding; --bind names the sender of a source address or block. \
            With --generate SPEC (repeatable, the flows of `vpcemu generate`) the generated traffic \
            is fed straight into the pipeline instead, with the same results as `generate` + `replay`. \
            Writes into DIR, each file atomically: INSTANCE.pcap per instance (what it received, \
            stamped with its arrival time), dropped.pcapng (reason and hop trail as packet \
            comments), report.json, metrics.csv, throughput.svg, and verdicts.jsonl with \
            --verdicts. Ctrl-C stops after the current batch, still writes complete outputs for the \
            packets read, and exits with status 130. \
            When stderr is a terminal and the input is large (32 MiB of captures, a million \
            generated packets), a progress line shows packets, Mpps and the share done. \
            See docs/forwarding.md.
            """
    )

    @Argument(help: "Topology file (YAML).", completion: .file())
    var topology: String

    @Argument(help: "Capture files (pcap or pcapng); none with --generate.", completion: .file())
    var captures: [String] = []

    @Option(help: "Replay generated traffic instead of captures: a flow as `vpcemu generate --flow` takes it (repeatable).")
    var generate: [String] = []

    @Option(help: "Seed for --generate's ports and random mixes (default 1).")
    var seed: UInt64?

    @Option(help: "Output directory (created if needed).")
    var out: String

    @Flag(help: "Queue packets over an inter-region peering's bandwidth (bounded queue) instead of dropping them.")
    var shape = false

    @OptionGroup(title: "Mapping the capture onto the topology")
    var mapping: ReplayMappingOptions

    @Flag(help: "Also write verdicts.jsonl, one line per packet with its hop trail.")
    var verdicts = false

    @Option(help: "Metering interval, e.g. 1s, 100ms.")
    var interval = "1s"

    @Option(name: .customLong("dense-metrics"), help: ArgumentHelp(
        "Also write idle intervals to metrics.csv within a span from the first packet: LENGTH or START+LENGTH, e.g. 10m or 2h+30s (at most 1,000,000 intervals).",
        valueName: "span"))
    var denseMetrics: String?

    func validate() throws {
        if captures.isEmpty == generate.isEmpty {
            throw ValidationError(captures.isEmpty ? "give capture files or --generate SPEC" : "give capture files or --generate SPEC, not both")
        }
        if seed != nil, generate.isEmpty { throw ValidationError("--seed applies only to --generate") }
    }

    func run() throws {
        guard let duration = EmulatedDuration(parsing: interval), duration.nanoseconds > 0 else {
            throw ValidationError("--interval \(interval): expected a positive duration such as 1s or 250ms")
        }
        let start = try mapping.startNanoseconds(), inputOptions = try mapping.inputOptions()
        let loaded: LoadedTopology
        do { loaded = try TopologyLoader.load(contentsOf: topology) } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        let bindings = try mapping.bindings(instances: loaded.topology.instances.map(\.name))
        let dense = try denseMetrics.map { text in
            guard let span = MetricsCSV.DenseSpan(parsing: text) else {
                throw ValidationError("--dense-metrics \(text): expected LENGTH or START+LENGTH, e.g. 10m or 2h+30s")
            }
            return span
        }
        let options = ReplaySession.Options(pipeline: .init(shape: shape, bindings: bindings, start: start), writeVerdicts: verdicts,
                                            interval: duration.nanoseconds, input: inputOptions, denseMetrics: dense)
        var input = ReplayInput.captures(captures)
        if !generate.isEmpty {
            do {
                let flows = try generate.map { spec throws(TrafficGenerator.SpecError) in try TrafficGenerator.parse(spec, topology: loaded.topology) }
                input = .generated(TrafficGenerator(flows: flows, seed: seed ?? 1))
            } catch {
                printError("\(error)")
                throw ExitCode.validationFailure
            }
        }
        let report = try Self.replay(loaded.topology, input: input, out: out, options: options)
        if report == nil { throw ExitCode(1) }
    }

    /// Runs the replay and prints the summary; nil (after printing the error) when it failed. After
    /// Ctrl-C the outputs are finished for what was read, then it throws exit status 130.
    static func replay(_ topology: Topology, input: ReplayInput, out: String, options: ReplaySession.Options) throws -> ReplayReport? {
        signal(SIGINT) { _ in interrupted.store(true, ordering: .relaxed) }
        defer { signal(SIGINT, SIG_DFL) }
        let end: ReplaySession.FeedEnd
        let report: ReplayReport
        do {
            let session = try ReplaySession(topology: topology, outputDirectory: out, options: options)
            let progress = ProgressLine(for: input)
            end = try session.feed(input, shouldStop: { interrupted.load(ordering: .relaxed) }, progress: progress.update)
            progress.finish()
            report = try session.finish()
            print(ReplaySummary.text(report, pipeline: session.pipeline, out: out))
        } catch {
            printError("\(error)")
            // Metering options that do not fit are refused before any output: a usage error.
            if error.isUsageError { throw ExitCode.validationFailure }
            return nil
        }
        switch end {
        case .completed:
            return report
        case .stopped:
            printError("interrupted: outputs cover the packets read so far")
            throw ExitCode(130)  // 128 + SIGINT, what a shell reports for a process the signal ended
        case .readFailed(let error):
            printError("\(error) (outputs cover the packets before it)")
            return nil
        }
    }
}
