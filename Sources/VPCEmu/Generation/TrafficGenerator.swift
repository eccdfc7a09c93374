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
                let names = topology.instances.map(\.name)
                throw fail("\(word) is neither an instance of the topology nor an address"
                    + (NameSuggestion.closest(to: word, in: names).map { ": did you mean \($0)?" } ?? ""))
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

    /// Capture time of emulated time 0 in the files and batches the generator writes (2023-11-14).
    public static let defaultEpoch: Int64 = 1_700_000_000_000_000_000

    /// Every packet, produced lazily in time order: memory does not grow with the traffic.
    public func stream() -> PacketStream { PacketStream(flows: flows, seed: seed) }

    /// Writes the stream to a pcap file (atomically), starting at capture time `epoch` ns; returns
    /// the packets written. Every 4,096 packets it asks `shouldStop` (a signal) and stops on a write
    /// error (ENOSPC): then the temporary file is removed and nothing appears at `path` (nil when stopped).
    public func write(to path: String, epoch: Int64 = defaultEpoch, shouldStop: () -> Bool = { false }) throws(CaptureError) -> Int? {
        let writer = try PcapWriter(path: path, linkType: .ethernet)
        var stream = stream()
        var count = 0
        while let packet = stream.next() {
            packet.frame.withUnsafeBytes { writer.write($0, timestamp: epoch &+ packet.time) }
            count += 1
            if count & 4_095 == 0 {
                try writer.checkWritten()
                if shouldStop() { return nil }
            }
        }
        try writer.finish()
        return count
    }

    /// The size of the pcap file `write` produces, at most: counted from the flows without
    /// generating them (each packet at its largest frame, 16 bytes of record header, the
    /// 24-byte file header), so that an output too large for the disk is refused before it is started.
    public var fileSizeBound: Int64 {
        stream().frameBytesBound.addingReportingOverflow(24).partialValue
    }
}

extension TrafficGenerator {
    public typealias Packet = (time: Int64, frame: [UInt8])

    /// The generator's packets in time order; equal times keep the flows' order, then each flow's
    /// own order (a ping's request before its reply). Each flow is a few cursors whose packets are
    /// already in time order, merged by picking the earliest head, so only one packet per cursor is
    /// ever pending. The seed's draws are handed out as if the flows were generated one after the
    /// other, so the traffic does not depend on how it is consumed.
    public struct PacketStream: IteratorProtocol, Sequence {
        private var cursors: [FlowCursor] = []
        private var pending: Packet?
        /// Packets the whole stream yields.
        public let totalPackets: Int
        /// Packets yielded so far.
        public private(set) var yielded = 0

        init(flows: [Flow], seed: UInt64) {
            var random = SplitMix64(seed: seed)
            func port() -> UInt16 { UInt16(truncatingIfNeeded: 32_768 &+ random.next() % 28_000) }
            for (position, flow) in flows.enumerated() {
                switch flow {
                case .ping(_, _, let count, _, _, _, let replies):
                    cursors.append(FlowCursor(flow: flow, position: position, count: count, yieldsReplies: false))
                    if replies { cursors.append(FlowCursor(flow: flow, position: position, count: count, yieldsReplies: true)) }
                case .tcp(_, _, _, let bytes, _, _):
                    let client = port()
                    cursors.append(FlowCursor(flow: flow, position: position, count: 6 + 2 * FlowCursor.segments(bytes), port: client))
                case .syn(_, _, _, let count, _):
                    let client = port()
                    cursors.append(FlowCursor(flow: flow, position: position, count: count, port: client))
                case .udp(_, _, _, let mbps, let size, let duration, _):
                    let sport = port()
                    let gap = FlowCursor.gap(bits: Int64(size * 8), mbps: mbps)
                    cursors.append(FlowCursor(flow: flow, position: position, count: Int(Swift.max(0, (duration + gap - 1) / gap)), port: sport))
                case .mix(_, _, let count, _, _):
                    cursors.append(FlowCursor(flow: flow, position: position, count: count, random: random))
                    random.skip(4 * UInt64(count))  // pick, source port, destination port, protocol per packet
                }
            }
            totalPackets = cursors.reduce(0) { $0 + $1.count }
        }

        /// Every packet's record in a pcap file, at most (saturating at `Int64.max`).
        var frameBytesBound: Int64 {
            cursors.reduce(Int64(0)) { total, cursor in
                let (sum, overflow) = total.addingReportingOverflow(cursor.recordBytesBound)
                return overflow ? .max : sum
            }
        }

        public mutating func next() -> Packet? {
            if let packet = pending {
                pending = nil
                return packet
            }
            var best = -1
            var bestKey = (Int64.max, Int.max, Int.max)
            for index in cursors.indices where cursors[index].next < cursors[index].count {
                let key = cursors[index].headKey
                if best < 0 || key < bestKey { (best, bestKey) = (index, key) }
            }
            guard best >= 0 else { return nil }
            yielded += 1
            return cursors[best].take()
        }

