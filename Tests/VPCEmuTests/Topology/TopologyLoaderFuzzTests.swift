import Foundation
import Testing
@testable import VPCEmu

/// Seeded mutations of the bundled examples, at the byte level and through the whole loader
/// (bytes, encoding, YAML, decoder, validator, prechecks): never a trap, never unbounded work,
/// and every error located inside the file with a message.
@Suite struct TopologyLoaderFuzzTests {
    static func examples() throws -> [(name: String, bytes: [UInt8])] {
        try captureFiles().map { name in
            (name, Array(try Data(contentsOf: packageRoot.appendingPathComponent("captures/\(name)"))))
        }
    }

    /// Loads `bytes` and checks what the loader promises for any input.
    static func expectWellBehaved(_ bytes: [UInt8], _ name: String, _ mutation: String) {
        let (loaded, diagnostics) = TopologyLoader.check(data: Data(bytes), file: name)
        let errors = diagnostics.filter { $0.severity == .error }
        #expect(loaded != nil || !errors.isEmpty, "\(name) \(mutation): rejected without an error")
        // Line lengths in bytes: a column counts characters, so it is at most the byte length + 1.
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(\.count)
        for error in errors {
            #expect(!error.message.isEmpty, "\(name) \(mutation): empty message")
            guard let location = error.location else {
                Issue.record("\(name) \(mutation): error without a position: \(error)")
                continue
            }
            let inside = location.line >= 1 && location.line <= lines.count && location.column >= 1
                && location.column <= lines[location.line - 1] + 1
            #expect(inside, "\(name) \(mutation): \(location) is outside the file: \(error)")
        }
        // The work is bounded by the file, not by what aliases could stand for.
        var prepass = YAMLPrepass(file: name)
        if let text = String(validating: bytes, as: UTF8.self) { prepass.check(text) }
        #expect(prepass.repeatedNodes <= TopologyLimits.aliasNodes + bytes.count)
    }

    /// Every prefix that ends at a line break, and every prefix that ends inside the last line.
    @Test func truncationAtEveryLine() throws {
        for (name, bytes) in try Self.examples() {
            for (offset, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
                Self.expectWellBehaved(Array(bytes[..<offset]), name, "cut at byte \(offset)")
                Self.expectWellBehaved(Array(bytes[..<(offset / 2)]), name, "cut at byte \(offset / 2)")
            }
        }
    }

    /// Byte flips (any byte value, so invalid UTF-8 and NUL too), deletions, and duplicated or
    /// dropped lines, 1 to 4 per case, 60 cases per example.
    @Test func mutatedBytesAndLines() throws {
        var generator = SeededGenerator(seed: 0x70B0_F022)
        for (name, original) in try Self.examples() {
            for _ in 0..<60 {
                var bytes = original
                var applied: [String] = []
                for _ in 0..<Int.random(in: 1...4, using: &generator) where !bytes.isEmpty {
                    let position = Int.random(in: 0..<bytes.count, using: &generator)
                    switch Int.random(in: 0..<4, using: &generator) {
                    case 0:
                        bytes[position] = UInt8.random(in: 0...255, using: &generator)
                        applied.append("flip@\(position)")
                    case 1:
                        bytes.remove(at: position)
                        applied.append("delete@\(position)")
                    default:
                        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
                        let line = Int.random(in: 0..<lines.count, using: &generator)
                        if Bool.random(using: &generator) {
                            lines.insert(lines[line], at: line)
                            applied.append("duplicate-line\(line + 1)")
                        } else {
                            lines.remove(at: line)
                            applied.append("drop-line\(line + 1)")
                        }
                        bytes = Array(lines.joined(separator: [UInt8(ascii: "\n")]))
                    }
                }
                Self.expectWellBehaved(bytes, name, applied.joined(separator: ","))
            }
        }
    }
}
