import Testing
@testable import VPCEmu

/// Token units per byte, as the bucket counts them: 8 bits × 10⁹ (so rate × ns is exact).
private let unitsPerByte: Int64 = 8_000_000_000

@Suite struct TokenBucketPolicingTests {
    /// A constant-rate flow at twice the bandwidth, 10 s of emulated time.
    ///
    /// Expected value, derived by hand: while the bucket never overflows, the level before packet k is
    /// B + R·t_k/8 − (bytes forwarded before k), so packet k conforms iff (C + 1)·L ≤ B + R·t_k/8 where C
    /// packets conformed before it. The right side grows by R·Δ/8 < L per packet, so after the full bucket is
    /// spent the count is C_k = ⌊(B + R·t_k/8) / L⌋. The bucket never overflows because after a forwarded
    /// packet the level is ≤ B − L < B − R·Δ/8 and after a dropped one it is < L ≤ B − R·Δ/8.
    @Test func constantRateFlowAtTwiceTheBandwidthIsThrottledExactlyAsTheArithmeticPredicts() throws {
        let rate: Int64 = 80_000_000                 // 80 Mbit/s = 10,000,000 bytes/s
        let packet: Int64 = 1_000                    // bytes
        let gap: Int64 = 50_000                      // ns: 20,000 packets/s = 160 Mbit/s = 2 × rate
        let count: Int64 = 200_000                   // 10 s
        let configuration = try TokenBucket.Configuration.peering(bandwidthMbps: 80)
        let burst = configuration.burstBytes
        #expect(burst == 100_000)                    // 10 ms at 80 Mbit/s
        #expect(burst >= packet + rate / 8 * gap / 1_000_000_000)  // the no-overflow condition above

        let lastTime = (count - 1) * gap
        let expectedForwarded = (burst * unitsPerByte + rate * lastTime) / (packet * unitsPerByte)
        #expect(expectedForwarded == 100_099)
        let expectedThrottled = count - expectedForwarded

        var bucket = TokenBucket(configuration, start: 0)
        var forwarded: Int64 = 0, throttled: Int64 = 0
        for k in 0..<count {
            switch bucket.offer(bytes: Int(packet), at: k * gap) {
            case .forwarded(let departure):
                #expect(departure == k * gap)
                forwarded += 1
            case .dropped(let cause):
                #expect(cause == .outOfTokens)
                throttled += 1
            }
        }
        #expect(forwarded == expectedForwarded)
        #expect(throttled == expectedThrottled)
        #expect(throttled == 99_901)
    }

    @Test func aFullBucketPassesExactlyOneBurstAndRefillsAtTheRate() throws {
        let configuration = try TokenBucket.Configuration(rateBitsPerSecond: 80_000_000, burstBytes: 100_000)
        var bucket = TokenBucket(configuration, start: 0)
        // 150 back-to-back 1,000-byte packets at one instant: exactly the 100,000-byte burst passes.
        let first = (0..<150).map { _ in bucket.offer(bytes: 1_000, at: 0) }
        #expect(first.prefix(100).allSatisfy { $0 == .forwarded(departure: 0) })
        #expect(first.suffix(50).allSatisfy { $0 == .dropped(.outOfTokens) })
        // 1 ms later the bucket has 80 Mbit/s × 1 ms = 10,000 bytes: ten more packets.
        let second = (0..<20).map { _ in bucket.offer(bytes: 1_000, at: 1_000_000) }
        #expect(second.filter { $0 == .forwarded(departure: 1_000_000) }.count == 10)
        // After a long idle the bucket is full again, but holds no more than the burst.
        let third = (0..<200).map { _ in bucket.offer(bytes: 1_000, at: 10_000_000_000) }
        #expect(third.filter { if case .forwarded = $0 { true } else { false } }.count == 100)
    }

