import Foundation

/// A problem in an import input: the file, the JSON path inside it
/// (`RouteTables[3].Routes[0].DestinationCidrBlock`), what is wrong and what was expected.
public struct ImportError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var path: String
    public var message: String
    public var expected: String?

    public init(file: String, path: String, _ message: String, expected: String? = nil) {
        self.file = file
        self.path = path
        self.message = message
        self.expected = expected
    }

    public var description: String {
        let location = path.isEmpty ? file : "\(file): \(path)"
        return "\(location): \(message)" + (expected.map { " (expected \($0))" } ?? "")
    }
}

/// A JSON value read from an import input, with the file and JSON path it was read at, so that
/// every accessor's error names both. The parser is this project's own (RFC 8259) rather than
/// `JSONSerialization`, whose errors give a byte offset only: a truncated or malformed file is
/// reported at the path being read and its line.
public struct LocatedJSON: Sendable {
    public indirect enum Value: Sendable {
        case object([(key: String, value: LocatedJSON)])
        case array([LocatedJSON])
        case string(String)
        /// The number's text, as written.
        case number(String)
        case bool(Bool)
        case null
    }

    public let value: Value
    public let file: String
    public let path: String

    /// Nesting deeper than this is refused (cloud API outputs nest about ten levels).
    public static let maximumDepth = 256

