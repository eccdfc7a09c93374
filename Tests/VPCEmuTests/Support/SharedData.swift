import Foundation
import Testing

/// The project's shared test data: ../shared/data relative to the package root.
enum SharedData {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // VPCEmuTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .appendingPathComponent("../shared/data")
        .standardized

    /// Whether the shared data is beside the checkout. `.ci/run` refuses to run without it, so in CI
    /// a test that needs it never skips; on a bare checkout those tests skip with `needsSharedData`'s message.
    static let isAvailable = FileManager.default.fileExists(atPath: root.appendingPathComponent("README.md").path)

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

extension Trait where Self == ConditionTrait {
    /// For a test that reads `../shared/data`: skipped, saying where the data comes from, when it is missing.
    static var needsSharedData: Self {
        .enabled(if: SharedData.isAvailable,
                 "needs the project's shared test data in ../shared/data beside the checkout (the BGP table, ClassBench sets and tcpdump capture corpus; see its README.md)")
    }
}
