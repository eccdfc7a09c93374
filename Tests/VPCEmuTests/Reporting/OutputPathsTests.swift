import Foundation
import Testing
@testable import VPCEmu

@Suite struct OutputPathsTests {
    @Test func namesThatStayOneComponentAreJoined() throws {
        #expect(try OutputPaths.file("ecs-a.pcap", in: "out") == "out/ecs-a.pcap")
        #expect(try OutputPaths.file("web_1.b-2.pcap", in: "/tmp/out/") == "/tmp/out/web_1.b-2.pcap")
        #expect(try OutputPaths.file("us\"1é.pcap", in: "o") == "o/us\"1é.pcap")
        for name in ["../escaped.pcap", "a/b.pcap", "..", ".", "", ".hidden", "x\u{0}y", String(repeating: "n", count: 256)] {
            #expect(throws: OutputPaths.UnsafeName(name: name)) { try OutputPaths.file(name, in: "out") }
        }
    }

    func withScratch(_ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paths-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(directory)
    }

    @Test func anOutputIsAnInputByPathOrByIdentity() throws {
        try withScratch { scratch in
            let input = scratch + "/in.pcap"
            try Data([1]).write(to: URL(fileURLWithPath: input))
            try FileManager.default.createDirectory(atPath: scratch + "/sub", withIntermediateDirectories: true)
            #expect(symlink(input, scratch + "/sym.pcap") == 0)
            #expect(link(input, scratch + "/hard.pcap") == 0)
            for output in [input, scratch + "/sub/../in.pcap", scratch + "/./in.pcap", scratch + "/sym.pcap", scratch + "/hard.pcap"] {
                #expect(OutputPaths.collision(outputs: [scratch + "/new.pcap", output], inputs: ["/nonexistent", input])?.output == output)
            }
            // An output that does not exist yet is compared by its resolved directory.
            let later = scratch + "/later.pcap"
            #expect(OutputPaths.collision(outputs: [scratch + "/sub/../later.pcap"], inputs: [later]) != nil)
            #expect(OutputPaths.collision(outputs: [scratch + "/new.pcap", scratch + "/sub/in.pcap"], inputs: [input]) == nil)
        }
    }

    @Test func previousOutputsAndDeadRunsPartialsAreRemoved() throws {
        try withScratch { scratch in
            let child = Process()
            child.executableURL = URL(fileURLWithPath: "/bin/true")
            try child.run()
            child.waitUntilExit()
            let dead = child.processIdentifier, alive = getpid()
            let files = ["report.json", ".report.json.partial-\(dead)-0", ".report.json.partial-\(dead)-12", ".report.json.partial-\(alive)-0",
                         ".other.json.partial-\(dead)-0", "report.json.partial-\(dead)-0", "notes.txt"]
            for name in files { try Data().write(to: URL(fileURLWithPath: scratch + "/" + name)) }
            #expect(OutputPaths.removePrevious([scratch + "/report.json", scratch + "/metrics.csv"]) == nil)
            let left = try FileManager.default.contentsOfDirectory(atPath: scratch).sorted()
            #expect(left == [".other.json.partial-\(dead)-0", ".report.json.partial-\(alive)-0", "notes.txt", "report.json.partial-\(dead)-0"])
        }
    }

    @Test func partialNamesAreParsed() {
        #expect(OutputPaths.partialOwner(".ecs-a.pcap.partial-123-4")! == ("ecs-a.pcap", 123))
        #expect(OutputPaths.partialOwner(".a.partial-b.partial-9-0")! == ("a.partial-b", 9))
        for name in ["ecs-a.pcap.partial-1-0", ".x.partial-1", ".x.partial-a-0", "..partial-1-0", ".x.partial-0-0"] {
            #expect(OutputPaths.partialOwner(name) == nil, "\(name)")
        }
    }
}
