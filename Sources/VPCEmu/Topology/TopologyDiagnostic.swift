/// One problem found in a topology file: where (file, line, column, field path), what was found
/// and what was expected. Errors make the file invalid; warnings are precheck findings that only
/// fail `topology check --strict`.
public struct TopologyDiagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable {
        case error
        case warning
    }

    public var severity: Severity
    public var file: String
    public var location: SourceLocation?
    /// The field path, e.g. `vpcs[1].vswitches[0].cidr`; empty for the whole document.
    public var path: String
    public var message: String
    public var found: String?
    public var expected: String?

    public init(_ severity: Severity, file: String, location: SourceLocation?, path: String, message: String,
                found: String? = nil, expected: String? = nil) {
        self.severity = severity
        self.file = file
        self.location = location
        self.path = path
        self.message = message
        self.found = found
        self.expected = expected
    }

    /// `file:line:column: error: path: message (found X; expected Y)`, the shape compilers use,
    /// so editors can jump to it.
    public var description: String {
        var text = file
        if let location { text += ":\(location.line):\(location.column)" }
        text += ": \(severity.rawValue): "
        if !path.isEmpty { text += "\(path): " }
        text += message
        var details: [String] = []
        if let found { details.append("found \(found)") }
        if let expected { details.append("expected \(expected)") }
        if !details.isEmpty { text += " (\(details.joined(separator: "; ")))" }
        return text
    }
}

/// A 1-based line and column in the topology file.
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// Every diagnostic of a file that could not be loaded.
public struct TopologyFileError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [TopologyDiagnostic]

    public var errors: [TopologyDiagnostic] { diagnostics.filter { $0.severity == .error } }

    /// At most `TopologyLimits.printedDiagnostics` lines, then a count of the rest.
    public var description: String { TopologyDiagnostic.render(diagnostics).joined(separator: "\n") }
}

extension TopologyDiagnostic {
    /// The lines to print for `diagnostics`: the first `limit`, then one line counting the rest
    /// ("… and 1234 more errors"), so that a file with a million mistakes prints a screenful.
    public static func render(_ diagnostics: [TopologyDiagnostic], limit: Int = TopologyLimits.printedDiagnostics) -> [String] {
        var lines = diagnostics.prefix(limit).map(\.description)
        let rest = diagnostics.dropFirst(limit)
        guard !rest.isEmpty else { return lines }
        let errors = rest.filter { $0.severity == .error }.count
        let warnings = rest.count - errors
        let counts = [(errors, "error"), (warnings, "warning")].filter { $0.0 > 0 }.map { "\($0.0) more \($0.1)\($0.0 == 1 ? "" : "s")" }
        lines.append("… and " + counts.joined(separator: " and "))
        return lines
    }
}
