import Foundation
import VPCEmu

/// The LPM benchmark inputs, in the formats `shared/data/make-lpm-workload.py` writes and
/// DPDK's `dpdk-test-fib` reads: routes as `prefix/len nexthop` lines, addresses one per line.
/// Blank lines are skipped; CRLF line endings are accepted.
public struct LPMWorkload<Key: PoptrieKey> {
    public struct Route: Sendable {
        public var prefix: Key
        public var length: Int
        public var nextHop: UInt32
    }

    public var routes: [Route]
    public var addresses: [Key]

    public init(routes: [Route], addresses: [Key]) {
        self.routes = routes
        self.addresses = addresses
    }

    /// A file that could not be read or has a bad line; the description names file, line and field.
    public struct FileError: Error, CustomStringConvertible {
        public var path: String
        public var line: Int?
        public var message: String

        public var description: String {
            line.map { "\(path):\($0): \(message)" } ?? "\(path): \(message)"
        }
    }

    /// Reads both files. Next hops must be 0...`Poptrie.maxNextHop`; host bits in a prefix are an error.
    public init(routesFile: String, addressesFile: String) throws(FileError) {
        routes = []
        addresses = []
        try Self.forEachLine(of: routesFile) { (line, number) throws(FileError) in
            routes.append(try Self.parseRoute(line, path: routesFile, line: number))
        }
        try Self.forEachLine(of: addressesFile) { (line, number) throws(FileError) in
            guard let address = Self.parseAddress(line) else {
                throw FileError(path: addressesFile, line: number, message: "address: '\(line)' is not an \(Self.familyName) address")
            }
            addresses.append(address)
        }
    }

    static var familyName: String { Key.bitWidth == 32 ? "IPv4" : "IPv6" }

    static func parseRoute(_ line: Substring, path: String, line number: Int) throws(FileError) -> Route {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count == 2 else {
            throw FileError(path: path, line: number, message: "expected 'prefix/len nexthop', found \(fields.count) field(s)")
        }
        let network: IPNetwork
        do {
            network = try IPNetwork(parsing: fields[0])
        } catch {
            throw FileError(path: path, line: number, message: "prefix: \(error)")
        }
        guard let prefix = Self.key(of: network.address) else {
            throw FileError(path: path, line: number, message: "prefix: '\(fields[0])' is not an \(familyName) prefix")
        }
        guard let nextHop = UInt32(fields[1]), nextHop <= Poptrie<Key>.maxNextHop else {
            throw FileError(path: path, line: number,
                            message: "nexthop: '\(fields[1])' is not a whole number from 0 to \(Poptrie<Key>.maxNextHop)")
        }
        return Route(prefix: prefix, length: network.prefixLength, nextHop: nextHop)
    }

    static func parseAddress(_ text: Substring) -> Key? {
        IPAddress(text).flatMap(key(of:))
    }

    static func key(of address: IPAddress) -> Key? {
        switch address {
        case .v4(let a): a as? Key
        case .v6(let a): a as? Key
        }
    }

    /// Calls `body` with each non-blank line (without its line ending) and its 1-based number.
    static func forEachLine(of path: String, _ body: (Substring, Int) throws(FileError) -> Void) throws(FileError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw FileError(path: path, line: nil, message: "cannot read: \(error.localizedDescription)")
        }
        let text = String(decoding: data, as: UTF8.self)
        var number = 0
        // Split on bytes: as Characters, "\r\n" is one grapheme and would not split on "\n".
        for bytes in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            let line = Substring(bytes.last == UInt8(ascii: "\r") ? bytes.dropLast() : bytes)
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            try body(line, number)
        }
    }
}
