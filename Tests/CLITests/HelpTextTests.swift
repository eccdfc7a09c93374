import Foundation
import Testing

/// `--help` output against the golden files in Tests/CLITests/Fixtures. After an intended change
/// to the help, regenerate them with `VPCEMU_UPDATE_GOLDEN=1 swift test --filter HelpTextTests`
/// and review the diff.
@Suite struct HelpTextTests {
    static let regenerates = ProcessInfo.processInfo.environment["VPCEMU_UPDATE_GOLDEN"] == "1"

    @Test(arguments: [
        (["--help"], "vpcemu-help.txt"),
        (["ping", "--help"], "vpcemu-ping-help.txt"),
        (["traceroute", "--help"], "vpcemu-traceroute-help.txt"),
        (["replay", "--help"], "vpcemu-replay-help.txt"),
        (["generate", "--help"], "vpcemu-generate-help.txt"),
        (["import", "--help"], "vpcemu-import-help.txt"),
        (["import", "terraform", "--help"], "vpcemu-import-terraform-help.txt"),
    ])
    func helpMatchesGoldenFile(arguments: [String], goldenName: String) throws {
        let result = try VPCEmuProcess.run(arguments)
        #expect(result.status == 0, "stderr:\n\(result.standardError)")
        let golden = VPCEmuProcess.repositoryRoot.appendingPathComponent("Tests/CLITests/Fixtures/\(goldenName)")
        if Self.regenerates {
            try result.standardOutput.write(to: golden, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(result.standardOutput == expected,
                "vpcemu \(arguments.joined(separator: " ")) differs from \(goldenName); if intended, regenerate with VPCEMU_UPDATE_GOLDEN=1")
    }
}
