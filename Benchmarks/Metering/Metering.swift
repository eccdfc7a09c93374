// Per-packet cost of the peering bandwidth limit and the meter, with DPDK's rte_meter (RFC 2697
// single-rate three-colour marker, color-blind, EBS = 0: a plain token bucket) on the same input in the
// same run as the reference. Run: `cd Benchmarks && swift package benchmark --target Metering`.
//
// Input: 1,000,000 packets with IMIX sizes (64/576/1500 bytes, 7:4:1) arriving at twice the 100 Mbit/s
// limit, fixed seed; both buckets use the default burst of the 100 Mbit/s peering (125,000 bytes).
import Benchmark
import CDPDKMeter
import VPCEmu

struct Workload {
    static let packetCount = 1_000_000
    static let rate: Int64 = 100_000_000
    static let burst = TokenBucket.Configuration.defaultBurstBytes(rateBitsPerSecond: rate)

    let times: [Int64]
    let sizes: [Int]

    init() {
        var state: UInt64 = 0x5EED
        func next() -> UInt64 {  // SplitMix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var times: [Int64] = [], sizes: [Int] = []
        times.reserveCapacity(Self.packetCount)
        sizes.reserveCapacity(Self.packetCount)
        var time: Int64 = 0
        for _ in 0..<Self.packetCount {
            let pick = next() % 12
            let size = pick < 7 ? 64 : pick < 11 ? 576 : 1_500
            // Gap that sends this packet at twice the rate: size × 8 bits / (2 × rate), in ns.
            time += Int64(size) * 8 * 1_000_000_000 / (2 * Self.rate)
            times.append(time)
            sizes.append(size)
        }
        self.times = times
        self.sizes = sizes
    }

    func police() -> Int {
        var bucket = TokenBucket(try! .init(rateBitsPerSecond: Self.rate, burstBytes: Self.burst), start: 0)
        var forwarded = 0
        times.withUnsafeBufferPointer { times in
            sizes.withUnsafeBufferPointer { sizes in
                for index in 0..<times.count {
                    if case .forwarded = bucket.offer(bytes: sizes[index], at: times[index]) { forwarded &+= 1 }
                }
            }
        }
        return forwarded
    }

    func shape() -> Int64 {
        let configuration = try! TokenBucket.Configuration(
            rateBitsPerSecond: Self.rate, burstBytes: Self.burst,
            mode: .shape(queueLimitBytes: TokenBucket.Configuration.defaultQueueLimitBytes(rateBitsPerSecond: Self.rate)))
        var bucket = TokenBucket(configuration, start: 0)
        var lastDeparture: Int64 = 0
        times.withUnsafeBufferPointer { times in
            sizes.withUnsafeBufferPointer { sizes in
                for index in 0..<times.count {
                    if case .forwarded(let departure) = bucket.offer(bytes: sizes[index], at: times[index]) {
                        lastDeparture = departure
                    }
                }
            }
        }
        return lastDeparture
    }

    func policeAndMeter() -> Int64 {
        var bucket = TokenBucket(try! .init(rateBitsPerSecond: Self.rate, burstBytes: Self.burst), start: 0)
        let key = PeeringDirectionKey(peering: "hz-sg", direction: .requesterToAccepter)
        var meter = try! TrafficMeter(directions: [MeteredDirection(key, rateLimitBitsPerSecond: Self.rate)],
                                      interval: 1_000_000_000, origin: 0)
        times.withUnsafeBufferPointer { times in
            sizes.withUnsafeBufferPointer { sizes in
                for index in 0..<times.count {
                    switch bucket.offer(bytes: sizes[index], at: times[index]) {
                    case .forwarded(let departure):
                        meter.recordForwarded(direction: 0, bytes: sizes[index], at: times[index],
                                              shapingDelay: departure &- times[index])
                    case .dropped:
                        meter.recordThrottled(direction: 0, bytes: sizes[index], at: times[index])
                    }
                }
            }
        }
        return meter.finish().totals(direction: 0).packets
    }

    /// DPDK's srTCM with the token-bucket parameters rte_meter_get_tb_params would compute for a 1 GHz
    /// "TSC" (time in ns): 100 Mbit/s = 12.5 MB/s is one byte per 80 ns, below DPDK's minimum period of
    /// 100 cycles, so it adds 2 bytes every 160 ns — exactly the same rate.
    func dpdkMeter() -> Int {
        var profile = rte_meter_srtcm_profile(cbs: UInt64(Self.burst), ebs: 0, cir_period: 160, cir_bytes_per_period: 2)
        var meter = rte_meter_srtcm(time: 0, tc: UInt64(Self.burst), te: 0)
        var green = 0
        times.withUnsafeBufferPointer { times in
            sizes.withUnsafeBufferPointer { sizes in
                for index in 0..<times.count {
                    let color = rte_meter_srtcm_color_blind_check(
                        &meter, &profile, UInt64(times[index]), UInt32(truncatingIfNeeded: sizes[index]))
                    if color == RTE_COLOR_GREEN { green &+= 1 }
                }
            }
        }
        return green
    }
}

nonisolated(unsafe) let workload = Workload()

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .instructions],
        scalingFactor: .mega,
        maxDuration: .seconds(3),
        maxIterations: 30,
        thresholds: [.mallocCountTotal: .init(absolute: [.p90: 0])])

    Benchmark("TokenBucket police", configuration: configuration) { benchmark in
        blackHole(workload.police())
    }
    Benchmark("TokenBucket shape", configuration: configuration) { benchmark in
        blackHole(workload.shape())
    }
    Benchmark("TokenBucket police + TrafficMeter", configuration: Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .instructions], scalingFactor: .mega,
        maxDuration: .seconds(3), maxIterations: 30)) { benchmark in
        blackHole(workload.policeAndMeter())
    }
    Benchmark("DPDK rte_meter srTCM (reference)", configuration: configuration) { benchmark in
        blackHole(workload.dpdkMeter())
    }
}
