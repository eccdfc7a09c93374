import Foundation
import Testing

/// `vpcemu replay … --flow-log FILE [--check-actions]` as a user runs it (docs/flow-logs.md).
@Suite struct FlowLogReplayTests {
    static let fixtures = "Tests/VPCEmuTests/Fixtures/FlowLog/"
    static let topology = fixtures + "aws-examples.yaml"

    func withScratch(_ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vpcemu-flowlog-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(directory)
    }

    @Test func theDocumentationsRecordsReplayAndAgreeWithTheirNetwork() throws {
        try withScratch { scratch in
            let result = try VPCEmuProcess.run(["replay", Self.topology, "--flow-log", Self.fixtures + "aws-default.log",
                                                "--out", scratch + "/out", "--check-actions"])
            #expect(result.status == 0, "\(result.standardError)")
            // 20 SSH packets delivered, 20 RDP packets denied; the ping and IPv6 hosts are outside the model.
            #expect(result.standardOutput.contains("packets 102"), "\(result.standardOutput)")
            #expect(result.standardOutput.contains("Action check: 2 records checked, 2 agree, 0 disagree; 3 not checked"))
            #expect(result.standardError.contains("flow log: 5 records (0 seen at both ends kept once), 1 NODATA, 1 SKIPDATA, 0 malformed lines skipped; 102 packets to replay"))
            #expect(FileManager.default.fileExists(atPath: scratch + "/out/web.pcap"))
        }
    }

    @Test func disagreementsAreListedAndExitWithStatusOne() throws {
        try withScratch { scratch in
            let yaml = try String(contentsOfFile: VPCEmuProcess.repositoryRoot.appendingPathComponent(Self.topology).path, encoding: .utf8)
            try yaml.replacingOccurrences(of: "ports: 22,", with: "ports: 3389,").write(toFile: scratch + "/changed.yaml", atomically: true, encoding: .utf8)
            let result = try VPCEmuProcess.run(["replay", scratch + "/changed.yaml", "--flow-log", Self.fixtures + "aws-default.log",
                                                "--out", scratch + "/out", "--check-actions"])
            #expect(result.status == 1, "\(result.standardOutput)\(result.standardError)")
            #expect(result.standardOutput.contains("  bastion -> web tcp/22: 1 record, 20 packets, 4249 bytes (first: Tests/VPCEmuTests/Fixtures/FlowLog/aws-default.log:1)"))
            #expect(result.standardOutput.contains("  desk -> win tcp/3389: 1 record, 20 packets, 4249 bytes"))
            // Without --check-actions the same replay succeeds.
            let plain = try VPCEmuProcess.run(["replay", scratch + "/changed.yaml", "--flow-log", Self.fixtures + "aws-default.log", "--out", scratch + "/out"])
            #expect(plain.status == 0 && !plain.standardOutput.contains("Action check"))
        }
    }

    @Test func malformedLinesAreLocatedAndTheRestIsReplayed() throws {
        try withScratch { scratch in
            let log = scratch + "/flows.log"
            let text = try String(contentsOfFile: VPCEmuProcess.repositoryRoot.appendingPathComponent(Self.fixtures + "aws-default.log").path, encoding: .utf8)
            try (text + "2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 twenty-two 6 20 4249 1418530010 1418530070 ACCEPT OK\n")
                .write(toFile: log, atomically: true, encoding: .utf8)
            let result = try VPCEmuProcess.run(["replay", Self.topology, "--flow-log", log, "--out", scratch + "/out"])
            #expect(result.status == 0)
            #expect(result.standardError.contains("flows.log:8: dstport: expected a port 1-65535, got 'twenty-two' (line skipped)"), "\(result.standardError)")
            #expect(result.standardError.contains("1 malformed lines skipped; 102 packets to replay"))
        }
    }

    @Test(arguments: [
        (["--flow-log", "missing.log"], Int32(2), "missing.log: No such file or directory"),
        (["--flow-log", "README.md"], 2, "README.md:1: not a flow log: none of its"),
        (["--check-actions", "--generate", "ping bastion web"], 64, "--check-actions applies only to --flow-log"),
        (["--flow-log", fixtures + "aws-default.log", "--generate", "ping bastion web"], 64,
         "give capture files, --generate SPEC or --flow-log FILE, only one of them"),
        ([], 64, "give capture files, --generate SPEC or --flow-log FILE"),
        (["--flow-log", fixtures + "aws-default.log", "--check-actions", "--bind", "172.31.0.0/16=web"], 64, "cannot take --bind"),
    ] as [([String], Int32, String)])
    func badInputsStopBeforeAnythingIsWritten(arguments: [String], status: Int32, printed: String) throws {
        try withScratch { scratch in
            let result = try VPCEmuProcess.run(["replay", Self.topology] + arguments + ["--out", scratch + "/new/out"])
            #expect(result.status == status, "\(result.standardError)")
            #expect(result.standardError.contains(printed), "\(result.standardError)")
            #expect(!FileManager.default.fileExists(atPath: scratch + "/new"))
        }
    }
}
