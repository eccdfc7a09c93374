import Foundation
import Testing
@testable import VPCEmu

/// Deterministic frames of varied sizes (some larger than the small test batches).
let writerTestFrames: [[UInt8]] = (0 ..< 25).map { index in
    let size = 14 + (index * 37) % 700
    return (0 ..< size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index) }
}
let writerTestTimestamps: [Int64] = (0 ..< 25).map { 1_700_000_000_123_456_789 + Int64($0) * 1_000_003 }

func writePcap(_ path: String, frames: [[UInt8]] = writerTestFrames) throws {
    let writer = try PcapWriter(path: path, linkType: .ethernet)
    for (index, frame) in frames.enumerated() {
        frame.withUnsafeBytes { writer.write($0, wireLength: UInt32(frame.count + index), timestamp: writerTestTimestamps[index]) }
    }
    try writer.finish()
}

func writePcapng(_ path: String, frames: [[UInt8]] = writerTestFrames) throws {
    let writer = try PcapngWriter(path: path)
    let first = try writer.addInterface(name: "vsw-a", linkType: .ethernet)
    let second = try writer.addInterface(name: "vsw-b", linkType: .ethernet)
    for (index, frame) in frames.enumerated() {
        try frame.withUnsafeBytes {
            try writer.write(
                interface: index % 2 == 0 ? first : second, $0, wireLength: UInt32(frame.count + index),
                timestamp: writerTestTimestamps[index], comment: index % 3 == 0 ? "dropped: reason \(index) ✓" : nil)
        }
    }
    try writer.finish()
}

@Suite struct CaptureWriterTests {
    @Test(arguments: ["pcap", "pcapng"])
    func writtenFileReadsBackExactly(format: String) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("out.\(format)").path
        if format == "pcap" { try writePcap(path) } else { try writePcapng(path) }

        let result = readAll(path)
        #expect(result.error == nil)
        #expect(result.linkType == .ethernet)
        #expect(result.frames == writerTestFrames)
        #expect(result.timestamps == writerTestTimestamps)
        #expect(result.wireLengths == writerTestFrames.enumerated().map { UInt32($1.count + $0) })
        // Batches of at most 7 packets, each starting where the previous one stopped.
        #expect(result.firstRecordIndices.first == 0)
        #expect(result.firstRecordIndices.count >= 4)
        // Nothing but the finished file is left in the directory.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["out.\(format)"])
    }

    @Test func pcapngCommentsAndInterfacesShowInTshark() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("commented.pcapng").path
        try writePcapng(path)
        // Wireshark 3.6+ calls the field frame.comment; older versions pkt_comment.
        var run = try runTool("tshark", ["-r", path, "-T", "fields", "-e", "frame.comment", "-e", "frame.interface_name", "-e", "frame.time_epoch", "-e", "frame.len"])
        if run?.status != 0 {
            run = try runTool("tshark", ["-r", path, "-T", "fields", "-e", "pkt_comment", "-e", "frame.interface_name", "-e", "frame.time_epoch", "-e", "frame.len"])
        }
        let output = try #require(run, "tshark is not installed (.ci/install-deps installs it)")
        #expect(output.status == 0)
        let lines = output.output.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == writerTestFrames.count)
        for (index, line) in lines.enumerated() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            #expect(fields.count == 4)
            guard fields.count == 4 else { continue }
            #expect(fields[0] == (index % 3 == 0 ? "dropped: reason \(index) ✓" : ""))
            #expect(fields[1] == (index % 2 == 0 ? "vsw-a" : "vsw-b"))
            #expect(fields[2] == "1700000000.\(String(123_456_789 + index * 1_000_003))")
            #expect(fields[3] == String(writerTestFrames[index].count + index))
        }
    }

    @Test func tcpdumpReadsThePcapWithNanosecondTimestamps() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("plain.pcap").path
        try writePcap(path)
        let run = try #require(try runTool("tcpdump", ["-n", "-r", path, "--time-stamp-precision=nano", "-tt"]),
                               "tcpdump is not installed (.ci/install-deps installs it)")
        #expect(run.status == 0)
        // Undecodable frames continue on indented lines; each packet starts with its timestamp.
        let lines = run.output.split(separator: "\n").filter { $0.hasPrefix("1700000000.") }
        #expect(lines.count == writerTestFrames.count)
        #expect(lines.first?.hasPrefix("1700000000.123456789 ") == true)
    }

    @Test func unfinishedWriterLeavesNothingAndKeepsTheOldFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("keep.pcapng").path
        try Data("previous contents".utf8).write(to: URL(fileURLWithPath: path))
        do {
            let pcapng = try PcapngWriter(path: path)
            try pcapng.addInterface(name: "x", linkType: .raw)
            let pcap = try PcapWriter(path: path, linkType: .raw)
            [UInt8](repeating: 0x45, count: 20).withUnsafeBytes { pcap.write($0, timestamp: 0) }
            // Both dropped without finish().
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "previous contents")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["keep.pcapng"])
    }

    @Test func writingIntoAMissingDirectoryNamesTheFile() {
        let path = "/nonexistent-vpcemu-dir/out.pcap"
        #expect(throws: CaptureError.cannotWrite(file: path, reason: "No such file or directory")) {
            try PcapWriter(path: path, linkType: .ethernet)
        }
    }
}
