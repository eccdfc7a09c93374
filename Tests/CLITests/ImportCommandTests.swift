import Foundation
import Testing

/// `vpcemu import`: exit statuses, what goes to stderr, and the file written.
@Suite struct ImportCommandTests {
    static let fixtures = "Tests/VPCEmuTests/Fixtures/Import"

    static func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vpcemu-import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func importWritesACheckedDeterministicFile() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = directory.appendingPathComponent("first.yaml").path, second = directory.appendingPathComponent("second.yaml").path
        for output in [first, second] {
            let result = try VPCEmuProcess.run(["import", "terraform", "\(Self.fixtures)/terraform/aws-state.json", "-o", output])
            #expect(result.status == 0, "\(result.standardError)")
            #expect(result.standardError.contains("not modelled: 1 aws_internet_gateway resources (module.network.aws_internet_gateway.igw)"))
            #expect(result.standardError.contains("wrote \(output): 2 VPCs, 4 instances, 1 peerings"))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: first)) == Data(contentsOf: URL(fileURLWithPath: second)))
        let check = try VPCEmuProcess.run(["topology", "check", first])
        #expect(check.status == 0, "\(check.standardOutput)")
        // Without -o the topology goes to standard output.
        let stdout = try VPCEmuProcess.run(["import", "alibaba", "\(Self.fixtures)/alibaba"])
        #expect(stdout.status == 0)
        #expect(stdout.standardOutput.hasPrefix("# latency cn-hangzhou <-> us-west-1 assumed 50ms"))
    }

    @Test func malformedInputExits2WithALocatedMessageAndWritesNothing() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(#"{"Vpcs": [{"VpcId": "vpc-1", "CidrBlock": 16}]}"#.utf8).write(to: directory.appendingPathComponent("Vpcs.json"))
        let output = directory.appendingPathComponent("out.yaml").path
        let result = try VPCEmuProcess.run(["import", "aws", directory.path, "-o", output])
        #expect(result.status == 2)
        #expect(result.standardError == "error: \(directory.path)/Vpcs.json: Vpcs[0].CidrBlock: wrong type: found the number 16 (expected a string)\n")
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func badOutputIsAUsageError() throws {
        let result = try VPCEmuProcess.run(["import", "aws", "\(Self.fixtures)/alibaba", "-o", Self.fixtures])
        #expect(result.status == 64)
        #expect(result.standardError.contains("is a directory; give a file name"))
    }
}
