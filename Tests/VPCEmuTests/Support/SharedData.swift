import Foundation

/// The project's shared test data: ../shared/data relative to the package root.
enum SharedData {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // VPCEmuTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .appendingPathComponent("../shared/data")
        .standardized

    static let tcpdumpCorpus = root.appendingPathComponent("pcap-corpus/tcpdump")
    /// The corpus files as (name, path), sorted by name.
    static func tcpdumpCorpusFiles() throws -> [(name: String, path: String)] {
        try FileManager.default.contentsOfDirectory(atPath: tcpdumpCorpus.path).sorted().map {
            ($0, tcpdumpCorpus.appendingPathComponent($0).path)
        }
    }
    static let bgpTable = root.appendingPathComponent("bgp-prefixes.txt.gz")

    static func classbench(_ name: String) -> String { root.appendingPathComponent("classbench/" + name).path }
}
