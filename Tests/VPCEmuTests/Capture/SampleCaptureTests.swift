import Foundation
import Testing
@testable import VPCEmu

/// `captures/sample.pcapng` is made by `SampleCaptures.writeBundledSample`. Regenerate it after
/// changing the generator with:
///
///     VPCEMU_REGENERATE_SAMPLE=1 swift test --filter SampleCaptureTests
@Suite struct SampleCaptureTests {
    static let bundledSample = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("captures/sample.pcapng")

    @Test func bundledSampleIsWhatTheGeneratorWrites() throws {
        if ProcessInfo.processInfo.environment["VPCEMU_REGENERATE_SAMPLE"] == "1" {
            try SampleCaptures.writeBundledSample(path: Self.bundledSample.path)
        }
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fresh = directory.appendingPathComponent("sample.pcapng")
        try SampleCaptures.writeBundledSample(path: fresh.path)
        #expect(try Data(contentsOf: fresh) == Data(contentsOf: Self.bundledSample),
                "captures/sample.pcapng is stale: regenerate it (see this file's header)")
    }

    @Test func bundledSampleSummary() throws {
        let summary = CaptureSummary.of(file: Self.bundledSample.path)
        #expect(summary.error == nil)
        #expect(summary.linkType == .ethernet)
        #expect(summary.packets == 28)
        #expect(summary.nonIP == 2)
        #expect(summary.ipv6 == 5)
        #expect(summary.ipv4 == 18)
        #expect(summary.vlanTagged == 2)
        #expect(summary.fragments == 2)
        #expect(summary.malformedByReason == ["truncated-ipv4": 1, "bad-checksum-ipv4": 1, "bad-ip-version": 1])
        #expect(summary.protocolMix == ["tcp": 10, "udp": 6, "icmp": 5, "icmpv6": 2])
        #expect(summary.earliestTimestamp == SampleCaptures.epoch)
        #expect(summary.latestTimestamp == SampleCaptures.epoch + 27 * 1_250_000)
        let json = summary.jsonReport
        #expect(json.complete && json.error == nil && json.bytes == summary.capturedBytes)
    }

    /// The listing shows what each packet is; the comments in the file say what it should be.
    @Test func packetListingOfTheSample() throws {
        var summary = CaptureSummary(file: Self.bundledSample.path)
        var batch = PacketBatch()
        var listing = PacketListing(output: "")
        summary.read(batch: &batch, alsoShowing: &listing)
        let lines = listing.output.split(separator: "\n").map(String.init)
        #expect(lines.count == 28)
        #expect(lines[0] == "0 2026-01-01T00:00:00.000000000Z non-IP 0x0806 len 60")
        #expect(lines[2] == "2 2026-01-01T00:00:00.002500000Z 10.0.1.10 → 10.0.1.20 ICMP type 8 code 0 id 119 seq 1 len 98")
        #expect(lines[16].contains("2001:db8:a:1::10 → 2001:db8:b:2::30 ICMPv6 type 128 code 0 id 9 seq 1 len 78"))
        #expect(lines[8].hasSuffix("10.0.1.10:40000 → 10.1.2.30:5432 TCP [S] len 54"))
        #expect(lines.contains { $0.contains("[2001:db8:a:1::10]:40001 → [2001:db8:b:2::30]:443 TCP [S]") })
        #expect(lines.contains { $0.contains("UDP vlan 100 ") })
        #expect(lines.contains { $0.contains("ICMP type 8 code 0 id 1 seq 1 vlan 200/2001 ") })
        #expect(lines.contains { $0.contains("UDP frag id 16962 off 1480 ") })
        #expect(lines[25].hasSuffix("malformed truncated-ipv4 (the ipv4 header extends past the captured bytes or the IP packet) len 26"))
        #expect(lines[26].contains("malformed bad-checksum-ipv4"))
        #expect(lines[27].contains("malformed bad-ip-version"))
    }

    @Test func smallPacketCaptureParsesCleanly() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("small.pcap").path
        try SampleCaptures.writeSmallPacketCapture(path: path, count: 1000)
        let summary = CaptureSummary.of(file: path)
        #expect(summary.packets == 1000)
        #expect(summary.malformedTotal == 0 && summary.nonIP == 0 && summary.error == nil)
        #expect(summary.capturedBytes / summary.packets < 90)
        #expect(summary.ipv6 == 1000 / 4)
    }
}
