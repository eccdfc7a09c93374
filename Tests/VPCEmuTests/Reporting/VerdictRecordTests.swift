import Foundation
import Testing
@testable import VPCEmu

@Suite struct VerdictRecordTests {
    /// Every control character, the two JSON must escape, and UTF-8 of every length.
    static let oddText = String((0..<0x20).map { Character(Unicode.Scalar(UInt8($0))) }) + "\"\\/ é€𝄞\u{7F}\u{2028}"

    /// The escaper against JSONDecoder on seeded random strings drawn from the characters that need
    /// care: every one decodes back to itself.
    @Test func escapedStringsDecodeToThemselves() throws {
        var random = SplitMix64(seed: 23)
        let alphabet = Array(Self.oddText.unicodeScalars) + Array("abc-_.0".unicodeScalars)
        for length in 0..<300 {
            var text = String.UnicodeScalarView()
            for _ in 0..<length { text.append(alphabet[Int(random.next() % UInt64(alphabet.count))]) }
            var line: [UInt8] = []
            VerdictLine.appendQuoted(String(text), to: &line)
            #expect(try JSONDecoder().decode(String.self, from: Data(line)) == String(text))
        }
    }

    @Test(arguments: [Int64.min, -1, 0, 7, 1_000_000_000, Int64.max])
    func integersAreWrittenInDecimal(_ value: Int64) {
        var out: [UInt8] = []
        VerdictLine.appendInteger(value, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == String(value))
    }

    /// A replay whose instance names hold every odd character (quote, backslash, control characters,
    /// non-ASCII, and the `.`, `_`, `-` the name pattern allows): each verdicts.jsonl line decodes into
    /// `VerdictRecord`, names and trails as the topology has them, and re-encodes to the same record.
    @Test func verdictLinesAreValidJSONWhateverTheNames() throws {
        let loaded = try loadCapture("two-vpcs-same-account.yaml").topology
        let flows = try ["ping ecs-a ecs-b count=3", "ping ecs-b ecs-a count=2", "ping ecs-a 10.99.0.1 count=2", "syn ecs-a ecs-b 22 count=1"]
            .map { try TrafficGenerator.parse($0, topology: loaded) }
        var topology = loaded
        let names = ["us\"1\\x\t\u{1}é", "ecs.b_2-Z€𝄞"]
        for (index, name) in names.enumerated() { topology.instances[index].name = name }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verdicts-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let session = try ReplaySession(topology: topology, outputDirectory: directory, options: .init(writeVerdicts: true))
        #expect(try session.feed(.generated(TrafficGenerator(flows: flows, seed: 1))) == .completed)
        let report = try session.finish()

        let lines = try Data(contentsOf: URL(fileURLWithPath: directory + "/verdicts.jsonl")).split(separator: UInt8(ascii: "\n"))
        #expect(Int64(lines.count) == report.totals.packets)
        var delivered: [String: Int] = [:], dropped = 0
        for line in lines {
            let record = try JSONDecoder().decode(VerdictRecord.self, from: Data(line))
            #expect(try JSONDecoder().decode(VerdictRecord.self, from: JSONEncoder().encode(record)) == record)
            switch record.verdict {
            case "delivered":
                let instance = try #require(record.instance)
                delivered[instance, default: 0] += 1
                #expect(record.arrival != nil && record.reason == nil && record.detail == nil)
                #expect(record.trail.hasSuffix(" > \(instance)"), "\(record.trail)")
            case "dropped":
                dropped += 1
                #expect(record.instance == nil && record.arrival == nil && record.reason != nil && record.detail != nil)
                #expect(record.trail.hasPrefix(names[0]), "\(record.trail)")
            default:
                Issue.record("verdict \(record.verdict)")
            }
        }
        // ecs-b: 3 requests, 2 replies, the SYN; ecs-a: 3 replies, 2 requests; the pings to 10.99.0.1 have no route.
        #expect(delivered == [names[1]: 6, names[0]: 5])
        #expect(Int64(dropped) == report.totals.droppedPackets && dropped == 2)
        // The documented key order of docs/forwarding.md.
        let first = String(decoding: lines[0], as: UTF8.self)
        #expect(first.hasPrefix("{\"time\":0,\"verdict\":\"delivered\",\"instance\":"), "\(first)")
        #expect(FileManager.default.fileExists(atPath: directory + "/\(names[0]).pcap"))
    }

    /// The output side of the name rule: a name that would leave the output directory is refused
    /// before anything is created, whatever the loader let through.
    @Test(arguments: ["../escaped", "a/b", "..", ".", "", ".hidden", "nul\u{0}", String(repeating: "n", count: 252)])
    func anUnsafeInstanceNameIsRefusedBeforeAnyOutput(_ name: String) throws {
        var topology = try loadCapture("two-vpcs-same-account.yaml").topology
        topology.instances[1].name = name
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("unsafe-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let directory = parent + "/out"
        #expect(throws: ReplaySession.ReplayError.self) {
            try ReplaySession(topology: topology, outputDirectory: directory, options: .init(writeVerdicts: true))
        }
        #expect(!FileManager.default.fileExists(atPath: parent))
    }
}
