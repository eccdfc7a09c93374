import Foundation
import Testing

/// `vpcemu demo` runs from any directory on the examples compiled into the binary, and prints the
/// summary the README shows for its first command.
@Suite struct DemoTests {
    static func scratchDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vpcemu-demo-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// The first line of the README's "What the demo prints" block.
    static func readmeSummary() throws -> String {
        let readme = try String(contentsOf: VPCEmuProcess.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let block = try #require(readme.components(separatedBy: "What the demo prints (abridged):\n\n```\n").dropFirst().first)
        return try #require(block.split(separator: "\n").first.map(String.init))
    }

    @Test func runsFromAnyDirectoryAndPrintsTheReadmeSummary() throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try VPCEmuProcess.run(["demo"], in: directory)
        #expect(result.status == 0, "stderr:\n\(result.standardError)")
        let summary = try Self.readmeSummary()
        #expect(summary.hasPrefix("packets "))
        #expect(result.standardOutput.contains("\n\(summary)\n"), "stdout:\n\(result.standardOutput)")
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("vpcemu-demo-out/report.json").path))
    }

    @Test func listNamesEveryBundledExample() throws {
        let result = try VPCEmuProcess.run(["demo", "--list"], in: try Self.scratchDirectory())
        #expect(result.status == 0)
        let captures = try FileManager.default.contentsOfDirectory(atPath: VPCEmuProcess.repositoryRoot.appendingPathComponent("captures").path)
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(".yaml".count)) }.sorted()
        let listed = result.standardOutput.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(listed == captures)
        #expect(result.standardOutput.contains("hub-and-spoke             Hub and spoke: a central VPC peers with two branch VPCs.\n"))
    }

    /// Another example gets pings between every two instances: hub-and-spoke's branches cannot
    /// reach each other (12 of 36 packets dropped).
    @Test func anyBundledExampleByName() throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try VPCEmuProcess.run(["demo", "--topology", "hub-and-spoke"], in: directory)
        #expect(result.status == 0, "stderr:\n\(result.standardError)")
        #expect(result.standardOutput.contains("  ping ecs-b1 ecs-b2 count=3 start=3s\n"))
        #expect(result.standardOutput.contains("packets 36   delivered 24   dropped 12   emulated 7.0 s\n"))
        #expect(result.standardOutput.contains("non-transitive"))
    }
}
