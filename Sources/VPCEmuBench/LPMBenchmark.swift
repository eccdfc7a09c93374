#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VPCEmu

/// `vpcemu bench lpm`: build the RIB and FIB from a workload, then time single and batch
/// lookups over every address (best of several repetitions). Reading the files, building the RIB
/// and building the FIB are timed apart from the lookups.
///
/// Times are the CPU time of the measuring thread (`CLOCK_THREAD_CPUTIME_ID`), as in the DPDK
/// harness: on a shared machine, wall-clock time also counts whoever else held the core.
public enum LPMBenchmark {
    public struct Result: Codable, Sendable {
        public var family: String
        /// Route lines read (duplicates of a prefix replace the earlier next hop, as in rte_lpm).
        public var routes: Int
        /// Distinct prefixes in the RIB.
        public var prefixes: Int
        public var lookups: Int
        /// Reading and parsing the route and address files, when the caller timed it (`LPMWorkload`).
        public var parseSeconds: Double?
        public var ribBuildSeconds: Double
        /// FIB build (compile from the RIB) time: the cost of one rebuild after a route change.
        public var buildSeconds: Double
        public var memoryBytes: Int
        public var bytesPerRoute: Double
        public var mlpsSingle: Double
        public var mlpsBatch: Double
        public var batchSize: Int
        public var rootBits: Int
        /// Sum over all addresses of the matched next hop, 0 on a miss (the DPDK harness prints the same).
        public var checksum: UInt64
        /// The same sum from RIB longest-prefix matches, when verification was asked for.
        public var ribChecksum: UInt64?
    }

    /// `progress` is told each phase as it starts ("FIB build 2/5").
    public static func run(_ workload: LPMWorkload<IPv4Address>, repetitions: Int, batchSize: Int, verify: Bool,
                           rootBits: Int? = nil, progress: (String) -> Void = { _ in }) -> Result {
        measure(workload, repetitions: repetitions, batchSize: batchSize, verify: verify, rootBits: rootBits, progress: progress)
    }

    public static func run(_ workload: LPMWorkload<IPv6Address>, repetitions: Int, batchSize: Int, verify: Bool,
                           rootBits: Int? = nil, progress: (String) -> Void = { _ in }) -> Result {
        measure(workload, repetitions: repetitions, batchSize: batchSize, verify: verify, rootBits: rootBits, progress: progress)
    }

    /// Reads the workload files (timed as `parseSeconds`), then runs the benchmark on them.
    public static func run(routesFile: String, addressesFile: String, ipv6: Bool, repetitions: Int, batchSize: Int,
                           verify: Bool, rootBits: Int? = nil, progress: (String) -> Void = { _ in }) throws -> Result {
        ipv6 ? try measure(routesFile, addressesFile, as: IPv6Address.self, repetitions: repetitions, batchSize: batchSize,
                           verify: verify, rootBits: rootBits, progress: progress)
             : try measure(routesFile, addressesFile, as: IPv4Address.self, repetitions: repetitions, batchSize: batchSize,
                           verify: verify, rootBits: rootBits, progress: progress)
    }

    static func measure<Key: PoptrieKey>(_ routesFile: String, _ addressesFile: String, as _: Key.Type, repetitions: Int,
                                         batchSize: Int, verify: Bool, rootBits: Int?,
                                         progress: (String) -> Void) throws -> Result {
        progress("reading \(routesFile) and \(addressesFile)")
        let start = ProcessUsage.threadCPUNanoseconds()
        let workload = try LPMWorkload<Key>(routesFile: routesFile, addressesFile: addressesFile)
        let parseSeconds = Double(ProcessUsage.threadCPUNanoseconds() - start) / 1e9
        var result = measure(workload, repetitions: repetitions, batchSize: batchSize, verify: verify, rootBits: rootBits,
                             progress: progress)
        result.parseSeconds = parseSeconds
        return result
    }

