import Yams

/// Reads typed fields out of a Yams node tree, collecting a diagnostic for every problem instead
/// of stopping at the first, and remembering where each field path sits in the file.
///
/// Yams' `Node` API is used rather than `Codable` because only the node keeps `mark`
/// (line and column) — positions the diagnostics must carry.
struct YAMLFieldReader {
    let file: String
    private(set) var diagnostics: [TopologyDiagnostic] = []
    /// Where every field path that was read starts.
    private(set) var locations: [String: SourceLocation] = [:]

    init(file: String) { self.file = file }

    static func location(of node: Node) -> SourceLocation? {
        node.mark.map { SourceLocation(line: $0.line, column: $0.column) }
    }

    mutating func error(_ node: Node?, _ path: String, _ message: String, found: String? = nil, expected: String? = nil) {
        diagnostics.append(TopologyDiagnostic(.error, file: file, location: node.flatMap(Self.location) ?? locations[path],
                                              path: path, message: message, found: found, expected: expected))
    }

    /// A warning about a value that is valid but probably not what was meant.
    mutating func warning(_ node: Node?, _ path: String, _ message: String) {
        diagnostics.append(TopologyDiagnostic(.warning, file: file, location: node.flatMap(Self.location) ?? locations[path],
                                              path: path, message: message))
    }

    mutating func add(_ diagnostic: TopologyDiagnostic) { diagnostics.append(diagnostic) }

    mutating func remember(_ node: Node, _ path: String) {
        if let location = Self.location(of: node) { locations[path] = location }
    }

    /// YAML's null (core schema): a plain `~`, `null`, `Null`, `NULL` or nothing. Tested here
    /// rather than through Yams' tag resolution, which runs regular expressions on every scalar
    /// (the loader composes with `Resolver.basic`, so every tag is a string).
    static func isNull(_ scalar: Node.Scalar) -> Bool {
        scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// A short description of a node for "found …" texts.
    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            isNull(scalar) ? "null" : "'\(scalar.string)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    /// The keys of a mapping, each checked against `allowed`; unknown keys and missing required
    /// keys are reported. Returns nil (after reporting) when the node is not a mapping.
    mutating func fields(_ node: Node, _ path: String, allowed: [String], required: [String] = []) -> MappingFields? {
        remember(node, path)
        guard case .mapping(let mapping) = node else {
            error(node, path, "wrong type", found: Self.describe(node), expected: "a mapping with keys \(allowed.joined(separator: ", "))")
            return nil
        }
        var values: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.string, case .scalar = key else {
                error(key, path, "mapping key is not a plain name", found: Self.describe(key), expected: "one of \(allowed.joined(separator: ", "))")
                continue
            }
            let childPath = path.isEmpty ? name : "\(path).\(name)"
            guard allowed.contains(name) else {
                let hint = NameSuggestion.closest(to: name, in: allowed).map { "did you mean '\($0)'?" }
                error(key, childPath, "unknown key" + (hint.map { ", \($0)" } ?? ""),
                      found: "'\(name)'", expected: "one of \(allowed.joined(separator: ", "))")
                continue
            }
            remember(value, childPath)
            values[name] = value
        }
        for name in required where values[name] == nil {
            error(node, path.isEmpty ? name : "\(path).\(name)", "missing required key '\(name)'")
        }
        return MappingFields(path: path, node: node, values: values)
    }

    /// The items of a list field (an absent field is an empty list).
    mutating func list(_ node: Node?, _ path: String) -> [(node: Node, path: String)] {
        guard let node else { return [] }
        if case .scalar(let scalar) = node, Self.isNull(scalar) { return [] }
        guard case .sequence(let sequence) = node else {
            error(node, path, "wrong type", found: Self.describe(node), expected: "a list")
            return []
        }
        return sequence.enumerated().map { index, item in
            let itemPath = "\(path)[\(index)]"
            remember(item, itemPath)
            return (item, itemPath)
        }
    }

    /// A list of scalars, also accepting one scalar for a one-element list.
    mutating func scalarList(_ node: Node?, _ path: String) -> [(node: Node, path: String)] {
        guard let node else { return [] }
        if case .scalar = node { return [(node, path)] }
        return list(node, path)
    }

    mutating func string(_ node: Node?, _ path: String, expected: String = "a string") -> String? {
        guard let node else { return nil }
        guard case .scalar(let scalar) = node, !Self.isNull(scalar), !scalar.string.isEmpty else {
            error(node, path, "wrong type", found: Self.describe(node), expected: expected)
            return nil
        }
        return scalar.string
    }

