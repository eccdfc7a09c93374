import Foundation
import Testing
@testable import VPCEmu

@Suite struct FlowLogTrafficTests {
    /// Every packet of a stream, batch by batch (small batches, so that packets wait for the next one).
    private func packets(_ traffic: FlowLogTraffic, batchSize: Int = 7) -> [(time: Int64, headers: PacketHeaders)] {
        var stream = traffic.stream()
        var batch = PacketBatch(packetCapacity: batchSize)
        var out: [(time: Int64, headers: PacketHeaders)] = []
        while stream.nextBatch(into: &batch) {
            #expect(batch.firstRecordIndex == out.count)
            batch.withUnsafeBytes { bytes in
                for index in 0 ..< batch.count {
                    var headers = PacketHeaders()
                    let outcome = PacketParser.parse(batch.frame(index, in: bytes), linkType: .ethernet, options: .verifyTransportChecksums, into: &headers)
                    #expect(outcome == .ip)
                    out.append((batch.timestamps[index], headers))
                }
            }
        }
        #expect(out.count == stream.totalPackets && stream.yielded == out.count)
        return out
    }

    @Test func eachRecordBecomesItsPacketsAndBytesWithinItsWindow() throws {
        let log = try FlowLog.read([flowLogFixture("aws-default.log")])
        let all = packets(FlowLogTraffic(log: log, seed: 1))
        #expect(all.count == 20 + 20 + 4 + 4 + 54)
        #expect(zip(all, all.dropFirst()).allSatisfy { $0.time <= $1.time })
        for flow in log.flows {
            let own = all.filter { $0.headers.source == flow.source && $0.headers.destination == flow.destination && $0.headers.ipProtocol == flow.ipProtocol }
            #expect(own.count == Int(flow.packets))
            #expect(own.reduce(0) { $0 + Int64($1.headers.ipTotalLength) } == flow.bytes, "\(log.location(of: flow))")
            #expect(own.first?.time == flow.start * 1_000_000_000)
            #expect(own.allSatisfy { $0.time >= flow.start * 1_000_000_000 && $0.time < (flow.end + 1) * 1_000_000_000 })
            if flow.hasPorts { #expect(own.allSatisfy { $0.headers.sourcePort == flow.sourcePort && $0.headers.destinationPort == flow.destinationPort }) }
        }
        // The ping: echo requests from the home computer, echo replies back, with one identifier.
        let icmp = all.filter { $0.headers.ipProtocol == 1 }
        #expect(icmp.filter { $0.headers.icmpType == 8 }.allSatisfy { $0.headers.source == address("203.0.113.12") })
        #expect(icmp.filter { $0.headers.icmpType == 0 }.count == 4 && Set(icmp.map(\.headers.icmpIdentifier)).count == 1)
    }

    @Test func theSameSeedGivesTheSameTrafficAndAnotherSeedOtherTimes() throws {
        let log = try FlowLog.read([flowLogFixture("aws-tcp-flags.log")])
        let one = packets(FlowLogTraffic(log: log, seed: 5)), again = packets(FlowLogTraffic(log: log, seed: 5), batchSize: 1000)
        let other = packets(FlowLogTraffic(log: log, seed: 6))
        #expect(one.map(\.time) == again.map(\.time) && one.map(\.headers) == again.map(\.headers))
        #expect(one.map(\.time) != other.map(\.time))
        #expect(one.map(\.headers.ipTotalLength).sorted() == other.map(\.headers.ipTotalLength).sorted())
    }

    /// TCP: the opener's first packet of a direction is the SYN, the reply's the SYN-ACK (before
    /// any packet of the reply at the same time); logged FIN goes on the last packet; the rest are ACKs.
    @Test func tcpPacketsCarryTheFlagsTheRecordsImply() throws {
        let log = try FlowLog.read([flowLogFixture("aws-tcp-flags.log")])
        let all = packets(FlowLogTraffic(log: log, seed: 1))
        for flow in log.flows {
            let own = all.filter { $0.headers.sourcePort == flow.sourcePort && $0.headers.destinationPort == flow.destinationPort
                && $0.time >= flow.start * 1_000_000_000 && $0.time < (flow.end + 1) * 1_000_000_000 }
            let flags = own.map(\.headers.tcpFlags)
            let logged = flow.tcpFlags ?? 0
            #expect(flags.first == (logged & 2 != 0 ? (flow.isReply ? [.syn, .ack] : .syn) : (logged & 1 != 0 && own.count == 1 ? [.fin, .ack] : .ack)),
                    "\(log.location(of: flow))")
            #expect(flags.last == (logged & 1 != 0 ? [.fin, .ack] : (own.count == 1 ? flags.first : .ack)), "\(log.location(of: flow))")
            #expect(flags.dropFirst().dropLast().allSatisfy { $0 == .ack })
        }
        // Each SYN is out before its SYN-ACK.
        for port: UInt16 in [43416, 43418, 43638] {
            let syn = all.firstIndex { $0.headers.sourcePort == port && $0.headers.tcpFlags == .syn }
            let synAck = all.firstIndex { $0.headers.destinationPort == port && $0.headers.tcpFlags == [.syn, .ack] }
            #expect(syn != nil && synAck != nil && syn! < synAck!)
        }
    }

