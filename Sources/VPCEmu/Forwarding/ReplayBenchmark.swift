import Foundation

/// `vpcemu bench replay`: the whole pipeline over a capture with outputs off, next to libpcap's
/// plain `pcap_next_ex` loop over the same page-cached file in the same process. Each round runs
/// both back to back with a fresh pipeline; the best round of each is kept.
public enum ReplayBenchmark {
    public struct Result: Sendable, Codable {
        public var file: String
        public var packets: Int
        public var rounds: Int
        public var pipelinePacketsPerSecond: Double
        public var libpcapPacketsPerSecond: Double
        /// Pipeline rate over libpcap's rate (1.0: as fast as reading alone).
        public var ratio: Double
        public var delivered: UInt64
        public var dropsByReason: [String: UInt64]
        /// The process's peak resident set after the run (`getrusage` `ru_maxrss`), in bytes: with
        /// streaming batches and a fixed-capacity connection table it does not grow with the capture.
        public var peakResidentBytes: Int
    }

    public static func run(topology: Topology, path: String, rounds: Int, options: ForwardingPipeline.Options = .init()) throws -> Result {
        _ = LibpcapBaseline.run(path: path)  // warm the page cache
        let clock = ContinuousClock()
        var bestLibpcap = Duration.seconds(Int64.max / 4), bestOurs = Duration.seconds(Int64.max / 4)
        var packets = 0
        var last: ForwardingPipeline?
        var batch = PacketBatch()
        var verdicts = ContiguousArray<ForwardingPipeline.Verdict>()
        for _ in 0..<rounds {
            let libpcapStart = clock.now
            packets = LibpcapBaseline.run(path: path)?.packets ?? 0
            bestLibpcap = min(bestLibpcap, clock.now - libpcapStart)
            var pipeline = try ForwardingPipeline(topology: topology, options: options)
            let start = clock.now
            let reader = try PcapReader(path: path)
            while try reader.nextBatch(into: &batch) { try pipeline.forward(batch, linkType: reader.linkType, into: &verdicts) }
            bestOurs = min(bestOurs, clock.now - start)
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
        return Result(file: path, packets: Int(counters?.packets ?? 0), rounds: rounds, pipelinePacketsPerSecond: ours,
                      libpcapPacketsPerSecond: libpcap, ratio: libpcap > 0 ? ours / libpcap : 0,
                      delivered: counters?.delivered ?? 0, dropsByReason: drops,
                      peakResidentBytes: ProcessMemory.peakResidentBytes())
    }
}
