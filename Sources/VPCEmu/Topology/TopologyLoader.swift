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
        let (loaded, diagnostics) = check(contentsOf: path)
        guard let loaded else { throw TopologyFileError(diagnostics: diagnostics) }
        return loaded
    }

    /// Every diagnostic of the file at `path`, and the loaded topology when there is no error.
    /// At most `TopologyLimits.fileBytes + 1` bytes are read, so a huge file (or a device that
    /// never ends) is refused without reading it all.
    public static func check(contentsOf path: String) -> (LoadedTopology?, [TopologyDiagnostic]) {
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            data = try handle.read(upToCount: TopologyLimits.fileBytes + 1) ?? Data()
        } catch {
            return (nil, [TopologyDiagnostic(.error, file: path, location: nil, path: "",
                                             message: "cannot read the file: \(error.localizedDescription)")])
        }
        return check(data: data, file: path)
    }

    /// Every diagnostic of the bytes of a topology file; `file` names it in diagnostics.
    public static func check(data: Data, file: String) -> (LoadedTopology?, [TopologyDiagnostic]) {
        guard data.count <= TopologyLimits.fileBytes else {
            return (nil, [TopologyDiagnostic(.error, file: file, location: nil, path: "",
                                             message: "the file is larger than \(TopologyLimits.fileBytes >> 20) MiB (\(TopologyLimits.fileBytes) bytes), the limit for a topology file")])
        }
        switch TopologyText.decode(data) {
        case .success(let text):
            return check(yaml: text, file: file)
        case .failure(let problem):
            return (nil, [TopologyDiagnostic(.error, file: file, location: problem.location, path: "", message: problem.message)])
        }
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
        var prepass = YAMLPrepass(file: file)
        prepass.check(yaml)
        if !prepass.diagnostics.isEmpty { return (nil, prepass.diagnostics) }
        let root: Node
        do {
            // `.basic`: no implicit tags (the decoder reads every scalar as text); the default
            // resolver runs a regular expression per scalar, most of the loading time.
            guard let node = try Yams.compose(yaml: yaml, .basic) else {
                return (nil, [TopologyDiagnostic(.error, file: file, location: SourceLocation(line: 1, column: 1), path: "", message: "the file is empty",
                                                 expected: "a mapping with regions, accounts and vpcs")])
            }
            root = node
        } catch {
            return (nil, [syntaxDiagnostic(error, file: file, text: yaml)])
        }
        var decoder = TopologyDecoder(file: file)
        let topology = decoder.decode(root)
        let sourceMap = decoder.sourceMap
        var diagnostics = decoder.reader.diagnostics
        // The decoder's warnings (a value valid but likely not meant) do not stop the checks.
        func hasErrors() -> Bool { diagnostics.contains { $0.severity == .error } }
        var validator = TopologyValidator(topology: topology, sourceMap: sourceMap, file: file, incompleteKinds: decoder.incompleteKinds)
        diagnostics += validator.validate(replayControlPlane: !hasErrors())
        if !hasErrors() {
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
        var seen = Set(findings)
        while let next = timeline.nextChangeTime { timeline.advance(to: next) }
        for finding in timeline.state.precheckFindings() where seen.insert(finding).inserted { findings.append(finding) }
        return findings.map { finding in
            let path = switch finding.subject {
            case .peering(let name): sourceMap.path(.peering, name)
            case .vpc(let name): sourceMap.path(.vpc, name) + ".cidr"
            case .route(let table, let destination): sourceMap.routePath(table: table, destination)
            }
            return TopologyDiagnostic(.warning, file: file, location: sourceMap.nearestLocation(path), path: path, message: finding.message)
        }
    }

    static func syntaxDiagnostic(_ error: any Error, file: String, text: String) -> TopologyDiagnostic {
        switch error {
        case YamlError.scanner(let context, let problem, let mark, _),
             YamlError.parser(let context, let problem, let mark, _),
             YamlError.composer(let context, let problem, let mark, _):
            var message = "YAML syntax error: " + (context.map { "\($0.text) " } ?? "") + problem
            if problem.hasPrefix("Maximum nesting level reached") {
                message = "YAML syntax error: collections nested more than 1000 levels deep (libyaml's limit)"
            }
            var location = SourceLocation(line: mark.line, column: mark.column)
            // libyaml puts the end of a file without a final line break on the line after it.
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if location.line > lines.count, let last = lines.last {
                location = SourceLocation(line: lines.count, column: last.unicodeScalars.count + 1)
                message += " (at the end of the file)"
            }
            return TopologyDiagnostic(.error, file: file, location: location, path: "", message: message)
        case YamlError.duplicatedKeysInMapping(let duplicates, let context):
            return TopologyDiagnostic(.error, file: file, location: SourceLocation(line: context.mark.line, column: context.mark.column),
                                      path: "", message: "duplicate keys in one mapping: \(duplicates.joined(separator: ", "))",
                                      expected: "each key once")
        default:
            return TopologyDiagnostic(.error, file: file, location: nil, path: "", message: "YAML error: \(error)")
        }
    }
}