    /// Parses a whole file's bytes.
    public static func parse(_ data: Data, file: String) throws(ImportError) -> LocatedJSON {
        var parser = Parser(bytes: [UInt8](data), file: file)
        parser.skipWhitespace()
        if parser.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.offset = 3 }
        let value = try parser.value(path: "", depth: 0)
        parser.skipWhitespace()
        guard parser.offset == parser.bytes.count else {
            throw parser.failure("", "extra text after the JSON value", expected: "the end of the file")
        }
        return value
    }

    // MARK: typed access (every failure names the path)

    func failure(_ message: String, expected: String? = nil) -> ImportError {
        ImportError(file: file, path: path, message, expected: expected)
    }

    var kindName: String {
        switch value {
        case .object: "an object"
        case .array: "an array"
        case .string(let text): "the string \"\(text.prefix(40))\""
        case .number(let text): "the number \(text)"
        case .bool(let flag): "\(flag)"
        case .null: "null"
        }
    }

    func wrongType(_ expected: String) -> ImportError { failure("wrong type: found \(kindName)", expected: expected) }

    public var isNull: Bool { if case .null = value { true } else { false } }

    public func object() throws(ImportError) -> JSONObject {
        guard case .object(let members) = value else { throw wrongType("an object") }
        return JSONObject(node: self, members: members)
    }

    public func array() throws(ImportError) -> [LocatedJSON] {
        guard case .array(let items) = value else { throw wrongType("an array") }
        return items
    }

    public func string() throws(ImportError) -> String {
        guard case .string(let text) = value else { throw wrongType("a string") }
        return text
    }

    /// An integer, written as a number or (as Alibaba Cloud's API sends many) as a string.
    public func int() throws(ImportError) -> Int {
        switch value {
        case .number(let text), .string(let text):
            guard let number = Int(text) else { throw wrongType("an integer") }
            return number
        default: throw wrongType("an integer")
        }
    }

    /// A boolean, or the strings "true"/"false".
    public func bool() throws(ImportError) -> Bool {
        switch value {
        case .bool(let flag): return flag
        case .string("true"): return true
        case .string("false"): return false
        default: throw wrongType("true or false")
        }
    }

    public func network(family: AddressFamily? = nil) throws(ImportError) -> IPNetwork {
        let text = try string()
        guard let network = try? IPNetwork(parsing: text), family == nil || network.family == family else {
            throw failure("not a CIDR block: \"\(text.prefix(60))\"", expected: "a CIDR block such as \(family == .ipv6 ? "2600:1f14::/56" : "10.0.0.0/16")")
        }
        return network
    }

    public func address() throws(ImportError) -> IPAddress {
        let text = try string()
        guard let address = IPAddress(text) else {
            throw failure("not an IP address: \"\(text.prefix(60))\"", expected: "an address such as 10.0.1.10")
        }
        return address
    }

    // MARK: parser

    struct Parser {
        let bytes: [UInt8]
        let file: String
        var offset = 0

        func line() -> Int { 1 + bytes[..<min(offset, bytes.count)].lazy.filter { $0 == UInt8(ascii: "\n") }.count }

        func failure(_ path: String, _ message: String, expected: String) -> ImportError {
            let at = offset >= bytes.count ? "at the end of the file (truncated?)" : "at line \(line())"
            return ImportError(file: file, path: path, "\(message) \(at)", expected: expected)
        }

        mutating func skipWhitespace() {
            while offset < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[offset]) { offset += 1 }
        }

        func child(_ path: String, key: String) -> String {
            let simple = !key.isEmpty && key.utf8.allSatisfy { $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
            let component = simple ? key : "[\"\(key)\"]"
            return path.isEmpty ? component : (simple ? "\(path).\(component)" : path + component)
        }

        mutating func value(path: String, depth: Int) throws(ImportError) -> LocatedJSON {
            guard depth < LocatedJSON.maximumDepth else {
                throw failure(path, "nested more than \(LocatedJSON.maximumDepth) levels", expected: "a cloud API output")
            }
            skipWhitespace()
            guard offset < bytes.count else { throw failure(path, "missing value", expected: "a JSON value") }
            switch bytes[offset] {
            case UInt8(ascii: "{"):
                offset += 1
                var members: [(key: String, value: LocatedJSON)] = []
                skipWhitespace()
                if offset < bytes.count, bytes[offset] == UInt8(ascii: "}") { offset += 1; return LocatedJSON(value: .object(members), file: file, path: path) }
                while true {
                    skipWhitespace()
                    guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else {
                        throw failure(path, "bad object", expected: "a quoted key")
                    }
                    let key = try string(path: path)
                    skipWhitespace()
                    guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else { throw failure(child(path, key: key), "bad object member", expected: "':' after the key") }
                    offset += 1
                    members.append((key, try value(path: child(path, key: key), depth: depth + 1)))
                    skipWhitespace()
                    guard offset < bytes.count else { throw failure(path, "unterminated object", expected: "',' or '}'") }
                    if bytes[offset] == UInt8(ascii: ",") { offset += 1; continue }
                    if bytes[offset] == UInt8(ascii: "}") { offset += 1; break }
                    throw failure(path, "bad object", expected: "',' or '}'")
                }
                return LocatedJSON(value: .object(members), file: file, path: path)
            case UInt8(ascii: "["):
                offset += 1
                var items: [LocatedJSON] = []
                skipWhitespace()
                if offset < bytes.count, bytes[offset] == UInt8(ascii: "]") { offset += 1; return LocatedJSON(value: .array(items), file: file, path: path) }
                while true {
                    items.append(try value(path: "\(path)[\(items.count)]", depth: depth + 1))
                    skipWhitespace()
                    guard offset < bytes.count else { throw failure(path, "unterminated array", expected: "',' or ']'") }
                    if bytes[offset] == UInt8(ascii: ",") { offset += 1; continue }
                    if bytes[offset] == UInt8(ascii: "]") { offset += 1; break }
                    throw failure(path, "bad array", expected: "',' or ']'")
                }
                return LocatedJSON(value: .array(items), file: file, path: path)
            case UInt8(ascii: "\""):
                return LocatedJSON(value: .string(try string(path: path)), file: file, path: path)
            case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                for (word, result) in [("true", Value.bool(true)), ("false", .bool(false)), ("null", .null)]
                where bytes[offset...].starts(with: word.utf8) {
                    offset += word.utf8.count
                    return LocatedJSON(value: result, file: file, path: path)
                }
                throw failure(path, "bad literal", expected: "true, false or null")
            default:
                let start = offset
                while offset < bytes.count, "+-0123456789.eE".utf8.contains(bytes[offset]) { offset += 1 }
                let text = String(decoding: bytes[start..<offset], as: UTF8.self)
                guard !text.isEmpty, Double(text) != nil else {
                    offset = start
                    throw failure(path, "not a JSON value", expected: "an object, array, string, number, true, false or null")
                }
                return LocatedJSON(value: .number(text), file: file, path: path)
            }
        }

        /// A string starting at the opening quote; escapes per RFC 8259 section 7.
        mutating func string(path: String) throws(ImportError) -> String {
            offset += 1
            var scalars = String.UnicodeScalarView()
            var run = offset
            func flush(_ end: Int) throws(ImportError) {
                guard let text = String(validating: bytes[run..<end], as: UTF8.self) else {
                    throw failure(path, "invalid UTF-8 in a string", expected: "UTF-8 text")
                }
                scalars.append(contentsOf: text.unicodeScalars)
            }
            while offset < bytes.count {
                let byte = bytes[offset]
                if byte == UInt8(ascii: "\"") {
                    try flush(offset)
                    offset += 1
                    return String(scalars)
                }
                if byte < 0x20 { throw failure(path, "control character in a string", expected: "an escaped character") }
                if byte == UInt8(ascii: "\\") {
                    try flush(offset)
                    offset += 1
                    guard offset < bytes.count else { break }
                    let escape = bytes[offset]
                    offset += 1
                    switch escape {
                    case UInt8(ascii: "\""): scalars.append("\"")
                    case UInt8(ascii: "\\"): scalars.append("\\")
                    case UInt8(ascii: "/"): scalars.append("/")
                    case UInt8(ascii: "b"): scalars.append("\u{08}")
                    case UInt8(ascii: "f"): scalars.append("\u{0C}")
                    case UInt8(ascii: "n"): scalars.append("\n")
                    case UInt8(ascii: "r"): scalars.append("\r")
                    case UInt8(ascii: "t"): scalars.append("\t")
                    case UInt8(ascii: "u"):
                        var code = try hex4(path)
                        if (0xD800...0xDBFF).contains(code), bytes[offset...].starts(with: "\\u".utf8) {
                            offset += 2
                            let low = try hex4(path)
                            code = 0x10000 + ((code - 0xD800) << 10) + (low &- 0xDC00 & 0x3FF)
                        }
                        scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                    default: throw failure(path, "bad escape in a string", expected: "one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u")
                    }
                    run = offset
                    continue
                }
                offset += 1
            }
            throw failure(path, "unterminated string", expected: "a closing quote")
        }

        mutating func hex4(_ path: String) throws(ImportError) -> UInt32 {
            guard offset + 4 <= bytes.count, let code = UInt32(String(decoding: bytes[offset..<offset + 4], as: UTF8.self), radix: 16) else {
                throw failure(path, "bad \\u escape", expected: "four hexadecimal digits")
            }
            offset += 4
            return code
        }
    }
}