    /// The heap merge against the obvious reference: every packet of every record listed, sorted
    /// by (time, record); the same seeded random records, packets and sizes.
    @Test(arguments: [1 as UInt64, 42, 9_001])
    func theMergeYieldsWhatSortingEveryPacketGives(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let lines = (0 ..< 60).map { index in
            let start = 1_000 + Int(random.next() % 30), end = start + Int(random.next() % 20)
            let packets = 1 + Int(random.next() % 40), bytes = packets * (40 + Int(random.next() % 1_400))
            return "2 1 eni-1 10.0.0.\(1 + index % 9) 10.0.1.\(1 + index % 7) \(30_000 + index) \(1 + index % 3) 6 \(packets) \(bytes) \(start) \(end) ACCEPT OK"
        }
        let log = try FlowLog.parse(lines.joined(separator: "\n"))
        let traffic = FlowLogTraffic(log: log, seed: seed)
        var reference: [(time: Int64, record: Int, length: Int)] = []
        var frame = ContiguousArray<UInt8>()
        for (record, flow) in log.flows.enumerated() {
            var generator = SplitMix64(seed: seed ^ (UInt64(record) &* 0xD1B5_4A32_D192_ED03))
            for packet in 0 ..< flow.packets {
                let time = packet == 0 ? flow.start * 1_000_000_000 : FlowLogTraffic.PacketStream.time(of: packet, flow, &generator)
                reference.append((time, record, FlowLogTraffic.PacketStream.build(flow, packet: packet, into: &frame)))
            }
        }
        reference.sort { ($0.time, $0.record) < ($1.time, $1.record) }
        let streamed = packets(traffic, batchSize: 13)
        #expect(streamed.map(\.time) == reference.map(\.time))
        #expect(streamed.map { Int($0.headers.ipTotalLength) + 14 } == reference.map(\.length))
    }

    /// Through the pipeline: the replies are let in by the connection the request opened, not by
    /// a rule (the client's group has no ingress rule here), as the clouds' stateful groups do;
    /// the replies alone are denied.
    @Test func theStatefulGroupsLetTheRepliesThroughAsInTheCloud() throws {
        var topology = try loadCapture("inter-region-bandwidth.yaml").topology
        let client = try #require(topology.securityGroups.firstIndex { $0.name == "sg-client" })
        topology.securityGroups[client].rules.removeAll { $0.direction == .ingress }
        func replay(_ log: FlowLog) throws -> (delivered: [String: Int], dropped: [String: Int]) {
            var pipeline = try ForwardingPipeline(topology: topology)
            var stream = FlowLogTraffic(log: log, seed: 1).stream()
            var batch = PacketBatch(packetCapacity: 8)
            var verdicts = ContiguousArray<ForwardingPipeline.Verdict>()
            var delivered: [String: Int] = [:], dropped: [String: Int] = [:]
            while stream.nextBatch(into: &batch) {
                try pipeline.forward(batch, linkType: batch.linkType, into: &verdicts)
                for verdict in verdicts {
                    switch verdict.outcome {
                    case .delivered(let instance, _): delivered[topology.instances[Int(instance)].name, default: 0] += 1
                    case .dropped(let reason): dropped[reason.code, default: 0] += 1
                    case .left: Issue.record("no route of this topology leaves the model")
                    }
                }
            }
            return (delivered, dropped)
        }
        let whole = try replay(FlowLog.read([flowLogFixture("alibaba.jsonl")]))
        // 10 requests to web-sv:80 and its 8 replies; 3 SSH SYNs denied by sg-web's no-ssh rule.
        #expect(whole.delivered == ["web-sv": 10, "client-hz": 8])
        #expect(whole.dropped == ["security-group-denied": 3])
        let replies = try flowLogText("alibaba.jsonl").split(separator: "\n").filter { $0.contains("\"tcp-flags\": 18") }
        let alone = try replay(FlowLog.parse(replies.joined(separator: "\n")))
        #expect(alone.delivered.isEmpty && alone.dropped == ["security-group-denied": 8])
    }
}
