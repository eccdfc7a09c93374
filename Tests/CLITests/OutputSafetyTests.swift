import Foundation
import Testing
import VPCEmu

/// The commands that write, run as a user would: nothing is written before every input and option
/// is checked, no output replaces an input, signals and full disks leave complete outputs or none,
/// and every per-instance capture is valid for every frame (docs/forwarding.md, "Replay outputs").
@Suite struct OutputSafetyTests {
    static let topology = "captures/two-vpcs-same-account.yaml"
    static let tsharkPath = ["/usr/bin/tshark", "/usr/local/bin/tshark"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let isRoot = geteuid() == 0

    /// A fresh scratch directory, removed after `body`.
    func withScratch(_ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vpcemu-safety-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(directory)
    }

    func entries(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    /// Packets in a capture, read by VPCEmu's reader (which fails on a damaged or cut file).
    func packets(_ path: String) throws -> Int {
        let reader = try PcapReader(path: path)
        var batch = PacketBatch(), total = 0
        while try reader.nextBatch(into: &batch) { total += batch.count }
        return total
    }

    @Test func aMissingCaptureStopsTheReplayBeforeItCreatesAnything() throws {
        try withScratch { scratch in
            let out = scratch + "/new/out"
            let result = try VPCEmuProcess.run(["replay", Self.topology, "missing.pcap", "--out", out])
            #expect(result.status == 2)
            #expect(result.standardError.contains("missing.pcap: No such file or directory"), "\(result.standardError)")
            #expect(!result.standardOutput.contains("packets"), "no summary: \(result.standardOutput)")
            #expect(!FileManager.default.fileExists(atPath: scratch + "/new"))
        }
    }

    @Test func aReplayNeverReplacesItsInput() throws {
        try withScratch { scratch in
            let out = scratch + "/out"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let input = out + "/ecs-b.pcap"
            #expect(try VPCEmuProcess.run(["generate", Self.topology, "--out", input, "--flow", "ping ecs-a ecs-b count=2"]).status == 0)
            let before = try Data(contentsOf: URL(fileURLWithPath: input))
            // The same file by path …
            let samePath = try VPCEmuProcess.run(["replay", Self.topology, input, "--out", out])
            #expect(samePath.status == 64)
            #expect(samePath.standardError.contains("ecs-b.pcap is an input"), "\(samePath.standardError)")
            // … and by identity: a hard link elsewhere, and the directory named another way.
            let alias = scratch + "/alias.pcap"
            #expect(link(input, alias) == 0)
            let hardLink = try VPCEmuProcess.run(["replay", Self.topology, alias, "--out", scratch + "/./out/"])
            #expect(hardLink.status == 64)
            #expect(hardLink.standardError.contains("would replace the input \(alias)"), "\(hardLink.standardError)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == before)
            #expect(entries(out) == ["ecs-b.pcap"])
        }
    }

    @Test func anInstanceNameCannotWriteOutsideTheOutputDirectory() throws {
        try withScratch { scratch in
            let yaml = try String(contentsOf: VPCEmuProcess.repositoryRoot.appendingPathComponent(Self.topology), encoding: .utf8)
                .replacingOccurrences(of: "{name: ecs-b,", with: "{name: ../escaped,")
            let topology = scratch + "/escape.yaml"
            try yaml.write(toFile: topology, atomically: true, encoding: .utf8)
            let out = scratch + "/out"
            let result = try VPCEmuProcess.run(["replay", topology, "--generate", "ping 172.16.1.10 192.168.1.10 count=2", "--out", out])
            // The loader may refuse the name (exit 2), or the replay does: either way nothing is written.
            #expect(result.status == 2, "\(result.standardError)")
            #expect(entries(scratch) == ["escape.yaml"])
        }
    }

    /// Only the previous run's files of this run's names go, and the temporary files of runs that
    /// died; a run that stops at a check removes nothing.
    @Test func aReplayRemovesThePreviousRunsOutputsAndDeadPartials() throws {
        try withScratch { out in
            let dead = try deadProcessID()
            let old = ["report.json", "verdicts.jsonl", "ecs-a.pcap", ".report.json.partial-\(dead)-0", ".ecs-b.pcap.partial-1-0", "notes.txt"]
            for name in old { try Data("old".utf8).write(to: URL(fileURLWithPath: out + "/" + name)) }
            let refused = try VPCEmuProcess.run(["replay", Self.topology, "missing.pcap", "--out", out])
            #expect(refused.status == 2)
            #expect(entries(out) == old.sorted())

            let result = try VPCEmuProcess.run(["replay", Self.topology, "--generate", "ping ecs-a ecs-b count=2", "--out", out])
            #expect(result.status == 0, "\(result.standardError)")
            // verdicts.jsonl of an older run is gone though this one did not ask for it; pid 1's temporary file stays.
            #expect(entries(out) == [".ecs-b.pcap.partial-1-0", "dropped.pcapng", "ecs-a.pcap", "ecs-b.pcap", "metrics.csv", "notes.txt",
                                     "report.json", "throughput.svg"])
            let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))) as? [String: Any]
            #expect(report?["totals"] != nil)
        }
    }

    /// A process id that no process has: one of a child that ended.
    func deadProcessID() throws -> Int32 {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        return child.processIdentifier
    }

    @Test(.enabled(if: tsharkPath != nil, "needs tshark (apt-get install tshark)"))
    func mixedLinkTypesGiveRawIPCapturesThatTsharkReads() throws {
        try withScratch { scratch in
            let ethernet = scratch + "/eth.pcap", raw = scratch + "/raw.pcap"
            #expect(try VPCEmuProcess.run(["generate", Self.topology, "--out", ethernet, "--flow", "ping ecs-a ecs-b count=3",
                                           "--flow", "tcp ecs-b ecs-a 80 bytes=3000"]).status == 0)
            // The same packets as raw IP (link header stripped).
            let reader = try PcapReader(path: ethernet)
            let writer = try PcapWriter(path: raw, linkType: .raw)
            var batch = PacketBatch(), sent = 0
            while try reader.nextBatch(into: &batch) {
                batch.withUnsafeBytes { bytes in
                    for index in 0..<batch.count {
                        let frame = batch.frame(index, in: bytes)
                        writer.write(UnsafeRawBufferPointer(rebasing: frame[14...]), timestamp: batch.timestamps[index])
                    }
                }
                sent += batch.count
            }
            try writer.finish()

            for (inputs, linkType) in [([ethernet], 1), ([raw], 101), ([ethernet, raw], 101), ([raw, ethernet], 101)] {
                let out = scratch + "/out-\(inputs.count)-\(linkType)"
                let result = try VPCEmuProcess.run(["replay", Self.topology] + inputs + ["--out", out])
                #expect(result.status == 0, "\(result.standardError)")
                var delivered = 0
                for instance in ["ecs-a", "ecs-b"] {
                    let path = out + "/\(instance).pcap"
                    let header = try Data(contentsOf: URL(fileURLWithPath: path)).prefix(24)
                    #expect(header.count == 24 && header[20] == UInt8(linkType) && header[21] == 0, "\(inputs) → \(path)")
                    let shark = try run(Self.tsharkPath!, ["-r", path, "-T", "fields", "-e", "ip.src", "-e", "_ws.expert.message"])
                    #expect(shark.status == 0, "\(shark.error)")
                    let lines = shark.output.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                    // Every frame shows IP, and none is malformed or unknown.
                    #expect(lines.allSatisfy { $0.hasPrefix("172.16.1.10\t") || $0.hasPrefix("192.168.1.10\t") }, "\(path): \(shark.output)")
                    #expect(lines.allSatisfy { !$0.lowercased().contains("malformed") }, "\(path): \(shark.output)")
                    #expect(lines.count == (try packets(path)))
                    delivered += lines.count
                }
                let report = try JSONDecoder().decode(Totals.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/report.json")))
                #expect(report.totals.packets == sent * inputs.count)
                #expect(delivered == report.totals.deliveredPackets && delivered > 0)
            }
        }
    }

    func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        let complaints = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: printed, as: UTF8.self), String(decoding: complaints, as: UTF8.self))
    }

    /// Waits (up to a minute) until `directory` holds an atomic writer's temporary file: the command
    /// is past its checks and writing.
    func waitForPartial(in directory: String) throws {
        let deadline = Date().addingTimeInterval(60)
        while !entries(directory).contains(where: { $0.contains(".partial-") }) {
            try #require(Date() < deadline, "no temporary file appeared in \(directory)")
            usleep(20_000)
        }
    }

    @Test(arguments: [(SIGTERM, Int32(143)), (SIGINT, Int32(130))])
    func aSignalMidReplayLeavesCompleteOutputs(_ signal: Int32, _ status: Int32) throws {
        try withScratch { out in
            // 7.5M packets: far more than the replay gets through before the signal.
            let running = try VPCEmuProcess.start(["replay", Self.topology, "--generate", "udp ecs-a ecs-b 53 mbps=1000 size=1000 duration=60s",
                                                   "--out", out, "--verdicts"])
            try waitForPartial(in: out)
            usleep(300_000)
            running.send(signal)
            let result = try running.wait()
            #expect(result.exitedNormally && result.status == status, "\(result.standardError)")
            #expect(result.standardError.contains(signal == SIGTERM ? "terminated: outputs cover" : "interrupted: outputs cover"))
            #expect(!entries(out).contains { $0.contains(".partial") }, "\(entries(out))")
            #expect(entries(out) == ["dropped.pcapng", "ecs-a.pcap", "ecs-b.pcap", "metrics.csv", "report.json", "throughput.svg", "verdicts.jsonl"])
            let report = try JSONDecoder().decode(Totals.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/report.json")))
            #expect(report.totals.packets > 0 && report.totals.packets < 7_500_000)
            #expect(try packets(out + "/ecs-b.pcap") == report.totals.deliveredPackets)
            let lines = try String(contentsOfFile: out + "/verdicts.jsonl", encoding: .utf8).split(separator: "\n")
            #expect(lines.count == report.totals.packets)
        }
    }

    struct Totals: Decodable {
        struct Counts: Decodable {
            var packets: Int
            var deliveredPackets: Int
            enum CodingKeys: String, CodingKey {
                case packets
                case deliveredPackets = "delivered_packets"
            }
        }
        var totals: Counts
    }

    @Test(arguments: [(SIGTERM, Int32(143)), (SIGINT, Int32(130))])
    func aSignalMidGenerateLeavesNoFile(_ signal: Int32, _ status: Int32) throws {
        try withScratch { scratch in
            let out = scratch + "/big.pcap"
            let running = try VPCEmuProcess.start(["generate", Self.topology, "--out", out,
                                                   "--flow", "udp ecs-a ecs-b 53 mbps=100 size=100 duration=60s"])
            try waitForPartial(in: scratch)
            usleep(200_000)
            running.send(signal)
            let result = try running.wait()
            #expect(result.exitedNormally && result.status == status, "\(result.standardError)")
            #expect(result.standardError.contains("nothing was written to \(out)"))
            #expect(entries(scratch).isEmpty, "\(entries(scratch))")
        }
    }

    /// A 1 MiB tmpfs fills up: the command stops with the path and the cause, and removes its partial files.
    @Test(.enabled(if: isRoot, "mounts a tmpfs: needs root"))
    func aFullDiskStopsCleanly() throws {
        try withScratch { scratch in
            let disk = scratch + "/disk"
            try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
            guard try run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", disk]).status == 0 else {
                Issue.record("cannot mount a tmpfs at \(disk)")
                return
            }
            defer { _ = try? run("/bin/umount", [disk]) }
            let flow = "udp ecs-a ecs-b 53 mbps=100 size=1000 duration=1s"  // 12.5 MB
            let refused = try VPCEmuProcess.run(["generate", Self.topology, "--out", disk + "/t.pcap", "--flow", flow])
            #expect(refused.status == 64 && refused.standardError.contains("allowed (95 % of the"), "\(refused.standardError)")
            let generated = try VPCEmuProcess.run(["generate", Self.topology, "--out", disk + "/t.pcap", "--flow", flow, "--max-size", "1G"])
            #expect(generated.status == 1)
            #expect(generated.standardError.contains("\(disk)/t.pcap: cannot write: No space left on device"), "\(generated.standardError)")
            #expect(entries(disk).isEmpty, "\(entries(disk))")
            let replayed = try VPCEmuProcess.run(["replay", Self.topology, "--generate", flow, "--out", disk + "/r"])
            #expect(replayed.status == 1)
            #expect(replayed.standardError.contains("\(disk)/r/ecs-b.pcap: cannot write: No space left on device"), "\(replayed.standardError)")
            #expect(entries(disk + "/r").isEmpty, "\(entries(disk + "/r"))")
        }
    }
}

extension OutputSafetyTests {
    /// Options that only the topology can check (an unknown --bind instance, an interval the alert
    /// rules cannot use) are refused before the output directory exists.
    @Test(arguments: [
        [Self.topology, "--generate", "ping ecs-a ecs-b", "--bind", "10.0.0.5=ecs-nowhere"],
        ["captures/inter-region-bandwidth.yaml", "--generate", "ping client-hz web-sv", "--interval", "7s"],
    ])
    func optionsTheTopologyRefusesCreateNothing(_ arguments: [String]) throws {
        try withScratch { scratch in
            let result = try VPCEmuProcess.run(["replay"] + arguments + ["--out", scratch + "/out"])
            #expect(result.status == 64, "\(result.standardError)")
            #expect(entries(scratch).isEmpty)
        }
    }
}
