// Read + parse of a page-cached capture against libpcap's plain pcap_next_ex loop on the same
// file, plus the malloc count per pass. Two captures of 10,000 and 1,000,000 small packets are
// made on first use under /tmp (VPCEMU_BENCH_DIR overrides). One iteration reads a whole file:
// equal malloc counts per iteration for both sizes show that reading allocates nothing per
// packet. Packets per second are the packet count divided by the wall-clock time per iteration.
//
//     cd Benchmarks && swift package benchmark --target CaptureBenchmark
import Benchmark
import Foundation
import VPCEmu
import VPCEmuBench

let benchmarks: @Sendable () -> Void = {
    let directory = ProcessInfo.processInfo.environment["VPCEMU_BENCH_DIR"] ?? "/tmp"
    let configuration = Benchmark.Configuration(
        // No peakMemoryResident: its sampling thread mallocs and would blur the malloc count.
        metrics: [.wallClock, .mallocCountTotal],
        warmupIterations: 1, maxDuration: .seconds(10), maxIterations: 50)

    for packets in [10_000, 1_000_000] {
        let path = "\(directory)/vpcemu-bench-small-\(packets).pcap"
        if !FileManager.default.fileExists(atPath: path) {
            do {
                try SampleCaptures.writeSmallPacketCapture(path: path, count: packets)
            } catch {
                fatalError("cannot make the benchmark capture: \(error)")
            }
        }

        Benchmark("read+parse \(packets) small packets", configuration: configuration) { benchmark in
            var batch = PacketBatch()
            for _ in benchmark.scaledIterations {
                var counter = OutcomeCounter()
                guard let reader = try? PcapReader(path: path),
                      CaptureWalk.run(reader, batch: &batch, visitor: &counter) == nil,
                      counter.packets == packets
                else { fatalError("\(path) did not read back whole") }
                blackHole(counter.checksum)
            }
        }

        Benchmark("libpcap pcap_next_ex loop \(packets) small packets", configuration: configuration) { benchmark in
            for _ in benchmark.scaledIterations {
                guard let result = LibpcapBaseline.run(path: path), result.packets == packets else {
                    fatalError("\(path) did not read back whole")
                }
                blackHole(result.bytes)
            }
        }
    }
}
