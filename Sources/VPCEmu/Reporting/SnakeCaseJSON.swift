import Foundation

/// The JSON the CLI prints (`topology show --json`, the diagnostics' `--json`): pretty, sorted,
/// snake_case keys, slashes unescaped, so output is stable and diffable. Public for the `bench`
/// commands, whose results are types of VPCEmuBench.
public enum SnakeCaseJSON {
    public static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
