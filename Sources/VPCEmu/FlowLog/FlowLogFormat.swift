import Foundation

/// How the lines of a flow-log file are written, and how one line becomes a record.
///
/// - AWS VPC Flow Logs: space-separated fields, by default the version-2 fields in their
///   documented order; a custom format is given by a header line of field names (as the files
///   AWS delivers to S3 begin; `${field}` as in the log-format string is accepted too). A header
///   line later in a file (files concatenated) starts a new format.
/// - Alibaba Cloud VPC flow logs: one JSON object per line, keyed by field name, values as
///   strings or numbers.
///
/// A line is a record, a `NODATA` or `SKIPDATA` status line (no flow), or a located problem.
enum FlowLogFormat: Sendable, Equatable {
    case aws(AWSFields)
    case alibabaJSON

    /// The fields a record is read from. The AWS and Alibaba names are the same except for the
    /// interface and the direction.
    enum Field: CaseIterable {
        case srcaddr, dstaddr, srcport, dstport, ipProtocol, packets, bytes, start, end
        case action, logStatus, tcpFlags, direction, interface

        var awsName: String {
            switch self {
            case .srcaddr: "srcaddr"
            case .dstaddr: "dstaddr"
            case .srcport: "srcport"
            case .dstport: "dstport"
            case .ipProtocol: "protocol"
            case .packets: "packets"
            case .bytes: "bytes"
            case .start: "start"
            case .end: "end"
            case .action: "action"
            case .logStatus: "log-status"
            case .tcpFlags: "tcp-flags"
            case .direction: "flow-direction"
            case .interface: "interface-id"
            }
        }

        var alibabaName: String {
            switch self {
            case .direction: "direction"
            case .interface: "eni-id"
            default: awsName
            }
        }

        /// What a replay cannot do without.
        static let required: [Field] = [.srcaddr, .dstaddr, .srcport, .dstport, .ipProtocol, .packets, .bytes, .start, .end]
    }

    /// The columns of an AWS format.
    struct AWSFields: Sendable, Equatable {
        let names: [String]
        /// Column of each field the replay reads (absent: the format does not have it).
        let columns: [Int?]
        /// Names in the header that AWS does not document (read past, reported once).
        let unknown: [String]

        /// `version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status`.
        static let defaultVersion2 = try! AWSFields(names: [
            "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
            "packets", "bytes", "start", "end", "action", "log-status",
        ])

        /// The problem when the names lack a field the replay needs.
        init(names: [String]) throws(HeaderProblem) {
            self.names = names
            columns = Field.allCases.map { field in names.firstIndex(of: field.awsName) }
            unknown = names.filter { !FlowLogFormat.documentedAWSFields.contains($0) }
            let missing = Field.required.filter { columns[Self.index(of: $0)] == nil }.map(\.awsName)
            if !missing.isEmpty {
                throw HeaderProblem(description: "the format (\(names.joined(separator: " "))) has no \(missing.joined(separator: ", ")): a replay needs "
                                    + Field.required.map(\.awsName).joined(separator: " "))
            }
            if let duplicate = names.enumerated().first(where: { names.firstIndex(of: $0.element) != $0.offset })?.element {
                throw HeaderProblem(description: "field \(duplicate) appears twice in the format")
            }
        }

        static func index(of field: Field) -> Int { Field.allCases.firstIndex(of: field)! }

        func column(_ field: Field) -> Int? { columns[Self.index(of: field)] }
    }

    struct HeaderProblem: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    /// The field names AWS documents ("Flow log records", available fields, versions 2 to 10).
    static let documentedAWSFields: Set<String> = [
        "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes",
        "start", "end", "action", "log-status", "vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr",
        "pkt-dstaddr", "region", "az-id", "sublocation-type", "sublocation-id", "pkt-src-aws-service", "pkt-dst-aws-service",
        "flow-direction", "traffic-path", "ecs-cluster-arn", "ecs-cluster-name", "ecs-container-instance-arn",
        "ecs-container-instance-id", "ecs-container-id", "ecs-second-container-id", "ecs-service-name",
        "ecs-task-definition-arn", "ecs-task-arn", "ecs-task-id", "reject-reason", "resource-id", "encryption-status",
    ]

