import Foundation
import Testing
@testable import VPCEmu

@Suite struct CaptureSummaryTests {
    @Test func aDamagedFileCountsWhatPrecedesTheDamageAndSaysWhere() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let whole = directory.appendingPathComponent("whole.pcap").path
        try SampleCaptures.writeSmallPacketCapture(path: whole, count: 100)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
        let cut = directory.appendingPathComponent("cut.pcap").path
        try bytes.prefix(3000).write(to: URL(fileURLWithPath: cut))

        let summary = CaptureSummary.of(file: cut)
        let complete = readAll(cut).frames.count
        #expect(complete > 10 && complete < 100)
        #expect(summary.packets == complete)
        guard case .damaged(cut, .record(complete), let reason)? = summary.error else {
            Issue.record("unexpected \(String(describing: summary.error))")
            return
        }
        #expect(reason.hasPrefix("truncated dump file"))
        let json = summary.jsonReport
        #expect(!json.complete)
        #expect(json.error?.contains("damaged at record \(complete)") == true)
        #expect(summary.json.contains("\"error\":"))
        #expect(summary.text.contains("  error        \(cut): damaged at record \(complete)"))
    }

    @Test func anUnopenableFileReportsOnlyItsError() {
        let summary = CaptureSummary.of(file: "/nonexistent/x.pcap")
        #expect(summary.text == "/nonexistent/x.pcap\n  error        /nonexistent/x.pcap: cannot open: No such file or directory")
        #expect(summary.json == #"{"bytes":0,"complete":false,"error":"/nonexistent/x.pcap: cannot open: No such file or directory","file":"/nonexistent/x.pcap","fragments":0,"ipv4":0,"ipv6":0,"malformed":{},"nonIP":0,"packets":0,"protocols":{},"vlanTagged":0,"wireBytes":0}"#)
    }

    /// The counters agree with a slow recount over the listing of a real capture.
    @Test(.needsSharedData) func summaryAgreesWithTheListingOnACorpusFile() throws {
        let path = SharedData.tcpdumpCorpus.appendingPathComponent("various_gre.pcap").path
        var summary = CaptureSummary(file: path)
        var batch = PacketBatch(packetCapacity: 5, byteCapacity: 4096)
        var listing = PacketListing(output: "")
        summary.read(batch: &batch, alsoShowing: &listing)
        let lines = listing.output.split(separator: "\n")
        #expect(summary.error == nil)
        #expect(lines.count == summary.packets)
        #expect(lines.filter { $0.contains(" malformed ") }.count == summary.malformedTotal)
        #expect(lines.filter { $0.contains(" non-IP ") }.count == summary.nonIP)
        #expect(lines.filter { $0.contains(" vlan ") }.count == summary.vlanTagged)
        #expect(summary.vlanTagged > 0)
    }
}
