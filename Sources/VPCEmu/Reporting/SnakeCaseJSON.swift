import Foundation

/// The project's one JSON convention: pretty, sorted keys, snake_case keys, slashes unescaped, so
/// output is stable and diffable. The CLI prints it (`topology show --json`, the diagnostics'
/// `--json`) and the replay writes report.json with it; verdicts.jsonl holds `VerdictRecord`s in
/// one compact line each (`VerdictLine`).
enum SnakeCaseJSON {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }

    static func data(_ value: some Encodable) throws -> Data { try encoder().encode(value) }

    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try data(value), as: UTF8.self)
    }
}
