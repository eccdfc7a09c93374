import Foundation
import Yams

/// A topology file that loaded without errors, with its precheck warnings and the source map
/// that lets later checks point back at the file.
public struct LoadedTopology: Sendable {
    public var file: String
    public var topology: Topology
    public var sourceMap: TopologySourceMap
    /// Precheck findings (warnings) over the whole timeline.
    public var warnings: [TopologyDiagnostic]
}

/// Reads a topology file: YAML syntax, shape, references, control-plane rules, then prechecks.
/// Every problem of every stage is reported in one run (a YAML syntax error stops the later
/// stages, since there is no tree to check).
public enum TopologyLoader {
    /// Loads `path`; throws `TopologyFileError` with every error (and warning) when the file is invalid.
    public static func load(contentsOf path: String) throws(TopologyFileError) -> LoadedTopology {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw TopologyFileError(diagnostics: [TopologyDiagnostic(.error, file: path, location: nil, path: "",
                                                                     message: "cannot read the file: \(error.localizedDescription)")])
        }
        return try load(yaml: text, file: path)
    }

    /// Loads topology text; `file` names it in diagnostics.
    public static func load(yaml: String, file: String) throws(TopologyFileError) -> LoadedTopology {
        let (loaded, diagnostics) = check(yaml: yaml, file: file)
        guard let loaded else { throw TopologyFileError(diagnostics: diagnostics) }
        return loaded
    }

    /// Every diagnostic of the text (errors and warnings, sorted by position), and the loaded
    /// topology when there is no error.
    public static func check(yaml: String, file: String) -> (LoadedTopology?, [TopologyDiagnostic]) {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                return (nil, [TopologyDiagnostic(.error, file: file, location: nil, path: "", message: "the file is empty",
                                                 expected: "a mapping with regions, accounts and vpcs")])
            }
            root = node
        } catch {
            return (nil, [syntaxDiagnostic(error, file: file)])
        }
        var decoder = TopologyDecoder(file: file)
        let topology = decoder.decode(root)
        let sourceMap = decoder.sourceMap
        var diagnostics = decoder.reader.diagnostics
        var validator = TopologyValidator(topology: topology, sourceMap: sourceMap, file: file)
        diagnostics += validator.validate(replayControlPlane: diagnostics.isEmpty)
        if diagnostics.isEmpty {
            diagnostics += warnings(topology, sourceMap: sourceMap, file: file)
        }
        diagnostics.sort { ($0.location ?? SourceLocation(line: .max, column: 0)) < ($1.location ?? SourceLocation(line: .max, column: 0)) }
        let valid = !diagnostics.contains { $0.severity == .error }
        return (valid ? LoadedTopology(file: file, topology: topology, sourceMap: sourceMap, warnings: diagnostics) : nil, diagnostics)
    }

    /// Precheck findings at time zero and at the end of the timeline, each reported once.
    static func warnings(_ topology: Topology, sourceMap: TopologySourceMap, file: String) -> [TopologyDiagnostic] {
        var timeline = TopologyTimeline(topology: topology)
        var findings = timeline.state.precheckFindings()
        while let next = timeline.nextChangeTime { timeline.advance(to: next) }
        for finding in timeline.state.precheckFindings() where !findings.contains(finding) { findings.append(finding) }
        return findings.map { finding in
            let path = switch finding.subject {
            case .peering(let name): sourceMap.path(.peering, name)
            case .vpc(let name): sourceMap.path(.vpc, name) + ".cidr"
            case .route(let table, let destination): sourceMap.routePath(table: table, destination)
            }
            return TopologyDiagnostic(.warning, file: file, location: sourceMap.location(path), path: path, message: finding.message)
        }
    }

    static func syntaxDiagnostic(_ error: any Error, file: String) -> TopologyDiagnostic {
        switch error {
        case YamlError.scanner(let context, let problem, let mark, _),
             YamlError.parser(let context, let problem, let mark, _),
             YamlError.composer(let context, let problem, let mark, _):
            let message = "YAML syntax error: " + (context.map { "\($0.text) " } ?? "") + problem
            return TopologyDiagnostic(.error, file: file, location: SourceLocation(line: mark.line, column: mark.column), path: "", message: message)
        case YamlError.duplicatedKeysInMapping(let duplicates, let context):
            return TopologyDiagnostic(.error, file: file, location: SourceLocation(line: context.mark.line, column: context.mark.column),
                                      path: "", message: "duplicate keys in one mapping: \(duplicates.joined(separator: ", "))",
                                      expected: "each key once")
        default:
            return TopologyDiagnostic(.error, file: file, location: nil, path: "", message: "YAML error: \(error)")
        }
    }
}