    @Test func aPacketLargerThanTheBurstNeverConforms() throws {
        let configuration = try TokenBucket.Configuration(rateBitsPerSecond: 1_000_000, burstBytes: 1_500)
        var bucket = TokenBucket(configuration, start: 0)
        #expect(bucket.offer(bytes: 1_501, at: 0) == .dropped(.largerThanBurst))
        #expect(bucket.offer(bytes: 1_500, at: 0) == .forwarded(departure: 0))
        #expect(bucket.availableBytes(at: 0) == 0)
    }

    @Test func timeThatGoesBackwardsDoesNotRefillTheBucket() throws {
        let configuration = try TokenBucket.Configuration(rateBitsPerSecond: 8_000_000, burstBytes: 2_000)
        var bucket = TokenBucket(configuration, start: 0)
        #expect(bucket.offer(bytes: 2_000, at: 1_000_000) == .forwarded(departure: 1_000_000))
        // An earlier timestamp is treated as the latest seen: no tokens appear, the packet leaves at its own time.
        #expect(bucket.offer(bytes: 1, at: 0) == .dropped(.outOfTokens))
        #expect(bucket.availableBytes(at: 0) == 0)
        // 1 µs at 1 byte/µs later there is exactly one byte.
        #expect(bucket.offer(bytes: 1, at: 1_001_000) == .forwarded(departure: 1_001_000))
    }

    @Test func hugeGapsAndRatesSaturateInsteadOfOverflowing() throws {
        let configuration = try TokenBucket.Configuration(
            rateBitsPerSecond: TokenBucket.Configuration.maximumRate,
            burstBytes: TokenBucket.Configuration.maximumBurstBytes)
        var bucket = TokenBucket(configuration, start: .min)
        #expect(bucket.offer(bytes: 65_535, at: .max - 1) == .forwarded(departure: .max - 1))
        #expect(bucket.availableBytes(at: .max) == TokenBucket.Configuration.maximumBurstBytes - 65_535
                + TokenBucket.Configuration.maximumRate / unitsPerByte)
    }

    /// The bucket level before packet j is min over k ≤ j of B + R·(t_j − t_k) − (bytes forwarded from k to
    /// j − 1) — the token-bucket envelope written out, with no state carried between packets. A packet
    /// must be forwarded exactly when that level covers it.
    @Test(arguments: [1 as UInt64, 2, 3, 4, 5])
    func policingMatchesTheEnvelopeDefinitionOnRandomTraffic(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let rate = Int64.random(in: 1_000_000...1_000_000_000, using: &random)
        let burst = Int64.random(in: 1_500...200_000, using: &random)
        var bucket = TokenBucket(try TokenBucket.Configuration(rateBitsPerSecond: rate, burstBytes: burst), start: 0)
        let meanGap = 1_000 * unitsPerByte / rate  // ns per 1,000 bytes at the rate: offered load ≈ 75 %…150 %
        var times: [Int64] = [], sizes: [Int64] = [], forwarded: [Bool] = []
        var time: Int64 = 0
        for _ in 0..<1_200 {
            time += Int64.random(in: 0...(2 * meanGap), using: &random)
            let size = Int64.random(in: 40...1_500, using: &random)
            times.append(time)
            sizes.append(size)
            forwarded.append(bucket.offer(bytes: Int(size), at: time) == .forwarded(departure: time))
        }
        for j in times.indices {
            var spent: Int64 = 0  // bytes forwarded from k to j − 1
            var level = burst * unitsPerByte
            for k in stride(from: j, through: 0, by: -1) {
                if k < j, forwarded[k] { spent += sizes[k] }
                level = min(level, burst * unitsPerByte + rate * (times[j] - times[k]) - spent * unitsPerByte)
            }
            #expect(forwarded[j] == (level >= sizes[j] * unitsPerByte), "packet \(j)")
        }
    }

    @Test func theSameInputGivesTheSameVerdicts() throws {
        func run() throws -> (arrivals: [Int64], verdicts: [TokenBucket.Verdict]) {
            var random = SeededGenerator(seed: 42)
            var bucket = TokenBucket(try .peering(bandwidthMbps: 10, shape: true), start: 1_700_000_000_000_000_000)
            var time: Int64 = 1_700_000_000_000_000_000
            var arrivals: [Int64] = [], verdicts: [TokenBucket.Verdict] = []
            for _ in 0..<5_000 {
                time += Int64.random(in: 0...1_000_000, using: &random)  // ≈ 12 Mbit/s offered to 10 Mbit/s
                arrivals.append(time)
                verdicts.append(bucket.offer(bytes: Int.random(in: 60...1_500, using: &random), at: time))
            }
            return (arrivals, verdicts)
        }
        let first = try run()
        let second = try run()
        let identical = first.verdicts == second.verdicts
        let overflowed = first.verdicts.contains(.dropped(.queueFull))
        let delayed = zip(first.arrivals, first.verdicts).contains { arrival, verdict in
            if case .forwarded(let departure) = verdict { departure > arrival } else { false }
        }
        #expect(identical)
        #expect(overflowed)
        #expect(delayed)
    }
}