    /// Parses a scalar with `parse`; reports `expected` when it returns nil.
    mutating func value<T>(_ node: Node?, _ path: String, expected: String, _ parse: (String) -> T?) -> T? {
        guard let text = string(node, path, expected: expected) else { return nil }
        guard let value = parse(text) else {
            error(node, path, "invalid value", found: "'\(text)'", expected: expected)
            return nil
        }
        return value
    }

    mutating func int(_ node: Node?, _ path: String, in range: ClosedRange<Int>, unit: String = "") -> Int? {
        let expected = "a whole number from \(range.lowerBound) to \(range.upperBound)\(unit)"
        return value(node, path, expected: expected) { text in Int(text).flatMap { range.contains($0) ? $0 : nil } }
    }

    mutating func number(_ node: Node?, _ path: String) -> Double? {
        value(node, path, expected: "a number") { Double($0).flatMap { $0.isFinite ? $0 : nil } }
    }

    mutating func bool(_ node: Node?, _ path: String) -> Bool? {
        value(node, path, expected: "true or false") { ["true": true, "false": false][$0.lowercased()] }
    }

    mutating func choice<T: RawRepresentable & CaseIterable>(_ node: Node?, _ path: String, _: T.Type) -> T? where T.RawValue == String {
        choice(node, path, cases: Array(T.allCases))
    }

    mutating func choice<T: RawRepresentable>(_ node: Node?, _ path: String, cases: [T]) -> T? where T.RawValue == String {
        let names = cases.map(\.rawValue)
        return value(node, path, expected: "one of \(names.joined(separator: ", "))") { T(rawValue: $0.lowercased()) ?? T(rawValue: $0) }
    }

    /// A duration (or a time since start) of at most `TopologyLimits.durationDays`, with its unit:
    /// a bare number is refused, suggesting it with `likelyUnits` (`intra_region_latency: 100`
    /// meant 100 µs or 100 ms far more likely than the 100 s a default unit would make it).
    mutating func duration(_ node: Node?, _ path: String, expected: String = "a duration such as 90s, 250ms, 2h or 7d",
                           likelyUnits: (String, String) = ("s", "ms")) -> EmulatedDuration? {
        guard let text = string(node, path, expected: expected) else { return nil }
        let number = text.trimmingWhitespace
        if !number.isEmpty, number.allSatisfy({ $0.isASCIIDigit || $0 == "." }) {
            error(node, path, "\(number) has no unit: did you mean \(number)\(likelyUnits.0) or \(number)\(likelyUnits.1)?",
                  found: "'\(text)'", expected: expected)
            return nil
        }
        let tooLarge = "at most \(TopologyLimits.durationDays)d (100 years)"
        do {
            let duration = try EmulatedDuration(validating: text)
            if duration.nanoseconds <= TopologyLimits.durationDays * 86_400_000_000_000 { return duration }
            error(node, path, "too large", found: "'\(text)'", expected: tooLarge)
        } catch .tooLarge {
            error(node, path, "too large", found: "'\(text)'", expected: tooLarge)
        } catch {
            self.error(node, path, "invalid value", found: "'\(text)'", expected: expected)
        }
        return nil
    }

    mutating func network(_ node: Node?, _ path: String, family: AddressFamily? = nil) -> IPNetwork? {
        guard let text = string(node, path, expected: "a CIDR block") else { return nil }
        let network: IPNetwork
        do {
            network = try IPNetwork(parsing: text)
        } catch {
            self.error(node, path, error.description, found: "'\(text)'", expected: "a CIDR block such as 10.0.0.0/16 or fd00::/48")
            return nil
        }
        if let family, network.family != family {
            error(node, path, "wrong address family", found: "\(network) (\(network.family))", expected: "an \(family) CIDR block")
            return nil
        }
        return network
    }

    mutating func address(_ node: Node?, _ path: String, family: AddressFamily) -> IPAddress? {
        let expected = family == .ipv4 ? "an IPv4 address such as 10.0.1.10" : "an IPv6 address such as fd00::10"
        return value(node, path, expected: expected) { text in IPAddress(text).flatMap { $0.family == family ? $0 : nil } }
    }
}

/// The recognised fields of one mapping node.
struct MappingFields {
    let path: String
    let node: Node
    let values: [String: Node]

    subscript(key: String) -> Node? { values[key] }

    func path(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
}
