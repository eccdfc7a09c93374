import ArgumentParser
import Foundation
import VPCEmu
import VPCEmuBench

/// `vpcemu bench parse FILE`: read + parse throughput against libpcap's own reading loop.
struct BenchParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Packets/s of reading + parsing a capture, next to libpcap's plain pcap_next_ex loop on the same file.",
        discussion: """
            The file is read once to warm the page cache, then each round runs libpcap's loop and \
            VPCEmu's read + parse back to back; the best round of each is reported with their ratio.
            """
    )

    @Argument(help: "A pcap or pcapng file.", completion: .file())
    var file: String

    @Option(help: ArgumentHelp(
        "First write FILE: this many small packets (46-78 bytes: Ethernet, IPv4/IPv6, TCP/UDP/ICMP, 4 bytes of data) as a nanosecond pcap.",
        valueName: "count"))
    var makeSmallPackets: Int?

    @Option(name: .customLong("repeat"), help: "Rounds of each measurement; the best is reported.")
    var repeat_ = 5

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func validate() throws {
        if repeat_ < 1 { throw ValidationError("--repeat must be at least 1.") }
        if let count = makeSmallPackets, count < 1 { throw ValidationError("--make-small-packets must be at least 1.") }
    }

    func run() throws {
        let result: ParseBenchmark.Result
        let progress = ProgressLine()
        do {
            defer { progress.finish() }
            if let count = makeSmallPackets {
                progress.phase("writing \(count) packets to \(file)")
                try SampleCaptures.writeSmallPacketCapture(path: file, count: count)
            }
            result = try ParseBenchmark.run(path: file, rounds: repeat_, progress: progress.phase)
        } catch {
            throw ValidationError(error.description)
        }
        if json {
            print(try SnakeCaseJSON.encode(result))
            return
        }
        let meanSize = result.packets == 0 ? 0 : result.bytes / result.packets
        print("""
            \(result.file): \(result.packets) packets, \(result.bytes) bytes (mean \(meanSize) B), \
            \(result.ip) IP, \(result.nonIP) non-IP, \(result.malformed) malformed
              read + parse   \(Self.rate(result.packetsPerSecond))
              read only      \(Self.rate(result.readOnlyPacketsPerSecond))   (PcapReader batches, no parse)
              libpcap loop   \(Self.rate(result.libpcapPacketsPerSecond))   (pcap_next_ex only, same file, same run)
              ratio          \(String(format: "%.2f", result.ratio))x   best of \(result.rounds) rounds each
            """)
    }

    private static func rate(_ packetsPerSecond: Double) -> String {
        String(format: "%8.2f Mpps", packetsPerSecond / 1e6)
    }
}