@Suite struct TokenBucketShapingTests {
    @Test func queuedPacketsLeaveWhenTheBucketHasRefilledForThem() throws {
        // 8 Mbit/s = 1 byte/µs; burst 3,000 bytes; a queue of 10,000 bytes drains in 10 ms.
        let configuration = try TokenBucket.Configuration(
            rateBitsPerSecond: 8_000_000, burstBytes: 3_000, mode: .shape(queueLimitBytes: 10_000))
        #expect(configuration.maximumQueueingDelay == 10_000_000)
        var bucket = TokenBucket(configuration, start: 0)
        let verdicts = (0..<20).map { _ in bucket.offer(bytes: 1_000, at: 0) }
        // Three packets use the burst; packet k ≥ 3 waits for (k − 2) × 1,000 bytes = (k − 2) ms of tokens,
        // and is admitted while that wait is at most the 10 ms the queue limit allows: k ≤ 12.
        for (k, verdict) in verdicts.enumerated() {
            if k < 3 {
                #expect(verdict == .forwarded(departure: 0))
            } else if k <= 12 {
                #expect(verdict == .forwarded(departure: Int64(k - 2) * 1_000_000), "packet \(k)")
            } else {
                #expect(verdict == .dropped(.queueFull), "packet \(k)")
            }
        }
        // The queue has drained at 10 ms with an empty bucket: a packet arriving then waits 1 ms.
        #expect(bucket.offer(bytes: 1_000, at: 10_000_000) == .forwarded(departure: 11_000_000))
        // A packet arriving while others wait leaves after them (FIFO).
        #expect(bucket.offer(bytes: 500, at: 10_500_000) == .forwarded(departure: 11_500_000))
    }

    /// 1-byte packets at 3 Mbit/s need 8,000/3 ns each, which is no whole number of nanoseconds: the n-th
    /// departure must still be exactly ⌈n × 8,000 / 3⌉ ns — rounding never accumulates.
    @Test func fractionalNanosecondsDoNotDrift() throws {
        let configuration = try TokenBucket.Configuration(
            rateBitsPerSecond: 3_000_000, burstBytes: 1, mode: .shape(queueLimitBytes: 10_000))
        var bucket = TokenBucket(configuration, start: 0)
        for n in Int64(0)..<3_000 {
            let expected = (n * 8_000 + 2) / 3
            #expect(bucket.offer(bytes: 1, at: 0) == .forwarded(departure: expected), "packet \(n)")
        }
    }

