/// The packets a flow log describes (docs/flow-logs.md, "From records to packets"), produced
/// lazily in time order and handed out in batches as the capture readers and `--generate` do.
///
/// Each record becomes `packets` Ethernet frames whose IP lengths add up to `bytes` (split evenly,
/// the remainder one byte each to the first packets; never below the headers, never above 65,535).
/// The first packet is at the record's `start` second exactly; the others are spread over
/// [start, end + 1 s): packet i (1 ≤ i < n) is at a seeded random point of the i-th of n − 1 equal
/// slices, so a record's packets are in order and the same seed gives the same traffic. Records
/// are merged by a heap of the records whose time has come, so memory is the records that overlap
/// in time, not the packets.
public struct FlowLogTraffic: Sendable {
    public let log: FlowLog
    public let seed: UInt64

    public init(log: FlowLog, seed: UInt64) {
        self.log = log
        self.seed = seed
    }

    public func stream() -> PacketStream { PacketStream(log: log, seed: seed) }

    public struct PacketStream {
        private let log: FlowLog
        private let seed: UInt64
        /// Records whose first packet is due, by their next packet's (time, record index).
        private var heap: [Cursor] = []
        private var nextRecord = 0
        private var frame = ContiguousArray<UInt8>()
        /// A packet built that did not fit the last batch.
        private var pending: (time: Int64, length: Int)?
        /// Packets the whole stream yields.
        public let totalPackets: Int
        /// Packets yielded so far.
        public private(set) var yielded = 0

        init(log: FlowLog, seed: UInt64) {
            self.log = log
            self.seed = seed
            totalPackets = Int(clamping: log.totalPackets)
        }

        /// One record being replayed.
        struct Cursor {
            let record: Int32
            var index: Int64 = 0
            var time: Int64
            var random: SplitMix64

            var key: (Int64, Int32) { (time, record) }
        }

        /// Refills `batch` with the next packets, stamped with their Unix time in nanoseconds
        /// (as a capture's are); false when the stream is exhausted.
        public mutating func nextBatch(into batch: inout PacketBatch) -> Bool {
            batch.reset(firstRecordIndex: yielded - (pending == nil ? 0 : 1))
            while true {
                let packet: (time: Int64, length: Int)
                if let waiting = pending {
                    packet = waiting
                    pending = nil
                } else {
                    guard let next = buildNext() else { break }
                    packet = next
                }
                if batch.isEmpty, packet.length > batch.bytes.count { batch.growBytes(to: packet.length) }
                let added = frame.withUnsafeBufferPointer { frame in
                    batch.withColumns { columns in
                        let length = UInt32(packet.length)
                        return columns.append(frame.baseAddress!, capturedLength: length, wireLength: length, timestamp: packet.time)
                    }
                }
                if !added {
                    pending = packet
                    break
                }
            }
            return !batch.isEmpty
        }

        /// Builds the next packet in time order into `frame`: its time and frame length.
        private mutating func buildNext() -> (time: Int64, length: Int)? {
            // Records start in order: take in every record due before the earliest pending packet.
            while nextRecord < log.flows.count, heap.isEmpty || log.flows[nextRecord].start * 1_000_000_000 <= heap[0].time {
                let base = seed ^ (UInt64(nextRecord) &* 0xD1B5_4A32_D192_ED03)
                push(Cursor(record: Int32(nextRecord), time: log.flows[nextRecord].start * 1_000_000_000, random: SplitMix64(seed: base)))
                nextRecord += 1
            }
            guard !heap.isEmpty else { return nil }
            var cursor = heap[0]
            let flow = log.flows[Int(cursor.record)]
            let time = cursor.time
            let length = Self.build(flow, packet: cursor.index, into: &frame)
            cursor.index += 1
            if cursor.index < flow.packets {
                cursor.time = Self.time(of: cursor.index, flow, &cursor.random)
                heap[0] = cursor
                siftDown(0)
            } else {
                let last = heap.removeLast()
                if !heap.isEmpty {
                    heap[0] = last
                    siftDown(0)
                }
            }
            yielded += 1
            return (time, length)
        }

