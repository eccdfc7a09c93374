import Foundation

/// Reader for ClassBench rule sets and header traces (the files under shared/data/classbench,
/// the formats DPDK's `dpdk-test-acl` reads).
///
/// Rules: `@sip/len  dip/len  sport_lo : sport_hi  dport_lo : dport_hi  proto/mask  flags/mask`,
/// whitespace separated, first match wins. Traces: `sip dip sport dport proto flags ruleid` as
/// decimal integers.
///
/// The TCP-flags field takes no part in matching: `dpdk-test-acl` (app/test-acl/main.c,
/// `parse_cb_ipv4_rule`) tokenises only up to `proto/mask` and never reads the flags, and its
/// trace parser reads only the first five fields. It is still checked for syntax here, so a
/// damaged file is not half-read. See docs/filtering.md for what the data holds.
public enum ClassBench {
    /// One line of a trace.
    public struct TraceEntry: Hashable, Sendable {
        public var tuple: FiveTuple
        public var flags: UInt32
        /// The 0-based rule the header was generated from (0 in the seeded 10k traces).
        public var ruleID: Int
    }

    /// A file that could not be read or a field that could not be parsed.
    public struct FormatError: Error, Equatable, Sendable, CustomStringConvertible {
        public var file: String
        /// 1-based line; 0 when the file itself could not be read.
        public var line: Int
        public var field: String
        public var reason: String

        public var description: String {
            line == 0 ? "\(file): \(reason)" : "\(file):\(line): \(field): \(reason)"
        }
    }

    public static func readRules(path: String) throws(FormatError) -> [ClassifierRule] {
        try parseRules(contents(of: path), file: path)
    }

    public static func readTrace(path: String) throws(FormatError) -> [TraceEntry] {
        try parseTrace(contents(of: path), file: path)
    }

    public static func parseRules(_ text: some StringProtocol, file: String) throws(FormatError) -> [ClassifierRule] {
        var rules: [ClassifierRule] = []
        for (lineNumber, line) in lines(text) {
            var cursor = FieldCursor(line: line, file: file, lineNumber: lineNumber)
            guard line.first == "@" else {
                throw cursor.error("rule", "expected a rule starting with '@', found '\(line.prefix(40))'")
            }
            cursor.tokens[0] = cursor.tokens[0].dropFirst()
            let source = try cursor.prefix("source prefix")
            let destination = try cursor.prefix("destination prefix")
            guard destination.family == source.family else {
                throw cursor.error("destination prefix", "\(destination) is \(destination.family) but the source prefix is \(source.family)")
            }
            let sourcePorts = try cursor.portRange("source port range")
            let destinationPorts = try cursor.portRange("destination port range")
            let (proto, mask) = try cursor.valueAndMask("protocol", limit: 0xFF)
            if cursor.hasMore {
                _ = try cursor.valueAndMask("flags", limit: 0xFFFF)
            }
            try cursor.expectEnd()
            rules.append(ClassifierRule(source: source, destination: destination, sourcePorts: sourcePorts,
                                        destinationPorts: destinationPorts, ipProtocol: UInt8(proto), protocolMask: UInt8(mask)))
        }
        return rules
    }

    public static func parseTrace(_ text: some StringProtocol, file: String) throws(FormatError) -> [TraceEntry] {
        var entries: [TraceEntry] = []
        for (lineNumber, line) in lines(text) {
            var cursor = FieldCursor(line: line, file: file, lineNumber: lineNumber)
            let source = try cursor.number("source address", limit: UInt64(UInt32.max))
            let destination = try cursor.number("destination address", limit: UInt64(UInt32.max))
            let sourcePort = try cursor.number("source port", limit: 0xFFFF)
            let destinationPort = try cursor.number("destination port", limit: 0xFFFF)
            let proto = try cursor.number("protocol", limit: 0xFF)
            let flags = try cursor.number("flags", limit: UInt64(UInt32.max))
            let ruleID = try cursor.number("rule id", limit: UInt64(Int32.max))
            try cursor.expectEnd()
            let tuple = FiveTuple(ipv4Source: UInt32(source), destination: UInt32(destination), sourcePort: UInt16(sourcePort),
                                  destinationPort: UInt16(destinationPort), ipProtocol: UInt8(proto))
            entries.append(TraceEntry(tuple: tuple, flags: UInt32(flags), ruleID: Int(ruleID)))
        }
        return entries
    }

