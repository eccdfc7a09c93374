import Foundation
import Testing
@testable import VPCEmu

/// The readers against mutated inputs: the real AWS dumps and the Terraform and Alibaba fixtures
/// with bytes flipped, deleted, duplicated and truncated (seeded, a fixed number of mutations, so
/// the run is bounded and replays). Each import either succeeds, and then its output loads, or
/// fails with a located `ImportError`; nothing crashes or hangs.
@Suite struct ImportFuzzTests {
    static let mutationsPerFile = 60

    static func mutate(_ data: Data, _ generator: inout SeededGenerator) -> Data {
        var bytes = [UInt8](data)
        for _ in 0..<Int.random(in: 1...4, using: &generator) where !bytes.isEmpty {
            let position = Int.random(in: 0..<bytes.count, using: &generator)
            switch Int.random(in: 0..<5, using: &generator) {
            case 0: bytes[position] ^= UInt8(1 << Int.random(in: 0..<8, using: &generator))
            case 1: bytes.remove(at: position)
            case 2: bytes.insert(bytes[position], at: position)
            case 3: bytes.removeSubrange(position...)
            default: bytes[position] = Array("{}[],:\"0-.".utf8).randomElement(using: &generator)!
            }
        }
        return Data(bytes)
    }

    /// Imports every mutation of each file of `files` (the others intact) with `run`.
    static func fuzz(_ files: [(name: String, data: Data)], seed: UInt64,
                     _ run: ([(name: String, data: Data)], inout [String]) throws(ImportError) -> ImportedTopology) -> (imported: Int, refused: Int) {
        var generator = SeededGenerator(seed: seed)
        var counts = (imported: 0, refused: 0)
        for index in files.indices {
            for _ in 0..<mutationsPerFile {
                var mutated = files
                mutated[index].data = mutate(files[index].data, &generator)
                var warnings: [String] = []
                do {
                    let imported = try run(mutated, &warnings)
                    _ = TopologyLoader.check(yaml: imported.yaml, file: "fuzzed.yaml")
                    counts.imported += 1
                } catch {
                    #expect(!error.file.isEmpty)
                    #expect(!error.message.isEmpty)
                    counts.refused += 1
                }
            }
        }
        return counts
    }

    @Test(.needsSharedData, arguments: ["test-vpc-peering", "test-public-private-subnet"])
    func mutatedRealAWSDumps(name: String) throws {
        let directory = SharedData.root.appendingPathComponent("aws/\(name)/aws_configs")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted().map {
            ($0, try Data(contentsOf: directory.appendingPathComponent($0)))
        }
        let counts = Self.fuzz(files, seed: 19) { files, warnings throws(ImportError) in try AWSDescribeImporter.importFiles(files, warnings: &warnings) }
        #expect(counts.imported + counts.refused == files.count * Self.mutationsPerFile)
        #expect(counts.refused > 0)
    }

    @Test func mutatedAlibabaFixtures() throws {
        let counts = Self.fuzz(try ImportFixtures.files("alibaba"), seed: 20) { files, warnings throws(ImportError) in
            try AlibabaAPIImporter.importFiles(files, warnings: &warnings)
        }
        #expect(counts.refused > 0)
    }

    @Test(arguments: ["aws-state.json", "aws-plan.json", "aws-raw.tfstate", "alicloud-state.json"])
    func mutatedTerraformFixtures(name: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: ImportFixtures.path("terraform/\(name)")))
        let counts = Self.fuzz([(name, data)], seed: 21) { files, warnings throws(ImportError) in
            try TerraformImporter.importData(files[0].data, file: files[0].name, warnings: &warnings)
        }
        #expect(counts.refused > 0)
    }
}