    /// Departure j is the earliest whole nanosecond, not before its arrival nor the previous departure, at
    /// which the envelope min over k < j of B + R·(t − d_k) − (bytes departed from k to j − 1), and
    /// B + R·(t − start) − (all bytes departed), covers the packet; it is dropped when that is later than
    /// the queue allows. Closed form, no state carried between packets.
    @Test(arguments: [11 as UInt64, 12, 13, 14])
    func shapingMatchesTheEnvelopeDefinitionOnRandomTraffic(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let rate = Int64.random(in: 1_000_000...1_000_000_000, using: &random)
        let burst = Int64.random(in: 1_500...100_000, using: &random)
        let queue = Int64.random(in: 1_500...200_000, using: &random)
        let configuration = try TokenBucket.Configuration(
            rateBitsPerSecond: rate, burstBytes: burst, mode: .shape(queueLimitBytes: queue))
        var bucket = TokenBucket(configuration, start: 0)
        let meanGap = 1_000 * unitsPerByte / rate
        var departures: [Int64] = [], departedSizes: [Int64] = []
        var time: Int64 = 0
        for index in 0..<1_000 {
            time += Int64.random(in: 0...(2 * meanGap), using: &random)
            let size = Int64.random(in: 40...1_500, using: &random)
            func ceilDiv(_ a: Int64, _ b: Int64) -> Int64 { a <= 0 ? 0 : (a + b - 1) / b }
            var earliest = max(time, departures.last ?? 0)
            var after = departedSizes.reduce(0, +)  // bytes departed from k to the end
            earliest = max(earliest, ceilDiv((after + size - burst) * unitsPerByte, rate))
            for k in departures.indices {
                earliest = max(earliest, departures[k] + ceilDiv((after + size - burst) * unitsPerByte, rate))
                after -= departedSizes[k]
            }
            let verdict = bucket.offer(bytes: Int(size), at: time)
            if earliest - time <= configuration.maximumQueueingDelay {
                #expect(verdict == .forwarded(departure: earliest), "packet \(index)")
                departures.append(earliest)
                departedSizes.append(size)
            } else {
                #expect(verdict == .dropped(.queueFull), "packet \(index)")
            }
        }
        #expect(departures.count > 100)
    }
}

@Suite struct TokenBucketConfigurationTests {
    @Test func defaultBurstIsTenMillisecondsWithATenPacketFloor() throws {
        #expect(try TokenBucket.Configuration.peering(bandwidthMbps: 100).burstBytes == 125_000)
        #expect(try TokenBucket.Configuration.peering(bandwidthMbps: 1_024).burstBytes == 1_280_000)
        #expect(try TokenBucket.Configuration.peering(bandwidthMbps: 2).burstBytes == 15_000)
        let shaped = try TokenBucket.Configuration.peering(bandwidthMbps: 100, shape: true)
        #expect(shaped.mode == .shape(queueLimitBytes: 625_000))  // 50 ms at 100 Mbit/s
        #expect(shaped.maximumQueueingDelay == 50_000_000)
        let explicit = try TokenBucket.Configuration.peering(bandwidthMbps: 100, burstBytes: 9_000)
        #expect(explicit.burstBytes == 9_000 && explicit.mode == .police)
    }

    @Test func badValuesAreRejectedWithTheValueInTheMessage() {
        #expect(throws: TokenBucket.ConfigurationError.rateOutOfRange(0)) {
            try TokenBucket.Configuration(rateBitsPerSecond: 0, burstBytes: 1)
        }
        #expect(throws: TokenBucket.ConfigurationError.burstOutOfRange(-5)) {
            try TokenBucket.Configuration(rateBitsPerSecond: 1, burstBytes: -5)
        }
        #expect(throws: TokenBucket.ConfigurationError.bandwidthOutOfRange(megabitsPerSecond: 0)) {
            try TokenBucket.Configuration.peering(bandwidthMbps: 0)
        }
        // One byte per second cannot drain 1 MB within a day.
        #expect(throws: TokenBucket.ConfigurationError.queueLimitOutOfRange(1_000_000, rateBitsPerSecond: 8)) {
            try TokenBucket.Configuration(rateBitsPerSecond: 8, burstBytes: 1, mode: .shape(queueLimitBytes: 1_000_000))
        }
        #expect(TokenBucket.ConfigurationError.bandwidthOutOfRange(megabitsPerSecond: 0).description
                == "bandwidth 0 Mbit/s is out of range: expected 1 to 1000000 Mbit/s")
    }
}
