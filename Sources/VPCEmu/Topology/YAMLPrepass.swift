import CYaml

/// One pass over libyaml's event stream before Yams composes the node tree, for the two problems
/// composing cannot survive or cannot locate:
///
/// - Aliases. Yams resolves an alias to the anchored node itself: the tree shares it rather than
///   copying it, so composing is cheap, but everything that walks the tree (Yams hashing mapping
///   keys to find duplicates, the decoder, the validator) visits a shared node once per use. Nested
///   anchors make that exponential ("billion laughs": a 1.6 KB file stands for a million rules).
///   The pass counts, for every alias, the nodes it stands for, and refuses the document when the
///   aliases together repeat more than `TopologyLimits.aliasNodes` nodes. The pass itself is linear:
///   each anchor's size is counted once, when its node ends.
/// - Duplicate keys. Yams refuses them with the first key's position only; here each is reported
///   with its field path and both positions.
///
/// Syntax errors are left to Yams, which reports them with their position.
///
/// `CYaml` is the libyaml that Yams builds (the same parser Yams then runs); it is not a separate
/// dependency.
struct YAMLPrepass {
    let file: String
    private(set) var diagnostics: [TopologyDiagnostic] = []
    /// Nodes repeated by aliases so far: each use counts the nodes of the node it stands for.
    private(set) var repeatedNodes = 0

    /// A collection being read, with what is needed for field paths and key checks. Paths are
    /// built only for a diagnostic, from the stack of open collections.
    private struct Open {
        var anchor: String?
        /// `count` when the collection started.
        var start: Int
        /// Where the collection sits in its parent: `[3]`, `.name`, or "" (the root, a complex key).
        var segment: String
        var isMapping: Bool
        /// Sequence: the index of the next item. Mapping: whether the next node is a key, and
        /// the current key.
        var index = 0
        var expectingKey = true
        var key: String?
        var keys: [String: SourceLocation] = [:]
    }

    init(file: String) { self.file = file }

    /// Checks `text`; the diagnostics say why it must not be composed (empty when it may).
    mutating func check(_ text: String) {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return }
        defer { yaml_parser_delete(&parser) }
        var text = text
        text.withUTF8 { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            run(&parser)
        }
    }

    private mutating func run(_ parser: inout yaml_parser_t) {
        var sizes: [String: Int] = [:]  // anchor -> nodes its node stands for
        var open: [Open] = []
        var count = 0                    // nodes so far, each alias counted as the nodes it repeats
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { return }
            defer { yaml_event_delete(&event) }
            let location = SourceLocation(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                if let last = open.indices.last, open[last].isMapping, open[last].expectingKey {
                    let key = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
                    if let first = open[last].keys.updateValue(location, forKey: key) {
                        open[last].keys[key] = first
                        diagnostics.append(TopologyDiagnostic(
                            .error, file: file, location: location, path: Self.path(open, then: ".\(key)"),
                            message: "duplicate key '\(key)' in one mapping (first at line \(first.line), column \(first.column))",
                            expected: "each key once"))
                    }
                    _ = Self.advance(&open, key: key)
                } else {
                    _ = Self.advance(&open, key: nil)
                }
                if let anchor = Self.string(scalar.anchor) { sizes[anchor] = 1 }
                count += 1
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                let isMapping = event.type == YAML_MAPPING_START_EVENT
                let anchor = Self.string(isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor)
                let segment = Self.advance(&open, key: nil)
                open.append(Open(anchor: anchor, start: count, segment: segment, isMapping: isMapping))
                count += 1
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let closed = open.popLast() else { return }
                if let anchor = closed.anchor { sizes[anchor] = count - closed.start }
            case YAML_ALIAS_EVENT:
                let name = Self.string(event.data.alias.anchor) ?? ""
                let segment = Self.advance(&open, key: nil)
                // An undefined alias counts one node; Yams reports it.
                let size = sizes[name] ?? 1
                count += size
                repeatedNodes += size
                if repeatedNodes > TopologyLimits.aliasNodes {
                    diagnostics.append(TopologyDiagnostic(
                        .error, file: file, location: location, path: Self.path(open, then: segment),
                        message: "YAML aliases repeat more than \(TopologyLimits.aliasNodes) nodes, the limit for a topology file: this use of *\(name) brings them to \(repeatedNodes)",
                        expected: "fewer or smaller aliases"))
                    return
                }
            default:
                break
            }
        }
    }

    /// Moves past the node that starts now in the innermost open collection, and returns where
    /// the node sits in it: `[index]` in a sequence, `.key` as a mapping value, "" as a key
    /// (`key` is the text of a scalar key, nil for others).
    private static func advance(_ open: inout [Open], key: String?) -> String {
        guard let last = open.indices.last else { return "" }
        if !open[last].isMapping {
            open[last].index += 1
            return "[\(open[last].index - 1)]"
        }
        if open[last].expectingKey {
            open[last].expectingKey = false
            open[last].key = key
            return ""
        }
        open[last].expectingKey = true
        return open[last].key.map { ".\($0)" } ?? ""
    }

    /// The field path of the open collections, then `segment`, without the leading dot.
    private static func path(_ open: [Open], then segment: String) -> String {
        let path = open.map(\.segment).joined() + segment
        return path.hasPrefix(".") ? String(path.dropFirst()) : path
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}
