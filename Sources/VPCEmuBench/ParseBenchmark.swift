import VPCEmu

/// `vpcemu bench parse`: read + parse throughput of `PcapReader` + `PacketParser` against
/// libpcap's plain `pcap_next_ex` loop (`LibpcapBaseline`) on the same file in the same process.
/// Rounds alternate the two so that both see the same page cache, CPU frequency and neighbours;
/// the best round of each is reported (the least-disturbed run of each side), with the ratio.
public enum ParseBenchmark {
    public struct Result: Encodable, Sendable {
        public var file: String
        public var packets: Int
        public var bytes: Int
        public var rounds: Int
        /// Best round: packets per second of read + parse.
        public var packetsPerSecond: Double
        /// Best round: packets per second of `PcapReader` alone (batches filled, nothing parsed),
        /// which splits the cost between reading and parsing.
        public var readOnlyPacketsPerSecond: Double
        /// Best round: packets per second of libpcap's pcap_next_ex loop.
        public var libpcapPacketsPerSecond: Double
        /// packetsPerSecond / libpcapPacketsPerSecond (1.0 = as fast as libpcap alone).
        public var ratio: Double
        public var ip: Int
        public var nonIP: Int
        public var malformed: Int
        /// Folds decoded fields so the parse cannot be optimised away; stable for a file.
        public var checksum: UInt64
    }

    /// `progress` is told each round as it starts ("round 2/5").
    public static func run(path: String, rounds: Int, progress: (String) -> Void = { _ in }) throws(CaptureError) -> Result {
        precondition(rounds > 0, "at least one round")
        // Warm the page cache and learn libpcap's view of the file.
        guard let reference = LibpcapBaseline.run(path: path) else {
            _ = try PcapReader(path: path)  // throws the precise error
            throw .damaged(file: path, location: .fileHeader, reason: "libpcap cannot open it")
        }
        var bestOurs = Duration.seconds(Int64.max)
        var bestLibpcap = Duration.seconds(Int64.max)
        var bestReadOnly = Duration.seconds(Int64.max)
        var counter = OutcomeCounter()
        var batch = PacketBatch()
        let clock = ContinuousClock()
        for round in 1 ... rounds {
            progress("round \(round)/\(rounds)")
            let libpcapStart = clock.now
            let baseline = LibpcapBaseline.run(path: path)
            bestLibpcap = min(bestLibpcap, clock.now - libpcapStart)

            let start = clock.now
            counter = OutcomeCounter()
            let reader = try PcapReader(path: path)
            if let error = counter.count(reader, batch: &batch) { throw error }
            bestOurs = min(bestOurs, clock.now - start)

            let readStart = clock.now
            let readOnly = try PcapReader(path: path)
            while try readOnly.nextBatch(into: &batch) {}
            bestReadOnly = min(bestReadOnly, clock.now - readStart)
            precondition(baseline?.packets == counter.packets, "libpcap and PcapReader disagree on \(path)")
        }
        let ours = Double(counter.packets) / bestOurs.seconds
        let libpcap = Double(reference.packets) / bestLibpcap.seconds
        return Result(
            file: path, packets: counter.packets, bytes: counter.capturedBytes, rounds: rounds,
            packetsPerSecond: ours, readOnlyPacketsPerSecond: Double(counter.packets) / bestReadOnly.seconds,
            libpcapPacketsPerSecond: libpcap, ratio: ours / libpcap,
            ip: counter.ip, nonIP: counter.nonIP, malformed: counter.malformed, checksum: counter.checksum)
    }
}

private extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}
