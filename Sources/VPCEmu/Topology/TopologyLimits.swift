/// The bounds the loader puts on a topology file, so that a hostile or broken file is refused
/// quickly with an error naming the bound, never loaded in time or memory out of proportion to
/// its size (docs/topology.md, "Limits").
public enum TopologyLimits {
    /// Largest file read: 8 MiB, about 80,000 security-group rules written one per line (a
    /// debug build checks 40,000 in about 10 s on a loaded 2-core VM; loading time is linear).
    public static let fileBytes = 8 << 20

    /// Nodes that YAML aliases may repeat in total: each use of an alias counts the nodes of the
    /// anchored node it stands for (`YAMLPrepass`).
    public static let aliasNodes = 100_000

    /// Diagnostics printed for one file; the rest are counted (`TopologyDiagnostic.render`).
    public static let printedDiagnostics = 100

    /// Longest time or duration in a topology: 100 years of 365 days. Any sum of two such values
    /// (an event's time plus a delay) fits in an Int64 of nanoseconds with room to spare.
    public static let durationDays: Int64 = 36_500

    /// Longest object name, in characters.
    public static let nameLength = 128

    /// Whether `name` may name a topology object: 1 to `nameLength` ASCII letters, digits, `.`,
    /// `_` and `-`, not starting with `.`. Names end up in output file names (one capture per
    /// instance) and in reports, so none can be a path (`../x`), hidden, or need quoting.
    public static func isSafeName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard let first = bytes.first, first != UInt8(ascii: "."), bytes.count <= nameLength else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                true
            default:
                false
            }
        }
    }

    /// The rule of `isSafeName` in words, for messages; the JSON Schema's `pattern` is
    /// `^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$`.
    public static let nameRule = "1 to 128 letters, digits, '.', '_' or '-', not starting with '.'"
}
