import ArgumentParser
import Foundation
import VPCEmu
import VPCEmuBench

/// `vpcemu bench lpm`: route lookup throughput of the compiled FIB on DPDK `dpdk-test-fib` files.
struct BenchLPMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lpm",
        abstract: "Measure longest-prefix-match lookups (single and batch) on a route file and an address file.",
        discussion: """
            Files: routes as 'prefix/len nexthop' lines, addresses one per line, as written by \
            shared/data/make-lpm-workload.py. Reading the files and building the RIB and the FIB are timed \
            apart from the lookups. The checksum is the sum of the matched next hops (0 on a miss), \
            the same one Benchmarks/dpdk/lpm-bench prints for rte_lpm / rte_lpm6.
            """
    )

    @Option(help: "Route file: 'prefix/len nexthop' per line.")
    var routes: String

    @Option(help: "Address file: one address per line.")
    var addrs: String

    @Flag(help: "The files hold IPv6 routes and addresses (default IPv4).")
    var ipv6 = false

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "Also compute the checksum from RIB longest-prefix matches and fail if it differs.")
    var verify = false

    @Option(name: .customLong("repeat"), help: "Repetitions; the best time is reported.")
    var repeat_: Int = 5

    @Option(help: "Addresses per batch lookup call.")
    var batch: Int = 64

    @Option(help: "Bits resolved by the FIB's direct root array, 1...24 (default: grows with the table up to 18 for IPv4, 24 for IPv6).")
    var rootBits: Int?

    func validate() throws {
        if let rootBits, !(1...24).contains(rootBits) { throw ValidationError("--root-bits must be 1...24") }
        guard repeat_ > 0 else { throw ValidationError("--repeat must be at least 1") }
        guard batch > 0 else { throw ValidationError("--batch must be at least 1") }
    }

    func run() throws {
        let progress = ProgressLine()
        let result: LPMBenchmark.Result
        do {
            defer { progress.finish() }
            result = try LPMBenchmark.run(routesFile: routes, addressesFile: addrs, ipv6: ipv6, repetitions: repeat_,
                                          batchSize: batch, verify: verify, rootBits: rootBits, progress: progress.phase)
        }
        if json {
            print(try SnakeCaseJSON.encode(result))
        } else {
            print(Self.text(result))
        }
        if let ribChecksum = result.ribChecksum, ribChecksum != result.checksum {
            throw ValidationError("FIB checksum \(result.checksum) differs from RIB checksum \(ribChecksum)")
        }
    }

    static func text(_ r: LPMBenchmark.Result) -> String {
        func f(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
        var lines = [
            "family          \(r.family)",
            "routes          \(r.routes) (\(r.prefixes) distinct prefixes)",
            "addresses       \(r.lookups)",
            "files read      \(r.parseSeconds.map { f($0, 3) } ?? "-") s (parsing the route and address files)",
            "RIB build       \(f(r.ribBuildSeconds, 3)) s",
            "FIB build       \(f(r.buildSeconds, 3)) s (Poptrie, \(r.rootBits)-bit root)",
            "FIB memory      \(r.memoryBytes) bytes (\(f(r.bytesPerRoute, 2)) bytes/route)",
            "single lookup   \(f(r.mlpsSingle, 1)) Mlookups/s",
            "batch lookup    \(f(r.mlpsBatch, 1)) Mlookups/s (batch \(r.batchSize))",
            "checksum        \(r.checksum)",
        ]
        if let rib = r.ribChecksum {
            lines.append("RIB checksum    \(rib) (\(rib == r.checksum ? "matches" : "DIFFERS"))")
        }
        return lines.joined(separator: "\n")
    }
}
