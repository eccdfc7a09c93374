import Foundation

/// Synthetic traffic between named instances, deterministic for a seed (docs/forwarding.md,
/// "Generating traffic"). A flow is one line of a small spec language:
///
///     ping SRC DST [count=N] [interval=DUR] [start=DUR] [size=BYTES]
///     tcp  SRC DST PORT [bytes=N] [start=DUR] [mbps=RATE]
///     syn  SRC DST PORT [count=N] [start=DUR]
///     udp  SRC DST PORT mbps=RATE [size=BYTES] [duration=DUR] [start=DUR]
///     mix  SRC DST [count=N] [pps=RATE] [start=DUR]
///
/// SRC and DST are instance names (their first address) or literal addresses. `tcp` is a
/// connection: handshake, `bytes` of data in 1,460-byte segments paced at `mbps`, FIN teardown.
/// `syn` is a connection attempt nobody answers: the SYN and its retransmissions after 1, 2, 4 … s.
/// `ping` replies come from the destination only when it is an instance.
/// `mix` is random 5-tuples (TCP/UDP, random ports) with simple-IMIX IP sizes 46/576/1500 in the
/// ratio 7:4:1. Sizes are IP packet lengths.
public struct TrafficGenerator {
    public enum Flow: Hashable, Sendable {
        case ping(source: IPAddress, destination: IPAddress, count: Int, interval: Int64, start: Int64, size: Int, replies: Bool)
        case syn(source: IPAddress, destination: IPAddress, port: UInt16, count: Int, start: Int64)
        case tcp(source: IPAddress, destination: IPAddress, port: UInt16, bytes: Int, start: Int64, mbps: Int64)
        case udp(source: IPAddress, destination: IPAddress, port: UInt16, mbps: Int64, size: Int, duration: Int64, start: Int64)
        case mix(source: IPAddress, destination: IPAddress, count: Int, pps: Int64, start: Int64)
    }

    public struct SpecError: Error, Equatable, CustomStringConvertible {
        public var spec: String
        public var problem: String
        public var description: String { "flow '\(spec)': \(problem)" }
    }

