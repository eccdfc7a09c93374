import Foundation

extension CaptureSummary {
    /// The `inspect --json` object. Keys are stable; `error` is present only for a damaged file.
    public struct JSONReport: Encodable, Equatable, Sendable {
        public var file: String
        public var linkType: String?
        public var packets: Int
        /// Captured bytes.
        public var bytes: Int
        public var wireBytes: Int
        public var firstTimestampNs: Int64?
        public var lastTimestampNs: Int64?
        public var ipv4: Int
        public var ipv6: Int
        /// IP packets by upper-layer protocol name ("tcp", "udp", "icmp", "icmpv6", "ip-proto-N" …).
        public var protocols: [String: Int]
        public var fragments: Int
        public var vlanTagged: Int
        public var nonIP: Int
        /// Malformed packets by reason code (`MalformedReason.code`).
        public var malformed: [String: Int]
        /// True when the file was read to its end.
        public var complete: Bool
        public var error: String?
    }

    public var jsonReport: JSONReport {
        JSONReport(
            file: file, linkType: linkType?.description, packets: packets, bytes: capturedBytes,
            wireBytes: wireBytes, firstTimestampNs: earliestTimestamp, lastTimestampNs: latestTimestamp,
            ipv4: ipv4, ipv6: ipv6, protocols: protocolMix, fragments: fragments, vlanTagged: vlanTagged,
            nonIP: nonIP, malformed: malformedByReason, complete: error == nil, error: error?.description)
    }

    /// One line of JSON (sorted keys).
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain integers, strings and dictionaries of them cannot fail.
        let data = (try? encoder.encode(jsonReport)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The human-readable summary: a heading line with the file, then indented fields.
    public var text: String {
        var lines = [file]
        func field(_ name: String, _ value: String) {
            lines.append("  " + name.padding(toLength: 13, withPad: " ", startingAt: 0) + value)
        }
        guard let linkType else {
            // Never opened: there is nothing to count.
            field("error", error?.description ?? "not read")
            return lines.joined(separator: "\n")
        }
        field("link type", "\(linkType) (LINKTYPE \(linkType.rawValue))")
        let snapped = wireBytes > capturedBytes ? ", \(wireBytes) on the wire" : ""
        field("packets", "\(packets) (\(capturedBytes) bytes captured\(snapped))")
        if let first = earliestTimestamp, let last = latestTimestamp {
            let seconds = Double(last - first) / 1e9
            field("time span", "\(Timestamp.iso8601(first)) .. \(Timestamp.iso8601(last)) (\(String(format: "%.6f", seconds)) s)")
        }
        let malformedCount = malformedTotal
        field("network", "IPv4 \(ipv4), IPv6 \(ipv6), non-IP \(nonIP), malformed \(malformedCount)")
        if ipv4 + ipv6 > 0 { field("protocols", Self.list(protocolMix)) }
        if fragments > 0 { field("fragments", "\(fragments)") }
        field("VLAN-tagged", "\(vlanTagged)")
        if malformedCount > 0 { field("malformed", Self.list(malformedByReason)) }
        if let error { field("error", error.description) }
        return lines.joined(separator: "\n")
    }

    /// "a 3, b 2, c 2": largest first, then by name.
    private static func list(_ counts: [String: Int]) -> String {
        counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }
}

enum Timestamp {
    /// UTC, nanosecond precision: 2024-05-01T12:00:00.000000001Z.
    static func iso8601(_ nanoseconds: Int64) -> String {
        let split = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        var seconds = split.quotient
        var fraction = split.remainder
        if fraction < 0 {
            seconds -= 1
            fraction += 1_000_000_000
        }
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int64(fraction))
    }
}
