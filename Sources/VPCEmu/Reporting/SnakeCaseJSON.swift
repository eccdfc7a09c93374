import Foundation

/// The project's one JSON convention: pretty, sorted keys, snake_case keys, slashes unescaped, so
/// output is stable and diffable. A property named `…Nanoseconds` is written `…_ns`: every
/// emulated time and duration is integer nanoseconds with the unit in the key (docs/json.md).
/// The CLI prints it (`topology show --json`, the diagnostics' `--json`) and the replay writes
/// report.json with it; verdicts.jsonl holds `VerdictRecord`s in one compact line each (`VerdictLine`).
/// Public for the `bench` commands, whose results are types of VPCEmuBench.
public enum SnakeCaseJSON {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .custom { path in Key(key(path.last?.stringValue ?? "")) }
        return encoder
    }

    static func data(_ value: some Encodable) throws -> Data { try encoder().encode(value) }

    public static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try data(value), as: UTF8.self)
    }

    /// `rttMinNanoseconds` → `rtt_min_ns`, `networkACL` → `network_acl`: JSONEncoder's
    /// `convertToSnakeCase` words (a capital starts one; a run of capitals is one, its last
    /// capital starting the next word when a lower-case letter follows), then `nanoseconds` → `ns`.
    static func key(_ name: String) -> String {
        var words: [String] = []
        var word = ""
        let characters = Array(name)
        for (index, character) in characters.enumerated() {
            let startsWord = character.isUppercase && index > 0
                && (!characters[index - 1].isUppercase || (index + 1 < characters.count && characters[index + 1].isLowercase))
            if startsWord, !word.isEmpty {
                words.append(word)
                word = ""
            }
            word.append(character)
        }
        words.append(word)
        let snake = words.map { $0.lowercased() }.joined(separator: "_")
        return snake.hasSuffix("_nanoseconds") ? String(snake.dropLast("nanoseconds".count)) + "ns" : snake
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
