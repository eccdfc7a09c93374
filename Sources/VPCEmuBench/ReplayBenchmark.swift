import Foundation
import VPCEmu

/// `vpcemu bench replay`: the whole pipeline over a capture with outputs off, next to libpcap's
/// plain `pcap_next_ex` loop over the same page-cached file in the same process. Each round runs
/// both back to back with a fresh pipeline; the best round of each is kept. The pipeline reads as
/// `vpcemu replay` does, with `ReadAheadPcapReader` (a reader thread beside the forwarding one), so
/// besides the wall-clock rate the result gives the CPU time per packet of both threads together.
public enum ReplayBenchmark {
    public struct Result: Sendable, Codable {
        public var file: String
        public var packets: Int
        public var rounds: Int
        public var pipelinePacketsPerSecond: Double
        public var libpcapPacketsPerSecond: Double
        /// Pipeline rate over libpcap's rate (1.0: as fast as reading alone).
        public var ratio: Double
        /// Loading the topology file (parse, validation), when the caller timed it.
        public var topologySeconds: Double?
        /// Compiling the topology into a fresh pipeline (`ForwardingPipeline.init`), best round:
        /// not part of the packet rate.
        public var pipelineBuildSeconds: Double
        /// CPU time (user + system, every thread) per packet in the best round of each, ns.
        public var pipelineCPUNanosecondsPerPacket: Double
        public var libpcapCPUNanosecondsPerPacket: Double
        /// CPU time per packet of the forwarding thread alone (parse + forward, and taking batches
        /// from the reader thread) in the pipeline's best round, ns: with a second core free, the
        /// wall clock tends to the larger of this and the reader thread's share.
        public var forwardingThreadCPUNanosecondsPerPacket: Double
        public var delivered: UInt64
        public var dropsByReason: [String: UInt64]
        /// The process's peak resident set after the run (`getrusage` `ru_maxrss`), in bytes: with
        /// streaming batches and a fixed-capacity connection table it does not grow with the capture.
        public var peakResidentBytes: Int
    }

    /// With `map`, the reader thread rewrites each batch's addresses before the parse (`replay --map`).
    /// `progress` is told each round as it starts ("round 2/3").
    public static func run(topology: Topology, path: String, rounds: Int, options: ForwardingPipeline.Options = .init(),
                           map: AddressMap? = nil, progress: (String) -> Void = { _ in }) throws -> Result {
        _ = LibpcapBaseline.run(path: path)  // warm the page cache
        let clock = ContinuousClock()
        var bestLibpcap = Duration.seconds(Int64.max / 4), bestOurs = Duration.seconds(Int64.max / 4)
        var bestBuild = Duration.seconds(Int64.max / 4)
        var libpcapCPU: Int64 = 0, oursCPU: Int64 = 0, forwardingCPU: Int64 = 0
        var packets = 0
        var last: ForwardingPipeline?
        var batch = ReadAheadPcapReader.makeBatch()
        var verdicts = ContiguousArray<ForwardingPipeline.Verdict>()
        for round in 1...rounds {
            progress("round \(round)/\(rounds)")
            let libpcapStart = clock.now, libpcapCPUStart = ProcessUsage.cpuNanoseconds()
            packets = LibpcapBaseline.run(path: path)?.packets ?? 0
            let libpcapTime = clock.now - libpcapStart
            if libpcapTime < bestLibpcap { (bestLibpcap, libpcapCPU) = (libpcapTime, ProcessUsage.cpuNanoseconds() - libpcapCPUStart) }
            let buildStart = clock.now
            var pipeline = try ForwardingPipeline(topology: topology, options: options)
            bestBuild = min(bestBuild, clock.now - buildStart)
            let start = clock.now, cpuStart = ProcessUsage.cpuNanoseconds(), threadStart = ProcessUsage.threadCPUNanoseconds()
            do {
                var rewrite: ReadAheadPcapReader.Stage?
                if let map { rewrite = { map.rewrite(&$0) } }
                let reader = try ReadAheadPcapReader(path: path, parsesForForwarding: true, prepare: rewrite)
                while try reader.nextBatch(into: &batch) { try pipeline.forward(batch, linkType: batch.linkType, into: &verdicts) }
            }  // the reader thread has ended here
            let time = clock.now - start
            if time < bestOurs {
                (bestOurs, oursCPU) = (time, ProcessUsage.cpuNanoseconds() - cpuStart)
                forwardingCPU = ProcessUsage.threadCPUNanoseconds() - threadStart
            }
            last = pipeline
        }
        func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }
        let counters = last?.counters
        var drops: [String: UInt64] = [:]
        for kind in DropReason.Kind.allCases where (counters?.drops(kind) ?? 0) > 0 { drops[kind.code] = counters?.drops(kind) }
        let ours = Double(counters?.packets ?? 0) / max(seconds(bestOurs), 1e-9)
        let libpcap = Double(packets) / max(seconds(bestLibpcap), 1e-9)
        let pipelinePackets = Double(max(1, counters?.packets ?? 0))
        return Result(file: path, packets: Int(counters?.packets ?? 0), rounds: rounds, pipelinePacketsPerSecond: ours,
                      libpcapPacketsPerSecond: libpcap, ratio: libpcap > 0 ? ours / libpcap : 0,
                      topologySeconds: nil, pipelineBuildSeconds: seconds(bestBuild),
                      pipelineCPUNanosecondsPerPacket: Double(oursCPU) / pipelinePackets,
                      libpcapCPUNanosecondsPerPacket: Double(libpcapCPU) / Double(max(1, packets)),
                      forwardingThreadCPUNanosecondsPerPacket: Double(forwardingCPU) / pipelinePackets,
                      delivered: counters?.delivered ?? 0, dropsByReason: drops,
                      peakResidentBytes: ProcessUsage.peakResidentBytes())
    }
}
