import Foundation
import Testing

/// The `bench` commands share their conventions: one repeat flag (`--repeat`), JSON with the
/// snake_case keys of every other JSON output, and set-up times (reading files, builds) reported
/// apart from the measured loop. Tiny inputs: these check the output, not the speed.
@Suite struct BenchCommandTests {
    static func write(_ text: String, _ name: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vpcemu-bench-\(UUID().uuidString)-\(name)")
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// Runs `vpcemu bench ARGUMENTS… --repeat 1 --json`, expects success and returns the object.
    static func json(_ arguments: [String]) throws -> [String: Any] {
        let result = try VPCEmuProcess.run(["bench"] + arguments + ["--repeat", "1", "--json"])
        #expect(result.status == 0, "\(result.standardError)")
        let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
        return try #require(object, "one JSON object: \(result.standardOutput)")
    }

    /// Every key, nested ones too, is lower-case snake_case (a drop code in `drops_by_reason` is
    /// kebab-case, as in the reports).
    static func keys(_ value: Any) -> [String] {
        if let object = value as? [String: Any] { return object.keys + object.values.flatMap(keys) }
        if let array = value as? [Any] { return array.flatMap(keys) }
        return []
    }

    static func expectSnakeCase(_ object: [String: Any]) {
        for key in keys(object) {
            #expect(key.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" || $0 == "-" }, "key \(key)")
        }
    }

    @Test func lpmReportsFileReadingAndBuildsApartFromLookups() throws {
        let routes = try Self.write("10.0.0.0/8 1\n192.0.2.0/24 65535\n", "routes")
        let addrs = try Self.write("10.1.2.3\n192.0.2.9\n8.8.8.8\n", "addrs")
        let object = try Self.json(["lpm", "--routes", routes, "--addrs", addrs, "--verify"])
        Self.expectSnakeCase(object)
        #expect(object["checksum"] as? Int == 65536 && object["rib_checksum"] as? Int == 65536)
        for key in ["parse_seconds", "rib_build_seconds", "build_seconds", "mlps_single", "mlps_batch"] {
            #expect((object[key] as? Double).map { $0 >= 0 } == true, "\(key) in \(object)")
        }
    }

    @Test func aclReportsFileReadingAndBuildApartFromClassification() throws {
        let rules = try Self.write("@10.0.0.0/8\t192.168.1.1/32\t0 : 65535\t80 : 80\t0x06/0xFF\t0x1000/0x1000\t\n", "rules")
        let trace = try Self.write("167772161\t3232235777\t1234\t80\t6\t0\t0\n", "trace")
        let object = try Self.json(["acl", "--rules", rules, "--trace", trace, "--verify"])
        Self.expectSnakeCase(object)
        #expect(object["checksum"] as? Int == 1 && object["packets"] as? Int == 1)
        for key in ["parse_seconds", "build_seconds", "memory_bytes"] {
            #expect(object[key] != nil, "\(key) in \(object)")
        }
    }

    @Test func parseAndReplayUseTheSameConventions() throws {
        let capture = FileManager.default.temporaryDirectory.appendingPathComponent("vpcemu-bench-\(UUID().uuidString).pcap").path
        defer { try? FileManager.default.removeItem(atPath: capture) }
        let parse = try Self.json(["parse", capture, "--make-small-packets", "200"])
        Self.expectSnakeCase(parse)
        #expect(parse["packets"] as? Int == 200 && parse["read_only_packets_per_second"] != nil)
        let replay = try Self.json(["replay", "captures/two-vpcs-same-account.yaml", capture])
        Self.expectSnakeCase(replay)
        #expect(replay["packets"] as? Int == 200)
        #expect(replay["topology_seconds"] != nil && replay["pipeline_build_seconds"] != nil)
    }

    /// `--repeat` is the one name: the old per-command names are unknown options, and a count
    /// below 1 is a usage error, on every bench command.
    @Test(arguments: [
        (["parse", "x.pcap"], "--rounds"),
        (["replay", "captures/two-vpcs-same-account.yaml", "x.pcap"], "--rounds"),
        (["lpm", "--routes", "r", "--addrs", "a"], "--repetitions"),
        (["acl", "--rules", "r", "--trace", "t"], "--repetitions"),
    ])
    func repeatIsTheOneRepeatFlag(arguments: [String], oldName: String) throws {
        let old = try VPCEmuProcess.run(["bench"] + arguments + [oldName, "2"])
        #expect(old.status == 64 && old.standardError.contains("Unknown option '\(oldName)'"), "\(old.standardError)")
        let zero = try VPCEmuProcess.run(["bench"] + arguments + ["--repeat", "0"])
        #expect(zero.status == 64 && zero.standardError.contains("--repeat must be at least 1"), "\(zero.standardError)")
    }
}