    /// The field names of `line` when it is an AWS header line: every word a field name
    /// (lowercase letters, digits and '-', optionally as `${name}`) and most of them documented
    /// (so that a sentence of plain words is not taken for one). A record never is one: its
    /// fields hold numbers, addresses or `-`.
    static func headerNames(_ line: Substring) -> [String]? {
        // A record begins with a digit, an address, '-' or '{': most lines are not headers at their first byte.
        guard let first = line.utf8.first(where: { !$0.isFlowLogSpace }), (UInt8(ascii: "a") ... UInt8(ascii: "z")).contains(first) || first == UInt8(ascii: "$") else {
            return nil
        }
        let words = line.split(whereSeparator: \.isFlowLogSpace)
        guard !words.isEmpty else { return nil }
        var names: [String] = []
        for word in words {
            var name = word
            if name.hasPrefix("${"), name.hasSuffix("}"), name.count > 3 { name = name.dropFirst(2).dropLast() }
            guard let first = name.first, first.isASCII, first.isLowercase,
                  name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else { return nil }
            names.append(String(name))
        }
        return 2 * names.filter(documentedAWSFields.contains).count > names.count ? names : nil
    }

    /// What one line holds.
    enum Line: Equatable {
        case record(FlowLogRecord)
        /// `NODATA`: no traffic in the window; `SKIPDATA`: records the cloud could not capture.
        case noData, skipData
    }

    /// A problem with one line, naming the field when one is at fault.
    struct LineProblem: Error, Equatable {
        var field: String?
        var problem: String
    }

    /// Reads one non-blank line.
    func parse(_ line: Substring) throws(LineProblem) -> Line {
        switch self {
        case .aws(let fields):
            let words = line.utf8.split(whereSeparator: \.isFlowLogSpace).map(Substring.init)
            guard words.count == fields.names.count else {
                let missing = words.count < fields.names.count ? fields.names[words.count] : nil
                throw LineProblem(field: missing, problem: words.count < fields.names.count
                                  ? "missing: the line has \(words.count) of the format's \(fields.names.count) fields"
                                  : "the line has \(words.count) fields, the format \(fields.names.count) (\(fields.names.first ?? "") … \(fields.names.last ?? ""))")
            }
            return try Self.line(name: \.awsName) { field in fields.column(field).map { words[$0] } }
        case .alibabaJSON:
            let object: [String: JSONScalar]
            do { object = try JSONDecoder().decode([String: JSONScalar].self, from: Data(line.utf8)) } catch {
                throw LineProblem(field: nil, problem: "expected a JSON object (one Alibaba Cloud flow-log record per line)")
            }
            var values: [Field: Substring] = [:]
            for field in Field.allCases {
                switch object[field.alibabaName] {
                case nil, .null: continue
                case .text(let text): values[field] = Substring(text)
                case .other: throw LineProblem(field: field.alibabaName, problem: "expected a string or a number")
                }
            }
            return try Self.line(name: \.alibabaName) { values[$0] }
        }
    }

