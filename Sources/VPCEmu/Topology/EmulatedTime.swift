/// Emulated time: nanoseconds since the start of the emulation (time zero is when the topology
/// comes up; a replay maps its first packet to time zero). Never wall-clock time, so results
/// are repeatable.
public struct EmulatedTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = EmulatedTime(nanoseconds: 0)

    @inlinable public static func < (lhs: Self, rhs: Self) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    @inlinable public static func + (lhs: Self, rhs: EmulatedDuration) -> Self {
        EmulatedTime(nanoseconds: lhs.nanoseconds &+ rhs.nanoseconds)
    }

    /// `t=90s` style, in the largest unit that divides the value.
    public var description: String { "t=\(EmulatedDuration(nanoseconds: nanoseconds))" }

    /// Parses a time given as a duration since time zero (`90s`, `2h`, `7d`, plain seconds).
    public init?(parsing text: String) {
        guard let offset = EmulatedDuration(parsing: text) else { return nil }
        self.nanoseconds = offset.nanoseconds
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

    /// Parses a non-negative number with an optional unit: `ns`, `us`, `ms`, `s` (the default),
    /// `m`, `h`, `d`. Fractions are allowed (`1.5ms`); the result is rounded to nanoseconds.
    public init?(parsing text: String) {
        let trimmed = text.trimmingWhitespace
        let digits = trimmed.prefix { $0.isASCIIDigit || $0 == "." }
        let suffix = String(trimmed.dropFirst(digits.count)).trimmingWhitespace
        guard !digits.isEmpty, let value = Double(digits), value.isFinite else { return nil }
        let scale: Int64
        if suffix.isEmpty {
            scale = 1_000_000_000
        } else if let unit = Self.units.first(where: { $0.suffix == suffix }) {
            scale = unit.nanoseconds
        } else {
            return nil
        }
        let nanoseconds = (value * Double(scale)).rounded()
        guard nanoseconds < 9.2e18 else { return nil }
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