    private static func contents(of path: String) throws(FormatError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FormatError(file: path, line: 0, field: "file", reason: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw FormatError(file: path, line: 0, field: "file", reason: "the file is not UTF-8 text")
        }
        return text
    }

    /// Non-blank lines with their 1-based numbers (blank lines hold no record).
    private static func lines(_ text: some StringProtocol) -> [(Int, Substring)] {
        // "\r\n" is one Character, so CRLF files split the same way.
        Substring(text).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated().compactMap { index, line in
            line.allSatisfy(\.isWhitespace) ? nil : (index + 1, line)
        }
    }
}

/// Walks the whitespace-separated tokens of one line, naming the field in every error.
private struct FieldCursor {
    var tokens: [Substring]
    var position = 0
    let file: String
    let lineNumber: Int

    init(line: Substring, file: String, lineNumber: Int) {
        tokens = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        self.file = file
        self.lineNumber = lineNumber
    }

    var hasMore: Bool { position < tokens.count }

    func error(_ field: String, _ reason: String) -> ClassBench.FormatError {
        ClassBench.FormatError(file: file, line: lineNumber, field: field, reason: reason)
    }

    mutating func next(_ field: String) throws(ClassBench.FormatError) -> Substring {
        guard position < tokens.count else { throw error(field, "missing (the line ends early)") }
        defer { position += 1 }
        return tokens[position]
    }

    mutating func expectEnd() throws(ClassBench.FormatError) {
        if position < tokens.count { throw error("end of line", "unexpected extra text '\(tokens[position])'") }
    }

    /// An unsigned integer, decimal or `0x` hexadecimal, at most `limit`.
    static func unsigned(_ token: Substring, limit: UInt64) -> UInt64? {
        let isHex = token.hasPrefix("0x") || token.hasPrefix("0X")
        let digits = isHex ? token.dropFirst(2) : token
        guard !digits.isEmpty, digits.allSatisfy({ isHex ? $0.isHexDigit : $0.isASCIIDigit }),
              let value = UInt64(digits, radix: isHex ? 16 : 10), value <= limit else { return nil }
        return value
    }

    mutating func number(_ field: String, limit: UInt64) throws(ClassBench.FormatError) -> UInt64 {
        let token = try next(field)
        guard let value = Self.unsigned(token, limit: limit) else {
            throw error(field, "expected a whole number from 0 to \(limit), found '\(token)'")
        }
        return value
    }

    mutating func prefix(_ field: String) throws(ClassBench.FormatError) -> IPNetwork {
        let token = try next(field)
        do {
            // ClassBench generators emit host bits under short masks; the mask decides.
            return try IPNetwork(parsing: token, allowHostBits: true)
        } catch {
            throw self.error(field, error.description)
        }
    }

    mutating func portRange(_ field: String) throws(ClassBench.FormatError) -> PortRange {
        let low = try number(field, limit: 0xFFFF)
        let separator = try next(field)
        guard separator == ":" else { throw error(field, "expected ' : ' between the bounds, found '\(separator)'") }
        let high = try number(field, limit: 0xFFFF)
        guard low <= high else { throw error(field, "lower bound \(low) is above upper bound \(high)") }
        return PortRange(UInt16(low), UInt16(high))
    }

    mutating func valueAndMask(_ field: String, limit: UInt64) throws(ClassBench.FormatError) -> (UInt64, UInt64) {
        let token = try next(field)
        let parts = token.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let value = Self.unsigned(parts[0], limit: limit),
              let mask = Self.unsigned(parts[1], limit: limit) else {
            throw error(field, "expected VALUE/MASK such as 0x06/0xFF (at most \(limit)), found '\(token)'")
        }
        return (value, mask)
    }
}