    /// Parses one flow line; instance names are resolved against `topology`.
    public static func parse(_ spec: String, topology: Topology) throws(SpecError) -> Flow {
        let words = spec.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        func fail(_ problem: String) -> SpecError { SpecError(spec: spec, problem: problem) }
        guard let kind = words.first else { throw fail("empty flow") }
        guard ["ping", "tcp", "syn", "udp", "mix"].contains(kind) else { throw fail("unknown kind \(kind): expected ping, tcp, syn, udp or mix") }
        guard words.count >= 3 else { throw fail("expected KIND SRC DST …") }
        func endpoint(_ word: String) throws(SpecError) -> IPAddress {
            if let address = IPAddress(word) { return address }
            guard let instance = topology.instances.first(where: { $0.name == word }), let address = instance.addresses.first else {
                throw fail("\(word) is neither an instance of the topology nor an address")
            }
            return address
        }
        let source = try endpoint(words[1]), destination = try endpoint(words[2])
        guard source.family == destination.family else { throw fail("source and destination are of different address families") }
        var positional: [String] = []
        var named: [String: String] = [:]
        for word in words.dropFirst(3) {
            let parts = word.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { named[parts[0]] = parts[1] } else { positional.append(word) }
        }
        func integer(_ key: String, _ fallback: Int64?, range: ClosedRange<Int64>) throws(SpecError) -> Int64 {
            guard let text = named.removeValue(forKey: key) else {
                guard let fallback else { throw fail("\(key)= is required") }
                return fallback
            }
            guard let value = Int64(text), range.contains(value) else { throw fail("\(key)=\(text): expected an integer in \(range)") }
            return value
        }
        func duration(_ key: String, _ fallback: Int64) throws(SpecError) -> Int64 {
            guard let text = named.removeValue(forKey: key) else { return fallback }
            guard let value = EmulatedDuration(parsing: text), value.nanoseconds >= 0 else { throw fail("\(key)=\(text): expected a duration such as 2s or 10ms") }
            return value.nanoseconds
        }
        func port() throws(SpecError) -> UInt16 {
            guard positional.count == 1, let port = UInt16(positional[0]), port > 0 else { throw fail("expected one destination PORT (1-65535)") }
            positional.removeAll()
            return port
        }
        let minimumSize = source.family == .ipv4 ? 28 : 48
        let flow: Flow
        switch kind {
        case "ping":
            flow = .ping(source: source, destination: destination, count: Int(try integer("count", 4, range: 1...10_000_000)),
                         interval: try duration("interval", 1_000_000_000), start: try duration("start", 0),
                         size: Int(try integer("size", 84, range: Int64(minimumSize)...1500)), replies: IPAddress(words[2]) == nil)
        case "syn":
            let port = try port()
            flow = .syn(source: source, destination: destination, port: port, count: Int(try integer("count", 3, range: 1...16)),
                        start: try duration("start", 0))
        case "tcp":
            let port = try port()
            flow = .tcp(source: source, destination: destination, port: port, bytes: Int(try integer("bytes", 10_000, range: 0...10_000_000_000)),
                        start: try duration("start", 0), mbps: try integer("mbps", 10, range: 1...100_000))
        case "udp":
            let port = try port()
            flow = .udp(source: source, destination: destination, port: port, mbps: try integer("mbps", nil, range: 1...100_000),
                        size: Int(try integer("size", 1000, range: Int64(minimumSize)...1500)),
                        duration: try duration("duration", 1_000_000_000), start: try duration("start", 0))
        case "mix":
            flow = .mix(source: source, destination: destination, count: Int(try integer("count", 1000, range: 1...100_000_000)),
                        pps: try integer("pps", 10_000, range: 1...100_000_000), start: try duration("start", 0))
        default: preconditionFailure("kinds are checked above")
        }
        if !positional.isEmpty { throw fail("unexpected \(positional.joined(separator: " "))") }
        if let key = named.keys.sorted().first { throw fail("unknown option \(key)=") }
        return flow
    }

    public let flows: [Flow]
    public let seed: UInt64

    public init(flows: [Flow], seed: UInt64) {
        self.flows = flows
        self.seed = seed
    }