/// The members of a JSON object, looked up by key; missing keys and wrong types are errors at
/// their path.
public struct JSONObject: Sendable {
    public let node: LocatedJSON
    public let members: [(key: String, value: LocatedJSON)]

    public var path: String { node.path }
    public var keys: [String] { members.map(\.key) }

    public subscript(key: String) -> LocatedJSON? {
        members.first { $0.key == key }.map(\.value)
    }

    /// The value, nil when the key is missing or null.
    public func optional(_ key: String) -> LocatedJSON? {
        guard let value = self[key], !value.isNull else { return nil }
        return value
    }

    public func required(_ key: String) throws(ImportError) -> LocatedJSON {
        guard let value = optional(key) else {
            let path = node.path.isEmpty ? key : "\(node.path).\(key)"
            throw ImportError(file: node.file, path: path, "missing required key '\(key)'")
        }
        return value
    }

    public func string(_ key: String) throws(ImportError) -> String { try required(key).string() }
    public func optionalString(_ key: String) throws(ImportError) -> String? { try optional(key)?.string() }
    /// A list, empty when the key is missing or null.
    public func list(_ key: String) throws(ImportError) -> [LocatedJSON] { try optional(key)?.array() ?? [] }
    public func objects(_ key: String) throws(ImportError) -> [JSONObject] {
        var result: [JSONObject] = []
        for item in try list(key) { result.append(try item.object()) }
        return result
    }
}
