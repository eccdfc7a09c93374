import ArgumentParser
import Foundation
import VPCEmu

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
            With --flow-log FILE (repeatable) the records of AWS VPC or Alibaba Cloud flow logs are \
            replayed as packets (docs/flow-logs.md); --check-actions then also compares each record's \
            logged ACCEPT or REJECT with the model's verdict and exits with status 1 when they disagree. \
            Writes into DIR, each file atomically: INSTANCE.pcap per instance (what it received, \
            stamped with its arrival time), dropped.pcapng (reason and hop trail as packet \
            comments), report.json, metrics.csv, throughput.svg, and verdicts.jsonl with \
            --verdicts. Every input is opened and every option checked before anything is written; \
            then the previous run's files of these names are removed. Inputs of different link types \
            give raw-IP INSTANCE.pcap files. SIGINT or SIGTERM stops after the current batch, still \
            writes complete outputs for the packets read, and exits with status 130 or 143. \
            When stderr is a terminal and the input is large (32 MiB of captures, a million \
            generated packets), a progress line shows packets, Mpps and the share done. \
            See docs/forwarding.md.
            """
    )

    @Argument(help: "Topology file (YAML).", completion: .file())
    var topology: String

    @Argument(help: "Capture files (pcap or pcapng); none with --generate or --flow-log.", completion: .file())
    var captures: [String] = []

    @Option(help: "Replay generated traffic instead of captures: a flow as `vpcemu generate --flow` takes it (repeatable).")
    var generate: [String] = []

    @Option(help: "Seed for --generate's ports and random mixes and --flow-log's packet times (default 1).")
    var seed: UInt64?

    @Option(name: .customLong("flow-log"), help: ArgumentHelp(
        "Replay the records of a flow log instead of captures: AWS VPC (default or custom format) or Alibaba Cloud, plain or gzip (repeatable).",
        valueName: "file"), completion: .file())
    var flowLogs: [String] = []

    @Flag(help: "With --flow-log: list the records whose logged ACCEPT/REJECT the model disagrees with (exit status 1 when any).")
    var checkActions = false

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
        let inputKinds = [captures.isEmpty, generate.isEmpty, flowLogs.isEmpty].filter { !$0 }.count
        if inputKinds != 1 {
            throw ValidationError("give capture files, --generate SPEC or --flow-log FILE" + (inputKinds > 1 ? ", only one of them" : ""))
        }
        if seed != nil, generate.isEmpty, flowLogs.isEmpty { throw ValidationError("--seed applies only to --generate and --flow-log") }
        if checkActions, flowLogs.isEmpty { throw ValidationError("--check-actions applies only to --flow-log") }
        if checkActions, !mapping.bind.isEmpty {
            throw ValidationError("--check-actions judges each record by its addresses and cannot take --bind")
        }
        _ = try intervalNanoseconds()
        _ = try denseSpan()
        _ = try mapping.bindings(instances: nil)
        _ = try mapping.inputOptions()
        _ = try mapping.startNanoseconds()
        try OutputOption.validateDirectory(out)
    }

    private func intervalNanoseconds() throws -> Int64 {
        guard let duration = EmulatedDuration(parsing: interval), duration.nanoseconds > 0 else {
            throw ValidationError("--interval \(interval): expected a positive duration such as 1s or 250ms")
        }
        return duration.nanoseconds
    }

    private func denseSpan() throws -> MetricsCSV.DenseSpan? {
        try denseMetrics.map { text in
            guard let span = MetricsCSV.DenseSpan(parsing: text) else {
                throw ValidationError("--dense-metrics \(text): expected LENGTH or START+LENGTH, e.g. 10m or 2h+30s")
            }
            return span
        }
    }

    func run() throws {
        let loaded = try loadTopology(topology, failure: ExitCode(2))
        let bindings = try mapping.bindings(instances: loaded.topology.instances.map(\.name))
        let options = ReplaySession.Options(pipeline: .init(shape: shape, bindings: bindings, start: try mapping.startNanoseconds()),
                                            writeVerdicts: verdicts, interval: try intervalNanoseconds(),
                                            input: try mapping.inputOptions(), denseMetrics: try denseSpan())
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
        var flowLog: FlowLog?
        if !flowLogs.isEmpty {
            let log = try Self.readFlowLogs(flowLogs)
            input = .flowLog(FlowLogTraffic(log: log, seed: seed ?? 1))
            flowLog = log
        }
        let report = try Self.replay(loaded.topology, input: input, out: out, options: options, inputs: [topology] + captures + flowLogs)
        if report == nil { throw ExitCode(1) }
        if checkActions, let flowLog {
            let check = FlowLogActionCheck(log: flowLog, topology: loaded.topology, start: options.pipeline.start,
                                           addressMap: options.input.addressMap)
            print(check.text, terminator: "")
            if !check.disagreements.isEmpty { throw ExitCode(1) }
        }
    }

    /// Reads the flow logs before anything is written (exit 2 for a file that cannot be used) and
    /// reports the lines skipped, located, on stderr.
    static func readFlowLogs(_ paths: [String]) throws -> FlowLog {
        let log: FlowLog
        do { log = try FlowLog.read(paths) } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        log.notes.forEach { printError($0) }
        log.issues.forEach { printError("\($0) (line skipped)") }
        let counts = log.counts
        if counts.malformed > log.issues.count { printError("… \(counts.malformed - log.issues.count) more malformed lines skipped") }
        printError("flow log: \(counts.records) records (\(counts.duplicates) seen at both ends kept once), \(counts.noData) NODATA, "
                   + "\(counts.skipData) SKIPDATA, \(counts.malformed) malformed lines skipped; \(log.totalPackets) packets to replay")
        return log
    }

    /// Checks what the replay needs before it writes anything, runs it and prints the summary; nil
    /// (after printing the error) when it failed. Every capture is opened first (exit 2 when one
    /// cannot be read), every output name checked (exit 2 for an instance name that is not a safe
    /// file name; 64 for an output that is one of `inputs`); then the previous run's outputs of
    /// these names are removed. After SIGINT or SIGTERM the outputs are finished for what was read,
    /// then it throws exit status 130 or 143.
    static func replay(_ topology: Topology, input: ReplayInput, out: String, options: ReplaySession.Options,
                       inputs: [String]) throws -> ReplayReport? {
        var options = options
        do { options.instanceLinkType = ReplaySession.instanceLinkType(for: try input.linkTypes()) } catch {
            // An OS error reads as cat's and tcpdump's: `missing.pcap: No such file or directory`.
            if case .cannotOpen(let file, let reason) = error { printError("\(file): \(reason)") } else { printError("\(error)") }
            throw ExitCode(2)
        }
        let outputs: [String]
        do { outputs = try ReplaySession.outputPaths(of: topology, in: out, options: options) } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        try refuseOverwriting(inputs: inputs, with: outputs)
        StopSignal.install()
        // The session checks the option combinations (--bind names, the interval against the alert
        // rules) before it creates the directory and its temporary files.
        let session: ReplaySession
        do { session = try ReplaySession(topology: topology, outputDirectory: out, options: options) } catch {
            if error.isOptionError { try usageError("\(error)") }
            printError("\(error)")
            return nil
        }
        // verdicts.jsonl goes too without --verdicts: an older one must not pass for this run's.
        var owned = options
        owned.writeVerdicts = true
        try removePreviousOutputs((try? ReplaySession.outputPaths(of: topology, in: out, options: owned)) ?? outputs)
        let end: ReplaySession.FeedEnd
        let report: ReplayReport
        do {
            let progress = ProgressLine(for: input)
            end = try session.feed(input, shouldStop: { StopSignal.received != nil }, progress: progress.update)
            progress.finish()
            report = try session.finish()
            print(ReplaySummary.text(report, pipeline: session.pipeline, out: out))
        } catch {
            printError("\(error)")
            return nil
        }
        switch end {
        case .completed:
            return report
        case .stopped:
            try StopSignal.exitIfReceived("outputs cover the packets read so far")
            return report
        case .readFailed(let error):
            printError("\(error) (outputs cover the packets before it)")
            return nil
        }
    }
}