    /// Every packet, as (time in ns, Ethernet frame), sorted by time (stable for equal times).
    public func packets() -> [(time: Int64, frame: [UInt8])] {
        var random = SplitMix64(seed: seed)
        var out: [(time: Int64, frame: [UInt8])] = []
        func emit(_ time: Int64, _ source: IPAddress, _ destination: IPAddress, _ transport: TransportSpec, ipLength: Int) {
            let header = (source.family == .ipv4 ? 20 : 40) + transport.headerLength
            let spec = PacketSpec(ethernet: EthernetSpec(), source: source, destination: destination, transport: transport,
                                  payload: [UInt8](repeating: 0x61, count: max(0, ipLength - header)))
            out.append((time, PacketBuilder.frame(for: spec)))
        }
        for (position, flow) in flows.enumerated() {
            switch flow {
            case .ping(let source, let destination, let count, let interval, let start, let size, let replies):
                let identifier = UInt16(truncatingIfNeeded: position &+ 1)
                for sequence in 0..<count {
                    let time = start &+ Int64(sequence) &* interval
                    emit(time, source, destination, .icmpEcho(isRequest: true, identifier: identifier, sequence: UInt16(truncatingIfNeeded: sequence)), ipLength: size)
                    guard replies else { continue }
                    emit(time &+ 1_000_000, destination, source, .icmpEcho(isRequest: false, identifier: identifier, sequence: UInt16(truncatingIfNeeded: sequence)), ipLength: size)
                }
            case .tcp(let source, let destination, let port, let bytes, let start, let mbps):
                let client = UInt16(truncatingIfNeeded: 32_768 &+ random.next() % 28_000)
                var time = start
                let rtt: Int64 = 1_000_000
                func segment(_ from: IPAddress, _ to: IPAddress, _ sport: UInt16, _ dport: UInt16, _ flags: TCPFlags, payload: Int) {
                    emit(time, from, to, .tcp(TCPSegmentSpec(sourcePort: sport, destinationPort: dport, flags: flags)),
                         ipLength: (source.family == .ipv4 ? 20 : 40) + 20 + payload)
                }
                segment(source, destination, client, port, .syn, payload: 0); time &+= rtt
                segment(destination, source, port, client, [.syn, .ack], payload: 0); time &+= rtt
                segment(source, destination, client, port, .ack, payload: 0)
                var left = bytes
                let gap = max(1, Int64(1_500 * 8) * 1_000 / mbps)  // ns per full segment at the rate
                while left > 0 {
                    let chunk = min(1_460, left)
                    left -= chunk
                    time &+= gap
                    segment(source, destination, client, port, [.ack, .psh], payload: chunk)
                    segment(destination, source, port, client, .ack, payload: 0)
                }
                time &+= rtt
                segment(source, destination, client, port, [.fin, .ack], payload: 0); time &+= rtt
                segment(destination, source, port, client, [.fin, .ack], payload: 0); time &+= rtt
                segment(source, destination, client, port, .ack, payload: 0)
            case .syn(let source, let destination, let port, let count, let start):
                let client = UInt16(truncatingIfNeeded: 32_768 &+ random.next() % 28_000)
                for attempt in 0..<count {
                    // RFC 6298 backoff: the retransmission timeout starts at 1 s and doubles.
                    let time = start &+ ((Int64(1) << attempt) &- 1) &* 1_000_000_000  // 0, 1, 3, 7 … s
                    emit(time, source, destination, .tcp(TCPSegmentSpec(sourcePort: client, destinationPort: port, flags: .syn)),
                         ipLength: (source.family == .ipv4 ? 20 : 40) + 20)
                }
            case .udp(let source, let destination, let port, let mbps, let size, let duration, let start):
                let gap = max(1, Int64(size * 8) * 1_000 / mbps)
                var time = start
                let sport = UInt16(truncatingIfNeeded: 32_768 &+ random.next() % 28_000)
                while time < start &+ duration {
                    emit(time, source, destination, .udp(sourcePort: sport, destinationPort: port), ipLength: size)
                    time &+= gap
                }
            case .mix(let source, let destination, let count, let pps, let start):
                let gap = max(1, 1_000_000_000 / pps)
                for index in 0..<count {
                    let pick = random.next() % 12
                    let size = pick < 7 ? 46 : (pick < 11 ? 576 : 1500)
                    let sport = UInt16(truncatingIfNeeded: 1_024 &+ random.next() % 64_000)
                    let dport = UInt16(truncatingIfNeeded: 1 &+ random.next() % 65_000)
                    let transport: TransportSpec = random.next() % 2 == 0
                        ? .udp(sourcePort: sport, destinationPort: dport)
                        : .tcp(TCPSegmentSpec(sourcePort: sport, destinationPort: dport, flags: .ack))
                    emit(start &+ Int64(index) &* gap, source, destination, transport, ipLength: max(size, (source.family == .ipv4 ? 40 : 60)))
                }
            }
        }
        return out.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
    }

    /// Writes `packets()` to a pcap file (atomically), starting at capture time `epoch` ns.
    public func write(to path: String, epoch: Int64 = 1_700_000_000_000_000_000) throws(CaptureError) -> Int {
        let writer = try PcapWriter(path: path, linkType: .ethernet)
        let packets = packets()
        for packet in packets { packet.frame.withUnsafeBytes { writer.write($0, timestamp: epoch &+ packet.time) } }
        try writer.finish()
        return packets.count
    }
}