        /// Unix ns of packet `index` ≥ 1 of `flow`: a random point of its slice of [start, end + 1 s).
        static func time(of index: Int64, _ flow: FlowLog.Flow, _ random: inout SplitMix64) -> Int64 {
            let span = (flow.end - flow.start + 1) * 1_000_000_000
            let slice = max(1, span / (flow.packets - 1))
            return flow.start * 1_000_000_000 + (index - 1) * slice + Int64(random.next() % UInt64(slice))
        }

        private mutating func push(_ cursor: Cursor) {
            heap.append(cursor)
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard heap[child].key < heap[parent].key else { break }
                heap.swapAt(child, parent)
                child = parent
            }
        }

        private mutating func siftDown(_ start: Int) {
            var parent = start
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < heap.count, heap[left].key < heap[smallest].key { smallest = left }
                if right < heap.count, heap[right].key < heap[smallest].key { smallest = right }
                guard smallest != parent else { return }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }

        /// Builds packet `index` of `flow` into `frame`; returns its length.
        static func build(_ flow: FlowLog.Flow, packet index: Int64, into frame: inout ContiguousArray<UInt8>) -> Int {
            let (source, destination) = (flow.source, flow.destination)
            let v4 = source.family == .ipv4
            let transport: TransportSpec
            switch flow.ipProtocol {
            case IPProtocolNumber.tcp:
                transport = .tcp(TCPSegmentSpec(sourcePort: flow.sourcePort, destinationPort: flow.destinationPort,
                                                flags: tcpFlags(flow, packet: index)))
            case IPProtocolNumber.udp:
                transport = .udp(sourcePort: flow.sourcePort, destinationPort: flow.destinationPort)
            case IPProtocolNumber.icmp where v4, IPProtocolNumber.icmpv6 where !v4:
                // Both directions carry the same identifier, as the connection tracker pairs them.
                let low = min(source, destination), high = max(source, destination)
                let identifier = UInt16(truncatingIfNeeded: (low.bits.low &* 31 &+ high.bits.low) >> 3)
                transport = .icmpEcho(isRequest: !flow.isReply, identifier: identifier, sequence: UInt16(truncatingIfNeeded: index))
            default:
                transport = .opaque(protocolNumber: flow.ipProtocol)
            }
            let headers = (v4 ? 20 : 40) + transport.headerLength
            let base = flow.bytes / flow.packets, extra = flow.bytes % flow.packets
            let ipLength = Int(min(65_535, max(Int64(headers), base + (index < extra ? 1 : 0))))
            let spec = PacketSpec(ethernet: EthernetSpec(), source: source, destination: destination, transport: transport, payload: [])
            frame.removeAll(keepingCapacity: true)
            return payload.withUnsafeBytes { PacketBuilder.build(spec, payload: UnsafeRawBufferPointer(rebasing: $0.prefix(ipLength - headers)), into: &frame) }
        }

        /// Payload bytes ('a'), shared by every packet.
        private static let payload = [UInt8](repeating: 0x61, count: 65_535)

        /// The flags of a TCP packet: the first packet of a record that opens its direction is the
        /// SYN (SYN-ACK for a reply); with `tcp-flags` logged, FIN or RST go on the last packet;
        /// every other packet is a bare ACK.
        static func tcpFlags(_ flow: FlowLog.Flow, packet index: Int64) -> TCPFlags {
            if index == 0, flow.opens { return flow.isReply ? [.syn, .ack] : .syn }
            if index == flow.packets - 1, let logged = flow.tcpFlags {
                if logged & TCPFlags.rst.rawValue != 0 { return [.rst, .ack] }
                if logged & TCPFlags.fin.rawValue != 0 { return [.fin, .ack] }
            }
            return .ack
        }
    }
}