        /// Refills `batch` with the next packets stamped `epoch` + their time, as `PcapReader` does
        /// from a file the generator wrote; false when the stream is exhausted.
        public mutating func nextBatch(into batch: inout PacketBatch, epoch: Int64 = TrafficGenerator.defaultEpoch) -> Bool {
            batch.reset(firstRecordIndex: yielded - (pending == nil ? 0 : 1))
            while let packet = next() {
                if batch.isEmpty, packet.frame.count > batch.bytes.count { batch.growBytes(to: packet.frame.count) }
                let added = packet.frame.withUnsafeBufferPointer { frame in
                    batch.withColumns { columns in
                        guard let base = frame.baseAddress else { preconditionFailure("a built frame is never empty") }
                        let length = UInt32(frame.count)
                        return columns.append(base, capturedLength: length, wireLength: length, timestamp: epoch &+ packet.time)
                    }
                }
                if !added {
                    pending = packet
                    break
                }
            }
            return !batch.isEmpty
        }
    }

    /// The packets of one flow that are in time order: a whole flow, or a ping's requests or replies.
    struct FlowCursor {
        let flow: Flow
        /// The flow's position in the generator: ties in time go to the earlier flow.
        let position: Int
        let count: Int
        let yieldsReplies: Bool
        /// The source port drawn from the seed (tcp, syn, udp).
        let port: UInt16
        /// The seed's draws from this flow's first one on (mix).
        var random: SplitMix64
        private(set) var next = 0

        init(flow: Flow, position: Int, count: Int, yieldsReplies: Bool = false, port: UInt16 = 0, random: SplitMix64 = SplitMix64(seed: 0)) {
            self.flow = flow
            self.position = position
            self.count = count
            self.yieldsReplies = yieldsReplies
            self.port = port
            self.random = random
        }

        /// This cursor's packets as pcap records (16-byte header, 14-byte Ethernet header, the IP
        /// packet unpadded, as `frame` builds it), at most: the data segments of a `tcp` flow carry its bytes, its other
        /// packets are bare headers; a `mix` packet is at most 1,500 IP bytes.
        var recordBytesBound: Int64 {
            func records(_ count: Int, ipLength: Int) -> Int64 {
                let (bytes, overflow) = Int64(count).multipliedReportingOverflow(by: Int64(16 + 14 + ipLength))
                return overflow ? .max : bytes
            }
            switch flow {
            case .ping(let source, _, _, _, _, let size, _): return records(count, ipLength: max(size, source.headerBytes + 8))
            case .tcp(let source, _, _, let bytes, _, _):
                let (total, overflow) = records(count, ipLength: source.headerBytes + 20).addingReportingOverflow(Int64(bytes))
                return overflow ? .max : total
            case .syn(let source, _, _, _, _): return records(count, ipLength: source.headerBytes + 20)
            case .udp(let source, _, _, _, let size, _, _): return records(count, ipLength: max(size, source.headerBytes + 8))
            case .mix: return records(count, ipLength: 1_500)
            }
        }

        static let roundTrip: Int64 = 1_000_000
        static func segments(_ bytes: Int) -> Int { (bytes + 1_459) / 1_460 }
        /// ns between packets of `bits` at `mbps`.
        static func gap(bits: Int64, mbps: Int64) -> Int64 { max(1, bits * 1_000 / mbps) }

        /// (time, flow position, order of the packet within its flow) of the next packet.
        var headKey: (Int64, Int, Int) {
            let order: Int
            if case .ping(_, _, _, _, _, _, let replies) = flow, replies { order = 2 * next + (yieldsReplies ? 1 : 0) } else { order = next }
            return (time(of: next), position, order)
        }

        func time(of index: Int) -> Int64 {
            switch flow {
            case .ping(_, _, _, let interval, let start, _, _):
                return start &+ Int64(index) &* interval &+ (yieldsReplies ? Self.roundTrip : 0)
            case .tcp(_, _, _, let bytes, let start, let mbps):
                // Handshake one round trip apart, data segments (each with its ACK) a gap apart, then
                // the FIN exchange one round trip apart.
                let segments = Self.segments(bytes)
                let dataStart = start &+ 2 &* Self.roundTrip
                if index < 3 { return start &+ Int64(index) &* Self.roundTrip }
                if index < 3 + 2 * segments { return dataStart &+ Int64((index - 3) / 2 + 1) &* Self.gap(bits: 1_500 * 8, mbps: mbps) }
                return dataStart &+ Int64(segments) &* Self.gap(bits: 1_500 * 8, mbps: mbps) &+ Int64(index - 2 - 2 * segments) &* Self.roundTrip
            case .syn(_, _, _, _, let start):
                // RFC 6298 backoff: the retransmission timeout starts at 1 s and doubles.
                return start &+ ((Int64(1) << index) &- 1) &* 1_000_000_000  // 0, 1, 3, 7 … s
            case .udp(_, _, _, let mbps, let size, _, let start):
                return start &+ Int64(index) &* Self.gap(bits: Int64(size * 8), mbps: mbps)
            case .mix(_, _, _, let pps, let start):
                return start &+ Int64(index) &* max(1, 1_000_000_000 / pps)
            }
        }

