import Foundation
import Testing

/// A topology with hundreds of errors prints the first 100 and a count, in `topology check` and
/// in every command that loads a topology (they print the same capped list on stderr).
@Suite struct TopologyErrorOutputTests {
    static func manyErrors() throws -> String {
        let instances = (0..<250).map { "  - {name: ecs\($0), vswitch: nope, ipv4: 10.0.1.10}" }
        let text = """
        regions: [r1]
        accounts: [a]
        vpcs: [{name: v, account: a, region: r1, cidr: 10.0.0.0/16}]
        instances:

        """ + instances.joined(separator: "\n") + "\n"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vpcemu-many-errors-\(getpid()).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func checkPrintsTheFirstHundredAndACount() throws {
        let path = try Self.manyErrors()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let check = try VPCEmuProcess.run(["topology", "check", path])
        let lines = check.standardOutput.split(separator: "\n")
        #expect(check.status != 0)
        #expect(lines.count == 102)
        #expect(lines[100] == "… and 150 more errors")
        #expect(lines[101] == "\(path): 250 errors, 0 warnings")
        let show = try VPCEmuProcess.run(["topology", "show", path])
        let errorLines = show.standardError.split(separator: "\n")
        #expect(errorLines.count == 101)
        #expect(errorLines.last == "… and 150 more errors")
    }
}