    /// A record from its fields' texts (`value` gives nil for a field the line does not have).
    private static func line(name: KeyPath<Field, String>, _ value: (Field) -> Substring?) throws(LineProblem) -> Line {
        func fail(_ field: Field, _ problem: String) -> LineProblem { LineProblem(field: field[keyPath: name], problem: problem) }
        func text(_ field: Field) throws(LineProblem) -> Substring {
            guard let text = value(field) else { throw fail(field, "missing") }
            return text
        }
        func shown(_ text: Substring) -> String { text == "-" ? "'-' (not recorded)" : "'\(text.prefix(60))'" }
        func integer(_ field: Field, _ range: ClosedRange<Int64>, _ what: String) throws(LineProblem) -> Int64 {
            let text = try text(field)
            guard let number = Int64(text), range.contains(number) else { throw fail(field, "expected \(what), got \(shown(text))") }
            return number
        }
        if let status = value(.logStatus) {
            switch status {
            case "OK": break
            case "NODATA": return .noData
            case "SKIPDATA": return .skipData
            default: throw fail(.logStatus, "expected OK, NODATA or SKIPDATA, got \(shown(status))")
            }
        }
        func address(_ field: Field) throws(LineProblem) -> IPAddress {
            let text = try text(field)
            guard let address = IPAddress(text) else { throw fail(field, "expected an IPv4 or IPv6 address, got \(shown(text))") }
            return address
        }
        let source = try address(.srcaddr), destination = try address(.dstaddr)
        guard source.family == destination.family else {
            throw fail(.dstaddr, "an \(destination.family) address with an \(source.family) source")
        }
        let ipProtocol = UInt8(try integer(.ipProtocol, 0...255, "an IANA protocol number 0-255"))
        let hasPorts = ipProtocol == IPProtocolNumber.tcp || ipProtocol == IPProtocolNumber.udp
        func port(_ field: Field) throws(LineProblem) -> UInt16 {
            // Protocols without ports are logged with 0 (AWS) or '-'.
            if !hasPorts, value(field) == "-" { return 0 }
            return UInt16(try integer(field, hasPorts ? 1...65_535 : 0...65_535, hasPorts ? "a port 1-65535" : "a number 0-65535"))
        }
        let sourcePort = try port(.srcport), destinationPort = try port(.dstport)
        let packets = try integer(.packets, 1...maximumPackets, "a packet count from 1 to 1,000,000,000")
        let bytes = try integer(.bytes, 0...(packets * 65_535), "a byte count from 0 to 65,535 per packet")
        let start = try integer(.start, 0...latestTime, "a Unix time in seconds (up to 2100)")
        let end = try integer(.end, 0...latestTime, "a Unix time in seconds (up to 2100)")
        guard end >= start else { throw fail(.end, "\(end) is before start \(start)") }
        var action: FlowLogRecord.Action?
        switch value(.action) {
        case nil, "-": action = nil
        case "ACCEPT": action = .accept
        case "REJECT": action = .reject
        case let other?: throw fail(.action, "expected ACCEPT or REJECT, got \(shown(other))")
        }
        var direction: FlowLogRecord.Direction?
        switch value(.direction) {
        case nil, "-": direction = nil
        case "ingress", "in": direction = .ingress
        case "egress", "out": direction = .egress
        case let other?: throw fail(.direction, "expected \(name == \Field.awsName ? "ingress or egress" : "in or out"), got \(shown(other))")
        }
        var tcpFlags: UInt8?
        if let flags = value(.tcpFlags), flags != "-" { tcpFlags = UInt8(try integer(.tcpFlags, 0...255, "a TCP flag bitmask 0-255")) }
        let interface = value(.interface).flatMap { $0 == "-" || $0.isEmpty ? nil : String($0) }
        return .record(FlowLogRecord(source: source, destination: destination, sourcePort: sourcePort, destinationPort: destinationPort,
                                     ipProtocol: ipProtocol, packets: packets, bytes: bytes, start: start, end: end, action: action,
                                     direction: direction, tcpFlags: tcpFlags, interface: interface))
    }

    /// At most this many packets in one record (10 Gbit/s of 1,500-byte packets for 20 minutes),
    /// so that a damaged count cannot make a replay endless.
    static let maximumPackets: Int64 = 1_000_000_000
    /// 2100-01-01T00:00:00Z: later times are damage (and would overflow nanoseconds past 2262).
    static let latestTime: Int64 = 4_102_444_800
}

/// A value of an Alibaba Cloud record: the fields are strings or numbers.
private enum JSONScalar: Decodable {
    case text(String), null, other

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let text = try? container.decode(String.self) {
            self = .text(text)
        } else if let number = try? container.decode(Int64.self) {
            self = .text(String(number))
        } else if let number = try? container.decode(Double.self) {
            self = .text(String(number))  // not an integer: the field's check names it
        } else {
            self = .other
        }
    }
}

extension Character {
    /// Field separators of AWS flow-log lines (records in the documentation have runs of spaces).
    var isFlowLogSpace: Bool { self == " " || self == "\t" }
}

extension UInt8 {
    /// `Character.isFlowLogSpace` of a UTF-8 byte.
    var isFlowLogSpace: Bool { self == 0x20 || self == 0x09 }
}
