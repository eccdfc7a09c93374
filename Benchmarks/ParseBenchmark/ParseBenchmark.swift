// Parse throughput over a batch of small packets held in one buffer (no I/O), with the malloc
// count per pass, against a floor loop that only touches each packet's first 8 bytes.
//
//     cd Benchmarks && swift package benchmark --target ParseBenchmark
import Benchmark
import VPCEmu

/// 10,000 small packets (64-100 bytes: Ethernet, 0-1 VLAN tags, IPv4 and IPv6, TCP, UDP, ICMP
/// echo) in one buffer, with their offsets, like a capture batch.
struct PacketBatchFixture {
    var bytes = ContiguousArray<UInt8>()
    var offsets = ContiguousArray<Int>()

    init(count: Int) {
        offsets.reserveCapacity(count + 1)
        offsets.append(0)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for index in 0..<count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let isVersion4 = index % 4 != 3
            let source: IPAddress = isVersion4 ? .v4(IPv4Address(UInt32(truncatingIfNeeded: state >> 32)))
                                               : .v6(IPv6Address(high: 0x2001_0DB8 << 32, low: state))
            let destination: IPAddress = isVersion4 ? .v4(IPv4Address(UInt32(truncatingIfNeeded: state)))
                                                    : .v6(IPv6Address(high: 0x2001_0DB8 << 32 | 1, low: ~state))
            let port = UInt16(truncatingIfNeeded: state >> 16)
            let transport: TransportSpec = switch index % 5 {
            case 0, 1: .tcp(TCPSegmentSpec(sourcePort: port, destinationPort: 443, flags: [.ack]))
            case 2, 3: .udp(sourcePort: port, destinationPort: 53)
            default: .icmpEcho(isRequest: true, identifier: port, sequence: UInt16(truncatingIfNeeded: index))
            }
            let spec = PacketSpec(
                ethernet: EthernetSpec(vlanIDs: index % 8 == 0 ? [100] : []), source: source, destination: destination,
                transport: transport, payload: [UInt8](repeating: 0x5A, count: 6 + index % 8))
            PacketBuilder.build(spec, into: &bytes)
            offsets.append(bytes.count)
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    let packets = 10_000
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .instructions],
        warmupIterations: 3, scalingFactor: .one, maxDuration: .seconds(5), maxIterations: 2_000)

    Benchmark("parse \(packets) small packets", configuration: configuration) { benchmark in
        let batch = PacketBatchFixture(count: packets)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var headers = PacketHeaders()
            var checksum = 0
            var malformed = 0
            batch.bytes.withUnsafeBytes { buffer in
                batch.offsets.withUnsafeBufferPointer { offsets in
                    for index in 0..<(offsets.count - 1) {
                        let frame = UnsafeRawBufferPointer(rebasing: buffer[offsets[index]..<offsets[index + 1]])
                        switch PacketParser.parse(frame, linkType: .ethernet, into: &headers) {
                        case .ip: checksum &+= Int(headers.destinationPort) &+ Int(headers.ttl)
                        default: malformed &+= 1
                        }
                    }
                }
            }
            precondition(malformed == 0, "the fixture packets must all parse")
            blackHole(checksum)
        }
    }

    Benchmark("floor: touch \(packets) small packets", configuration: configuration) { benchmark in
        let batch = PacketBatchFixture(count: packets)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var checksum: UInt64 = 0
            batch.bytes.withUnsafeBytes { buffer in
                batch.offsets.withUnsafeBufferPointer { offsets in
                    for index in 0..<(offsets.count - 1) {
                        checksum &+= buffer.loadUnaligned(fromByteOffset: offsets[index], as: UInt64.self)
                    }
                }
            }
            blackHole(checksum)
        }
    }
}
