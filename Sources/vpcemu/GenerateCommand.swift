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
            The file's size is bounded from the flows before anything is written; beyond --max-size \
            (default: 95 % of the free space where the file goes) it is refused (exit 64). A write \
            error (a full disk) or SIGINT/SIGTERM removes the partial file (exit 1, 130, 143).
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

    @Option(name: .customLong("max-size"), help: ArgumentHelp("Largest file to write, e.g. 500M, 20G (K, M, G, T: powers of 1024).", valueName: "size"))
    var maxSize: String?

    func validate() throws {
        if flow.isEmpty { throw ValidationError("give at least one --flow") }
        try OutputOption.validateFile(out, option: "--out")
        if let maxSize, Self.bytes(maxSize) == nil { throw ValidationError("--max-size \(maxSize): expected a size such as 500M or 20G") }
    }

    func run() throws {
        let loaded = try loadTopology(topology, failure: ExitCode(2))
        let generator: TrafficGenerator
        do {
            let flows = try flow.map { spec throws(TrafficGenerator.SpecError) in try TrafficGenerator.parse(spec, topology: loaded.topology) }
            generator = TrafficGenerator(flows: flows, seed: seed)
        } catch {
            printError("\(error)")
            throw ExitCode.validationFailure
        }
        try Self.refuseOverwriting(inputs: [topology], with: [out])
        try Self.refuseOversized(generator, writing: out, limit: maxSize.flatMap(Self.bytes))
        StopSignal.install()
        guard let count = try Self.write(generator, to: out) else { return }
        print("wrote \(count) packets to \(out)")
    }

    /// Writes the generated capture to `path`, stopping between packets on SIGINT or SIGTERM;
    /// the packet count, or nil when a signal stopped it before anything was written (then it
    /// exits with the signal's status). A write error exits 1.
    static func write(_ generator: TrafficGenerator, to path: String) throws -> Int? {
        let written: Int?
        do { written = try generator.write(to: path, shouldStop: { StopSignal.received != nil }) } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
        if written == nil { try StopSignal.exitIfReceived("nothing was written to \(path)") }
        return written
    }

    /// Exits 64 when the file would be larger than `limit` or, without one, than 95 % of the free
    /// space of the file system it goes to (`TrafficGenerator.fileSizeBound`, counted from the flows).
    static func refuseOversized(_ generator: TrafficGenerator, writing path: String, limit: Int64?) throws {
        let bound = generator.fileSizeBound
        let directory = (path as NSString).deletingLastPathComponent
        let allowed: Int64, why: String
        if let limit {
            (allowed, why) = (limit, "--max-size")
        } else if let free = OutputPaths.availableBytes(in: directory.isEmpty ? "." : directory) {
            (allowed, why) = (free / 100 * 95, "95 % of the \(sizeText(free)) free there; --max-size sets another limit")
        } else {
            return
        }
        guard bound > allowed else { return }
        try usageError("\(path): the flows make a file of up to \(sizeText(bound)) (\(bound) bytes), "
            + "more than the \(sizeText(allowed)) allowed (\(why))")
    }

    /// `123`, `500K`, `2M`, `20G`, `1T` (powers of 1024) in bytes.
    static func bytes(_ text: String) -> Int64? {
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var digits = text.uppercased()
        var unit: Int64 = 1
        if let last = digits.last, let scale = units[last] {
            unit = scale
            digits.removeLast()
        }
        guard let value = Int64(digits), value > 0 else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: unit)
        return overflow ? nil : product
    }

    /// `1.2 PiB`, `38.7 MiB`, `512 B`.
    static func sizeText(_ bytes: Int64) -> String {
        var value = Double(bytes), unit = 0
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}
