import Foundation
import Testing

/// The library is one module (docs/architecture.md, "One module, layered folders"), so the compiler
/// does not stop a lower layer from naming a higher one; this test does. It reads
/// Sources/VPCEmu/, collects the types each top-level folder declares at file scope, and fails when
/// a file names a type of a higher layer, or of another folder of its own layer.
@Suite struct LayeringTests {
    /// Each folder's layer, lowest first: a file may name the types of folders with a lower layer.
    static let layers: [String: Int] = [
        "Addressing": 0,
        "Wire": 1,
        "Capture": 2,
        "Routing": 3, "Filtering": 3,
        "Topology": 4,
        "Forwarding": 5, "Generation": 5, "Import": 5,
        "Reporting": 6, "FlowLog": 6,
        "Replay": 7, "Diagnostics": 7,
    ]

    /// Today's violations, each to be removed by its owner; the test fails when one no longer
    /// occurs, so the list only shrinks.
    ///
    /// Types declared in a folder above the layer they belong to, with the folder they belong in:
    /// the checker places them there.
    static let misplaced: [String: String] = [
        // Reporting/AlertRule.swift, Metric.swift, CostEstimate.swift: sections of the topology file.
        "AlertRule": "Topology", "Metric": "Topology", "MicroUSD": "Topology", "PriceTable": "Topology",
        // Reporting/TrafficMeter.swift: the per-direction counters the pipeline keeps.
        "DirectionCounters": "Forwarding",
    ]

    /// Upward mentions allowed as they are, by file (relative to Sources/VPCEmu/) and type.
    static let allowed: Set<Mention> = [
    ]

    struct Mention: Hashable, CustomStringConvertible {
        var file: String
        var type: String
        var description: String { "\(file) names \(type)" }
    }

    static let sources = packageRoot.appendingPathComponent("Sources/VPCEmu")

    /// Every .swift file under Sources/VPCEmu/, by path relative to it.
    static func swiftFiles() throws -> [String] {
        try FileManager.default.subpathsOfDirectory(atPath: sources.path).filter { $0.hasSuffix(".swift") }.sorted()
    }

    static func folder(of file: String) -> String { String(file.prefix { $0 != "/" }) }

    /// The code of a Swift file without comments and string literal contents, so that a doc
    /// comment or a message naming a type is not a dependency.
    static func code(_ text: String) -> String {
        var code = text
        for pattern in [#"/\*[\s\S]*?\*/"#, #"\"\"\"[\s\S]*?\"\"\""#, #"//[^\n]*"#, #""(?:\\.|[^"\\\n])*""#] {
            code = code.replacingOccurrences(of: pattern, with: "\"\"", options: .regularExpression)
        }
        return code
    }

    /// Types declared at file scope (a declaration at the start of a line, after attributes and modifiers).
    static func declaredTypes(_ code: String) -> [String] {
        let declaration = try! NSRegularExpression(pattern:
            #"^(?:@\w+(?:\([^)\n]*\))?\s+)*(?:(?:public|package|internal|private|fileprivate|final|indirect)\s+)*(?:struct|enum|class|protocol|actor|typealias)\s+([A-Za-z_]\w*)"#,
            options: .anchorsMatchLines)
        let range = NSRange(code.startIndex..., in: code)
        return declaration.matches(in: code, range: range).map { String(code[Range($0.range(at: 1), in: code)!]) }
    }

    static func identifiers(_ code: String) -> Set<String> {
        let identifier = try! NSRegularExpression(pattern: #"[A-Za-z_]\w*"#)
        let range = NSRange(code.startIndex..., in: code)
        return Set(identifier.matches(in: code, range: range).map { String(code[Range($0.range, in: code)!]) })
    }

    /// The mentions of a type of a higher layer, or of a sibling folder, in every file.
    static func violations() throws -> (violations: Set<Mention>, declaredIn: [String: String]) {
        var codeByFile: [String: String] = [:]
        var declaredIn: [String: String] = [:]
        for file in try swiftFiles() {
            let code = code(try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8))
            codeByFile[file] = code
            for type in declaredTypes(code) { declaredIn[type] = folder(of: file) }
        }
        var violations: Set<Mention> = []
        for (file, code) in codeByFile {
            let folder = folder(of: file)
            let layer = try #require(layers[folder], "Sources/VPCEmu/\(folder) has no layer in LayeringTests.layers")
            for name in identifiers(code) {
                guard let home = misplaced[name] ?? declaredIn[name], home != folder else { continue }
                let homeLayer = try #require(layers[home], "Sources/VPCEmu/\(home) has no layer in LayeringTests.layers")
                if homeLayer >= layer { violations.insert(Mention(file: file, type: name)) }
            }
        }
        return (violations, declaredIn)
    }

    @Test func lowerLayersDoNotNameHigherOnes() throws {
        let (violations, _) = try Self.violations()
        let new = violations.subtracting(Self.allowed).sorted { $0.description < $1.description }
        #expect(new.isEmpty, "layers point down only (docs/architecture.md): \(new)")
        let stale = Self.allowed.subtracting(violations)
        #expect(stale.isEmpty, "no longer a violation, remove it from LayeringTests.allowed: \(stale)")
    }

    @Test func misplacedTypesAreStillMisplaced() throws {
        let (_, declaredIn) = try Self.violations()
        for (type, home) in Self.misplaced {
            let folder = try #require(declaredIn[type], "\(type) is no longer declared: remove it from LayeringTests.misplaced")
            #expect(folder != home, "\(type) now lives in \(home): remove it from LayeringTests.misplaced")
        }
    }

    /// The checker itself, on code written for it: it sees a declaration and a use, and ignores
    /// comments, strings and nested declarations.
    @Test func checkerSeesCodeNotCommentsOrStrings() {
        let code = Self.code("""
            /// Uses Hidden in a comment.
            public final class Visible: Sendable {
                struct Nested {}
                let message = "Hidden \\"quoted\\" too" // Hidden
                /* Hidden */ var other: Used
            }
            @usableFromInline enum Flag { case on }
            """)
        #expect(Self.declaredTypes(code) == ["Visible", "Flag"])
        let names = Self.identifiers(code)
        #expect(names.contains("Used") && names.contains("Nested"))
        #expect(!names.contains("Hidden") && !names.contains("quoted"))
    }
}
