import Foundation
import Testing
@testable import VPCEmu

@Suite struct TrafficGeneratorTests {
    @Test func flowsProduceTheDocumentedPacketsDeterministically() throws {
        let topology = try loadCapture("inter-region-bandwidth.yaml").topology
        let specs = ["ping client-hz web-sv count=3", "ping client-hz 10.99.0.1 count=2", "syn client-hz web-sv 22 count=3",
                     "tcp client-hz web-sv 80 bytes=3000", "udp web-sv client-hz 5000 mbps=8 size=1000 duration=10ms", "mix client-hz web-sv count=120"]
        let flows = try specs.map { try TrafficGenerator.parse($0, topology: topology) }
        let packets = Array(TrafficGenerator(flows: flows, seed: 9).stream())
        // 3 echoes + 3 replies, 2 unanswered echoes, 3 SYNs, 3 + 2 × 3 + 3 TCP segments, 10 UDP (1 ms apart), 120 mixed.
        #expect(packets.count == 6 + 2 + 3 + 12 + 10 + 120)
        let times = packets.map { $0.time }
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(packets.map { $0.frame } == Array(TrafficGenerator(flows: flows, seed: 9).stream()).map { $0.frame })
        #expect(packets.map { $0.frame } != Array(TrafficGenerator(flows: flows, seed: 10).stream()).map { $0.frame })
        var headers = PacketHeaders()
        var sizes: [UInt32: Int] = [:]
        for packet in packets {
            let outcome = packet.frame.withUnsafeBytes { PacketParser.parse($0, linkType: .ethernet, options: .verifyTransportChecksums, into: &headers) }
            #expect(outcome == .ip)
            if headers.ipProtocol == IPProtocolNumber.udp && headers.destinationPort == 5000 { #expect(headers.ipTotalLength == 1000) }
            sizes[headers.ipTotalLength, default: 0] += 1
        }
        #expect(sizes[46] ?? 0 > 30 && sizes[1500] ?? 0 > 0)
    }

    /// Flows whose packets interleave (replies 1 ms after requests sent every 300 µs, equal start
    /// times, several seeded flows): the stream yields what the eager reference does, in its order,
    /// and its batches hold the same packets stamped from the epoch.
    @Test(arguments: [1 as UInt64, 9, 12_345])
    func theLazyStreamYieldsExactlyTheEagerReference(seed: UInt64) throws {
        let topology = try loadCapture("inter-region-bandwidth.yaml").topology
        let specs = ["ping client-hz web-sv count=20 interval=300us", "mix client-hz web-sv count=300 pps=5000",
                     "tcp client-hz web-sv 80 bytes=30000 mbps=40", "syn client-hz web-sv 22 count=4",
                     "udp web-sv client-hz 5000 mbps=30 size=700 duration=30ms", "mix web-sv client-hz count=50 pps=1000",
                     "ping client-hz 10.99.0.1 count=3 interval=1ms", "tcp web-sv client-hz 443 bytes=0"]
        let generator = TrafficGenerator(flows: try specs.map { try TrafficGenerator.parse($0, topology: topology) }, seed: seed)
        let reference = EagerTrafficGenerator.packets(generator)
        var stream = generator.stream()
        #expect(stream.totalPackets == reference.count)
        let lazy = Array(generator.stream())
        #expect(lazy.map { $0.time } == reference.map { $0.time })
        #expect(lazy.map { $0.frame } == reference.map { $0.frame })

        var batch = PacketBatch(packetCapacity: 64)
        var batched: [(time: Int64, frame: [UInt8])] = []
        while stream.nextBatch(into: &batch, epoch: 1_000) {
            #expect(batch.firstRecordIndex == batched.count)
            batch.withUnsafeBytes { bytes in
                for index in 0..<batch.count {
                    batched.append((batch.timestamps[index] - 1_000, Array(batch.frame(index, in: bytes))))
                    #expect(batch.wireLengths[index] == batch.capturedLengths[index])
                }
            }
        }
        #expect(batched.map { $0.time } == reference.map { $0.time })
        #expect(batched.map { $0.frame } == reference.map { $0.frame })
        #expect(stream.yielded == reference.count)
    }

    @Test func badSpecsNameTheProblem() throws {
        let topology = try loadCapture("inter-region-bandwidth.yaml").topology
        for (spec, problem) in [("ping client-hz nobody", "nobody is neither an instance of the topology nor an address"),
                                ("udp client-hz web-sv 53", "mbps= is required"),
                                ("tcp client-hz web-sv", "expected one destination PORT (1-65535)"),
                                ("ping client-hz web-sv count=0", "count=0: expected an integer in 1...10000000"),
                                ("ping client-hz web-sv colour=red", "unknown option colour="),
                                ("ping client-hz ::1", "source and destination are of different address families"),
                                ("flood a b", "unknown kind flood: expected ping, tcp, syn, udp or mix")] {
            #expect(throws: TrafficGenerator.SpecError(spec: spec, problem: problem)) { try TrafficGenerator.parse(spec, topology: topology) }
        }
    }
}

/// The generator as it was first written: every flow generated in turn into one array, then sorted by
/// time (stable). The lazy `PacketStream` must yield exactly these packets in this order.
enum EagerTrafficGenerator {
    static func packets(_ generator: TrafficGenerator) -> [(time: Int64, frame: [UInt8])] {
        let seed = generator.seed, flows = generator.flows
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
                    // The packet's content is the generator's own; the reference checks order and draws.
                    let packet = TrafficGenerator.FlowCursor.mixPacket(&random, family: source.family)
                    emit(start &+ Int64(index) &* gap, source, destination, packet.transport, ipLength: packet.ipLength)
                }
            }
        }
        return out.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
    }

}