    /// Generic body; the two public entry points make the compiler specialise it per family
    /// inside this module (a generic call from another module would go through witness tables).
    /// The lookups it times are `@inlinable` in VPCEmu, so they are specialised here too.
    static func measure<Key: PoptrieKey>(_ workload: LPMWorkload<Key>, repetitions: Int, batchSize: Int,
                                         verify: Bool, rootBits: Int?, progress: (String) -> Void) -> Result {
        precondition(repetitions > 0 && batchSize > 0)
        progress("RIB build")
        var rib = BinaryTrie<Key, UInt32>()
        let ribTime = cpuSeconds {
            for route in workload.routes { rib.insert(route.prefix, length: route.length, value: route.nextHop) }
        }
        var fib: Poptrie<Key>?
        var buildTime = Double.infinity
        for repetition in 1...repetitions {
            progress("FIB build \(repetition)/\(repetitions)")
            buildTime = min(buildTime, cpuSeconds { fib = rib.build(rootBits: rootBits) })
        }
        guard let fib else { preconditionFailure("repetitions > 0 built a FIB") }

        var singleTime = Double.infinity, batchTime = singleTime
        var singleSum: UInt64 = 0, batchSum: UInt64 = 0
        var results = [UInt32](repeating: 0, count: batchSize)
        workload.addresses.withUnsafeBufferPointer { addresses in
            results.withUnsafeMutableBufferPointer { results in
                for repetition in 1...repetitions {
                    progress("lookups \(repetition)/\(repetitions)")
                    singleTime = min(singleTime, cpuSeconds { singleSum = sumSingle(fib, addresses) })
                    batchTime = min(batchTime, cpuSeconds {
                        batchSum = sumBatch(fib, addresses, results: results)
                    })
                }
            }
        }
        precondition(singleSum == batchSum, "single and batch lookups disagree")

        var ribSum: UInt64?
        if verify {
            progress("RIB lookups (--verify)")
            ribSum = workload.addresses.reduce(UInt64(0)) { $0 &+ UInt64(rib.longestMatch($1)?.value ?? 0) }
        }
        let lookups = workload.addresses.count
        return Result(
            family: Key.bitWidth == 32 ? "IPv4" : "IPv6", routes: workload.routes.count, prefixes: rib.count,
            lookups: lookups, parseSeconds: nil, ribBuildSeconds: ribTime, buildSeconds: buildTime,
            memoryBytes: fib.memoryBytes, bytesPerRoute: Double(fib.memoryBytes) / Double(max(rib.count, 1)),
            mlpsSingle: Double(lookups) / singleTime / 1e6, mlpsBatch: Double(lookups) / batchTime / 1e6,
            batchSize: batchSize, rootBits: fib.rootBits, checksum: batchSum, ribChecksum: ribSum)
    }

    /// Checksum term of one lookup result: the next hop, 0 on a miss.
    @inline(__always) static func term(_ nextHop: UInt32, noRoute: UInt32) -> UInt64 {
        nextHop == noRoute ? 0 : UInt64(nextHop)
    }

    /// `term` as arithmetic, for summing a batch's results: next hops are at most `noRoute`, so
    /// `hop + 1` reaches bit 31 only for `noRoute`, and the mask is then zero. The batch sum is
    /// harness work, and LLVM compiles `term`'s comparison there to a branch that mispredicts on
    /// the 10% of misses, while gcc vectorizes the DPDK harness's sum; the single-lookup loop
    /// keeps `term`, whose predicted branch measured faster there (docs/routing.md, "The
    /// benchmark's batch sum").
    @inline(__always) static func batchTerm(_ nextHop: UInt32) -> UInt64 {
        let hop = UInt64(nextHop)
        return hop & ((hop &+ 1) &>> 31 &- 1)
    }

    @inline(never) static func sumSingle<Key: PoptrieKey>(_ fib: Poptrie<Key>, _ addresses: UnsafeBufferPointer<Key>) -> UInt64 {
        var sum: UInt64 = 0
        let noRoute = Poptrie<Key>.noRoute  // read once: its getter is not inlinable from here
        for address in addresses { sum &+= term(fib.lookup(address), noRoute: noRoute) }
        return sum
    }

    @inline(never) static func sumBatch<Key: PoptrieKey>(_ fib: Poptrie<Key>, _ addresses: UnsafeBufferPointer<Key>,
                                                        results: UnsafeMutableBufferPointer<UInt32>) -> UInt64 {
        var sum: UInt64 = 0
        var start = 0
        while start < addresses.count {
            let end = min(start + results.count, addresses.count)
            let batch = UnsafeBufferPointer(rebasing: addresses[start..<end])
            fib.lookup(batch, into: results)
            for index in 0..<batch.count { sum &+= batchTerm(results[index]) }
            start = end
        }
        return sum
    }
}

/// Seconds of CPU time the calling thread spends in `body`.
func cpuSeconds(_ body: () -> Void) -> Double {
    var start = timespec(), end = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start)
    body()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end)
    return Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) * 1e-9
}
