/// One line of `verdicts.jsonl` (docs/forwarding.md, "Replay outputs"): the schema, and what the
/// tests decode each line into. A delivered packet has `instance` and `arrival`, a dropped one
/// `reason` and `detail`, one that left the modelled network (`left`) `detail`; keys appear in
/// the order of the properties.
///
/// The replay writes a line per packet, so it does not go through `JSONEncoder` (ten times the cost
/// of forwarding the packet): `VerdictLine` is this type's encoder, the same JSON (one compact line,
/// keys in property order) assembled from bytes, and the texts that repeat (an instance's name, a
/// drop's reason, detail and trail) are escaped once and reused.
public struct VerdictRecord: Codable, Equatable, Sendable {
    /// Emulated departure time, ns.
    public var time: Int64
    /// `delivered`, `dropped` or `left`.
    public var verdict: String
    public var instance: String?
    /// Emulated arrival time at `instance`, ns.
    public var arrival: Int64?
    /// The drop reason's code (docs/forwarding.md, "Drop reasons").
    public var reason: String?
    /// The drop reason's sentence.
    public var detail: String?
    /// The hops reached, `ecs-a > rt-a[10.2.0.0/16 -> peering pcx] > pcx > ecs-b`.
    public var trail: String

    public init(time: Int64, verdict: String, instance: String? = nil, arrival: Int64? = nil,
                reason: String? = nil, detail: String? = nil, trail: String) {
        self.time = time
        self.verdict = verdict
        self.instance = instance
        self.arrival = arrival
        self.reason = reason
        self.detail = detail
        self.trail = trail
    }
}

/// `VerdictRecord`'s encoder for `verdicts.jsonl`: its fields, fixed in kind and order, appended as
/// bytes to one reused buffer, line after line, which the caller writes out when it is large.
struct VerdictLine {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 512) { bytes.reserveCapacity(capacity) }

    /// Empties the buffer, keeping its capacity.
    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    /// `,"key":"value"` with `value` escaped: a piece to build once and pass to `delivered`/`dropped`.
    static func field(_ key: String, _ value: String) -> [UInt8] {
        var out = Array(",\"\(key)\":".utf8)
        appendQuoted(value, to: &out)
        return out
    }

    /// `{"time":T,"verdict":"delivered","instance":…,"arrival":A,"trail":…}` and a newline.
    mutating func delivered(time: Int64, instance: [UInt8], arrival: Int64, trail: [UInt8]) {
        begin(time: time, verdict: Self.deliveredVerdict)
        bytes.append(contentsOf: instance)
        bytes.append(contentsOf: Self.arrivalKey)
        Self.appendInteger(arrival, to: &bytes)
        bytes.append(contentsOf: trail)
        bytes.append(contentsOf: Self.end)
    }

    /// `{"time":T,"verdict":"dropped","reason":…,"detail":…,"trail":…}` and a newline; `fields`
    /// holds the last three, built once per reason and trail.
    mutating func dropped(time: Int64, fields: [UInt8]) {
        begin(time: time, verdict: Self.droppedVerdict)
        bytes.append(contentsOf: fields)
        bytes.append(contentsOf: Self.end)
    }

    /// `{"time":T,"verdict":"left","detail":…,"trail":…}` and a newline.
    mutating func left(time: Int64, detail: [UInt8], trail: [UInt8]) {
        begin(time: time, verdict: Self.leftVerdict)
        bytes.append(contentsOf: detail)
        bytes.append(contentsOf: trail)
        bytes.append(contentsOf: Self.end)
    }

    private mutating func begin(time: Int64, verdict: [UInt8]) {
        bytes.append(contentsOf: Self.timeKey)
        Self.appendInteger(time, to: &bytes)
        bytes.append(contentsOf: verdict)
    }

    private static let timeKey = Array("{\"time\":".utf8)
    private static let deliveredVerdict = Array(",\"verdict\":\"delivered\"".utf8)
    private static let droppedVerdict = Array(",\"verdict\":\"dropped\"".utf8)
    private static let leftVerdict = Array(",\"verdict\":\"left\"".utf8)
    private static let arrivalKey = Array(",\"arrival\":".utf8)
    private static let end = Array("}\n".utf8)

    private static let hex = Array("0123456789abcdef".utf8)

    /// Decimal digits, a `-` first when negative.
    static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 20 digits at most, kept off the heap
        withUnsafeMutableBytes(of: &digits) { buffer in
            var index = buffer.count
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            out.append(contentsOf: buffer[index...])
        }
    }

    /// `"text"` escaped as RFC 8259 §7 requires: quotation mark, reverse solidus and the control
    /// characters U+0000–U+001F; everything else is the string's own UTF-8 (always valid in Swift).
    static func appendQuoted(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case ..<0x20:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
