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

    /// `t=1m1s`, `t=7d`, `t=10m1s`: days, hours, minutes and seconds, then any fraction of a second,
    /// so that times shown together read alike (`description` picks one unit per value: `t=61s`
    /// next to `t=1m`).
    public var compoundDescription: String {
        guard nanoseconds > 0 else { return description }
        var rest = nanoseconds
        var text = ""
        for unit in EmulatedDuration.units.prefix(4) where rest >= unit.nanoseconds {
            text += "\(rest / unit.nanoseconds)\(unit.suffix)"
            rest %= unit.nanoseconds
        }
        if rest > 0 { text += "\(EmulatedDuration(nanoseconds: rest))" }
        return "t=\(text)"
    }

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
}

extension StringProtocol {
    var trimmingWhitespace: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