        mutating func take() -> Packet {
            let packet = (time(of: next), frame(of: next))
            next += 1
            return packet
        }

        private mutating func frame(of index: Int) -> [UInt8] {
            switch flow {
            case .ping(let source, let destination, _, _, _, let size, _):
                let echo = TransportSpec.icmpEcho(isRequest: !yieldsReplies, identifier: UInt16(truncatingIfNeeded: position &+ 1),
                                                  sequence: UInt16(truncatingIfNeeded: index))
                return yieldsReplies ? Self.frame(destination, source, echo, ipLength: size) : Self.frame(source, destination, echo, ipLength: size)
            case .tcp(let source, let destination, let server, let bytes, _, _):
                let segments = Self.segments(bytes)
                let client = port
                func segment(fromClient: Bool, _ flags: TCPFlags, payload: Int = 0) -> [UInt8] {
                    let spec = TCPSegmentSpec(sourcePort: fromClient ? client : server, destinationPort: fromClient ? server : client, flags: flags)
                    return Self.frame(fromClient ? source : destination, fromClient ? destination : source, .tcp(spec),
                                      ipLength: (source.family == .ipv4 ? 20 : 40) + 20 + payload)
                }
                switch index {
                case 0: return segment(fromClient: true, .syn)
                case 1: return segment(fromClient: false, [.syn, .ack])
                case 2: return segment(fromClient: true, .ack)
                case 3 ..< 3 + 2 * segments where (index - 3) % 2 == 0:
                    return segment(fromClient: true, [.ack, .psh], payload: min(1_460, bytes - (index - 3) / 2 * 1_460))
                case 3 ..< 3 + 2 * segments: return segment(fromClient: false, .ack)
                case 3 + 2 * segments: return segment(fromClient: true, [.fin, .ack])
                case 4 + 2 * segments: return segment(fromClient: false, [.fin, .ack])
                default: return segment(fromClient: true, .ack)
                }
            case .syn(let source, let destination, let server, _, _):
                return Self.frame(source, destination, .tcp(TCPSegmentSpec(sourcePort: port, destinationPort: server, flags: .syn)),
                                  ipLength: (source.family == .ipv4 ? 20 : 40) + 20)
            case .udp(let source, let destination, let server, _, let size, _, _):
                return Self.frame(source, destination, .udp(sourcePort: port, destinationPort: server), ipLength: size)
            case .mix(let source, let destination, _, _, _):
                let packet = Self.mixPacket(&random, family: source.family)
                return Self.frame(source, destination, packet.transport, ipLength: packet.ipLength)
            }
        }

        /// One packet of a `mix` flow from the seed's next four draws: a simple-IMIX size (7:4:1),
        /// random ports, UDP or TCP.
        static func mixPacket(_ random: inout SplitMix64, family: AddressFamily) -> (ipLength: Int, transport: TransportSpec) {
            let pick = random.next() % 12
            let size = pick < 7 ? 46 : (pick < 11 ? 576 : 1500)
            let sport = UInt16(truncatingIfNeeded: 1_024 &+ random.next() % 64_000)
            let dport = UInt16(truncatingIfNeeded: 1 &+ random.next() % 65_000)
            let transport: TransportSpec = random.next() % 2 == 0
                ? .udp(sourcePort: sport, destinationPort: dport)
                : .tcp(TCPSegmentSpec(sourcePort: sport, destinationPort: dport, flags: .ack))
            return (max(size, family == .ipv4 ? 40 : 60), transport)
        }

        /// An Ethernet frame whose IP packet is `ipLength` bytes (payload bytes 'a').
        static func frame(_ source: IPAddress, _ destination: IPAddress, _ transport: TransportSpec, ipLength: Int) -> [UInt8] {
            let header = (source.family == .ipv4 ? 20 : 40) + transport.headerLength
            return PacketBuilder.frame(for: PacketSpec(ethernet: EthernetSpec(), source: source, destination: destination, transport: transport,
                                                       payload: [UInt8](repeating: 0x61, count: max(0, ipLength - header))))
        }
    }
}

extension IPAddress {
    /// The IP header length of a packet from this address, without options or extension headers.
    fileprivate var headerBytes: Int { family == .ipv4 ? 20 : 40 }
}
