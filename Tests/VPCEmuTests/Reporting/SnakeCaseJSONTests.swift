import Foundation
import Testing
@testable import VPCEmu

/// The CLI's JSON keys: JSONEncoder's own snake_case words, and `…Nanoseconds` written `…_ns`.
@Suite struct SnakeCaseJSONTests {
    /// An object whose keys are given at run time.
    struct Keys: Encodable {
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
        var names: [String]

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            for name in names { try container.encode(0, forKey: Key(stringValue: name)) }
        }
    }

    /// Every key the CLI's JSON types use, and shapes that exercise the word rules.
    static let names = [
        "sourceAddress", "destinationInstance", "payloadBytes", "lossPercent", "networkACL", "securityGroups", "bandwidthMbps",
        "linkType", "interRegion", "inactiveReason", "routeTables", "isDestination", "onAnswer", "firstTTL", "maxHops",
        "deliveredTo", "sourcePort", "ipv6", "ipv6CIDR", "IPv6Address", "aURLValue", "already_snake_ns", "x", "allCaps",
        "rttMdev", "exitStatus", "timeSeconds",
    ]

    /// The reference: JSONEncoder's `convertToSnakeCase` over the same keys.
    static func foundationKeys(_ names: [String]) throws -> Set<String> {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let object = try JSONSerialization.jsonObject(with: encoder.encode(Keys(names: names))) as? [String: Int]
        return Set(object?.keys ?? [:].keys)
    }

    @Test func wordsMatchJSONEncoderSnakeCase() throws {
        #expect(try Set(Self.names.map(SnakeCaseJSON.key)) == Self.foundationKeys(Self.names))
        #expect(SnakeCaseJSON.key("networkACL") == "network_acl")
    }

    @Test func nanosecondsAreWrittenNs() throws {
        #expect(SnakeCaseJSON.key("rttMinNanoseconds") == "rtt_min_ns")
        #expect(SnakeCaseJSON.key("timeNanoseconds") == "time_ns")
        #expect(SnakeCaseJSON.key("nanosecondsSpent") == "nanoseconds_spent")
        let json = try SnakeCaseJSON.encode(Keys(names: ["sentAtNanoseconds", "sequence"]))
        #expect(json.contains("\"sent_at_ns\" : 0"))
        #expect(json.contains("\"sequence\" : 0"))
    }
}
