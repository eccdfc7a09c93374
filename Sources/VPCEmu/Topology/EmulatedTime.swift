/// Emulated time: nanoseconds since the start of the emulation (time zero is when the topology
/// comes up; a replay maps its first packet to time zero). Never wall-clock time, so results
/// are repeatable.
public struct EmulatedTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = EmulatedTime(nanoseconds: 0)

    @inlinable public static func < (lhs: Self, rhs: Self) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// Saturates instead of wrapping: a deadline past Int64's range (292 years) is "never".
    @inlinable public static func + (lhs: Self, rhs: EmulatedDuration) -> Self {
        let (sum, overflow) = lhs.nanoseconds.addingReportingOverflow(rhs.nanoseconds)
        return EmulatedTime(nanoseconds: overflow ? (rhs.nanoseconds > 0 ? .max : .min) : sum)
    }

    /// `t=90s` style, in the largest unit that divides the value.
    public var description: String { "t=\(EmulatedDuration(nanoseconds: nanoseconds))" }

    /// The time in human units, as text output shows it (`EmulatedDuration.humanDescription`).
    public var humanDescription: String { EmulatedDuration(nanoseconds: nanoseconds).humanDescription }

    /// Parses a time given as a duration since time zero (`90s`, `2h`, `7d`, plain seconds).
    public init?(parsing text: String) {
        guard let offset = EmulatedDuration(parsing: text) else { return nil }
        self.nanoseconds = offset.nanoseconds
    }

    /// As `init?(parsing:)`, telling a malformed value from one too large to represent.
    public init(validating text: String) throws(EmulatedDuration.ParseError) {
        nanoseconds = try EmulatedDuration(validating: text).nanoseconds
    }
}

/// A span of emulated time.
public struct EmulatedDuration: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static func seconds(_ value: Int64) -> Self { .init(nanoseconds: value * 1_000_000_000) }
    public static func milliseconds(_ value: Int64) -> Self { .init(nanoseconds: value * 1_000_000) }
    public static func microseconds(_ value: Int64) -> Self { .init(nanoseconds: value * 1_000) }

    @inlinable public static func < (lhs: Self, rhs: Self) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    static let units: [(suffix: String, nanoseconds: Int64)] = [
        ("d", 86_400_000_000_000), ("h", 3_600_000_000_000), ("m", 60_000_000_000),
        ("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000), ("ns", 1),
    ]

    /// Why a duration does not parse.
    public enum ParseError: Error, Equatable, Sendable {
        /// Not a non-negative number with an optional unit.
        case malformed
        /// More nanoseconds than an Int64 holds (`maximumDays`).
        case tooLarge
    }

    /// The longest duration, in whole days: Int64.max nanoseconds is about 106,751.99 days.
    /// Topology files are bounded more tightly (`TopologyLimits.durationDays`).
    public static let maximumDays = Int64.max / 86_400_000_000_000

    /// Parses a non-negative number with an optional unit: `ns`, `us`, `ms`, `s` (the default),
    /// `m`, `h`, `d`. Fractions are allowed (`1.5ms`); the result is rounded to nanoseconds.
    public init?(parsing text: String) {
        guard let duration = try? Self(validating: text) else { return nil }
        self = duration
    }

    /// As `init?(parsing:)`, telling a malformed value from one too large to represent.
    public init(validating text: String) throws(ParseError) {
        let trimmed = text.trimmingWhitespace
        let digits = trimmed.prefix { $0.isASCIIDigit || $0 == "." }
        let suffix = String(trimmed.dropFirst(digits.count)).trimmingWhitespace
        guard !digits.isEmpty, let value = Double(digits), value.isFinite else { throw .malformed }
        let scale: Int64
        if suffix.isEmpty {
            scale = 1_000_000_000
        } else if let unit = Self.units.first(where: { $0.suffix == suffix }) {
            scale = unit.nanoseconds
        } else {
            throw .malformed
        }
        let nanoseconds = (value * Double(scale)).rounded()
        // Double(Int64.max) is 2^63; every double below it converts exactly.
        guard nanoseconds < Double(Int64.max) else { throw .tooLarge }
        self.nanoseconds = Int64(nanoseconds)
    }

    public var description: String {
        guard nanoseconds != 0 else { return "0s" }
        for unit in Self.units where nanoseconds % unit.nanoseconds == 0 {
            return "\(nanoseconds / unit.nanoseconds)\(unit.suffix)"
        }
        return "\(nanoseconds)ns"
    }

    public var seconds: Double { Double(nanoseconds) / 1e9 }

    /// The CLI's one human form of an emulated time or span, for text output (JSON keeps integer
    /// nanoseconds, docs/json.md): `0 s`; below a minute one unit with a tenth, rounded (`850 ns`,
    /// `100.0 us`, `250.0 ms`, `28.0 s`); from a minute on the two largest units, truncated
    /// (`27 m 12 s`, `2 h`, `3 d 4 h`). `description` stays the exact form a flag or file takes.
    public var humanDescription: String {
        guard nanoseconds >= 0 else { return "-" + EmulatedDuration(nanoseconds: nanoseconds == .min ? .max : -nanoseconds).humanDescription }
        if nanoseconds == 0 { return "0 s" }
        if nanoseconds < 1_000 { return "\(nanoseconds) ns" }
        // Tenths of us, ms, s; one that rounds up to 1000.0 goes to the next unit.
        for (suffix, unit) in [("us", Int64(1_000)), ("ms", 1_000_000), ("s", 1_000_000_000)] where nanoseconds < 1_000 * unit {
            let tenths = (nanoseconds * 10 + unit / 2) / unit
            if suffix != "s", tenths >= 10_000 { continue }
            if suffix == "s", nanoseconds >= 60 * unit { break }
            return "\(tenths / 10).\(tenths % 10) \(suffix)"
        }
        let compound = Self.units.prefix(4)  // d, h, m, s
        guard let major = compound.firstIndex(where: { nanoseconds >= $0.nanoseconds }) else { return "\(nanoseconds) ns" }
        let first = compound[major], second = compound[major + 1]
        let minor = nanoseconds % first.nanoseconds / second.nanoseconds
        return "\(nanoseconds / first.nanoseconds) \(first.suffix)" + (minor > 0 ? " \(minor) \(second.suffix)" : "")
    }
}

extension StringProtocol {
    var trimmingWhitespace: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
