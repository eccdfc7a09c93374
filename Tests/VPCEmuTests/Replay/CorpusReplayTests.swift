import Foundation
import Testing
@testable import VPCEmu

/// Captures of tcpdump's test corpus (../shared/data/pcap-corpus/tcpdump/) replay through
/// captures/two-vpcs-same-account.yaml with a `--map` and a `--bind` onto it, without a crash,
/// and every packet is accounted for: delivered + dropped by reason = packets read (counted by a
/// separate `PcapReader` pass). A file that cannot be read at all is a read failure with its
/// message, the same failure the reader gives. A seeded sample of the corpus: each replay writes
/// its outputs with fsync, which makes all 830 take minutes; Benchmarks/corpus-replay.py replays
/// every file, each in its own `vpcemu` process, and checks peak memory too.
@Suite struct CorpusReplayTests {
    /// The map and bindings the script uses too (README, "Replaying a capture from elsewhere").
    /// The private blocks most captures use move onto the two VPCs (and the DNS server of
    /// dns_*.pcap onto ecs-b); sources in each VPC's block are sent by its instance.
    static let map = ["192.168.0.0/16=172.16.0.0/16", "10.0.0.0/16=192.168.0.0/16", "209.87.249.18=192.168.1.10", "2001:db8::/32=fd00::/32"]
    static let bindings = [("172.16.0.0/16", "ecs-a"), ("192.168.0.0/16", "ecs-b"), ("::/0", "ecs-b")]

    static func options() throws -> ReplaySession.Options {
        let map = try AddressMap(map.map { text throws(AddressMap.RuleError) in try AddressMap.Rule(parsing: text) })
        let bindings = try bindings.map { (try IPNetwork(parsing: $0.0), $0.1) }
        // Some corpus captures span decades (timestamps from 1970 to 2038): a day's interval keeps
        // their series small whatever the series' storage.
        return ReplaySession.Options(pipeline: .init(bindings: bindings), interval: 86_400 * 1_000_000_000, input: .init(addressMap: map))
    }

    /// Records a `PcapReader` delivers before its end or its error.
    static func records(_ path: String) -> (count: Int, error: CaptureError?) {
        let reader: PcapReader
        do { reader = try PcapReader(path: path) } catch { return (0, error) }
        var batch = PacketBatch(), count = 0
        do { while try reader.nextBatch(into: &batch) { count += batch.count } } catch { return (count, error) }
        return (count, nil)
    }

    /// Every tenth file, from a seeded start, plus the largest ones.
    static func sample() throws -> [(name: String, path: String)] {
        let files = try SharedData.tcpdumpCorpusFiles()
        var random = SeededGenerator(seed: 18)
        let start = Int(random.next() % 10)
        let largest = Set(["afs.pcap", "pim-packet-assortment.pcap", "huge-tipc-messages.pcap", "dns_tcp.pcap", "ssh.pcap"])
        return files.enumerated().filter { $0.offset % 10 == start || largest.contains($0.element.name) }.map(\.element)
    }

    @Test(.needsSharedData) func corpusCapturesReplayWithEveryPacketAccountedFor() throws {
        let topology = try loadCapture("two-vpcs-same-account.yaml").topology
        let options = try Self.options()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("corpus-replay-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        var files = 0, packets: Int64 = 0, delivered: Int64 = 0, unreadable: [String] = []
        let sample = try Self.sample()
        for (name, path) in sample {
            files += 1
            let expected = Self.records(path)
            let session = try ReplaySession(topology: topology, outputDirectory: out, options: options)
            let end = try session.feed(.captures([path]))
            let report = try session.finish()
            switch end {
            case .completed: #expect(expected.error == nil, "\(name)")
            case .readFailed(let error):
                #expect(error == expected.error, "\(name)")
                #expect(!error.description.isEmpty)
                if expected.count == 0 { unreadable.append(name) }
            case .stopped: Issue.record("\(name): stopped")
            }
            #expect(report.totals.packets == Int64(expected.count), "\(name)")
            #expect(report.totals.deliveredPackets + report.dropsByReason.values.reduce(0, +) == Int64(expected.count), "\(name)")
            #expect(report.totals.droppedPackets == report.dropsByReason.values.reduce(0, +), "\(name)")
            packets += report.totals.packets
            delivered += report.totals.deliveredPackets
        }
        #expect(files == sample.count && files >= 85)
        #expect(packets > 1_000 && delivered > 0 && unreadable.count < files)
    }
}
