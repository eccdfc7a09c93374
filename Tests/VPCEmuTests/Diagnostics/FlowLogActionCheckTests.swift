import Foundation
import Testing
@testable import VPCEmu

@Suite struct FlowLogActionCheckTests {
    private func examples(_ edit: (inout String) -> Void = { _ in }) throws -> Topology {
        var yaml = try String(contentsOfFile: flowLogFixture("aws-examples.yaml"), encoding: .utf8)
        edit(&yaml)
        return try TopologyLoader.load(yaml: yaml, file: "aws-examples.yaml").topology
    }

    @Test func theDocumentationsExamplesAgreeWithAModelOfTheirNetwork() throws {
        let log = try FlowLog.read([flowLogFixture("aws-default.log")])
        let check = FlowLogActionCheck(log: log, topology: try examples())
        // SSH accepted, RDP rejected; the ping's home computer and the IPv6 hosts are outside the model.
        #expect(check.agreeing == 2 && check.disagreements.isEmpty)
        #expect(check.unchecked.map { $0.records } == [3])
        #expect(check.text == """
            Action check: 2 records checked, 2 agree, 0 disagree; 3 not checked
            Not checked: 3 records: an endpoint is not an instance of the topology (outside the model)

            """)
    }

    @Test func aConfigurationThatBlocksLoggedTrafficIsReportedWithTheBlockingRule() throws {
        let log = try FlowLog.read([flowLogFixture("aws-default.log")])
        // Without the SSH rule the model refuses what the log accepted; with RDP allowed, the
        // log's reject is one the model cannot explain.
        let topology = try examples { $0 = $0.replacingOccurrences(of: "protocol: tcp, ports: 22,", with: "protocol: tcp, ports: 3389,") }
        let check = FlowLogActionCheck(log: log, topology: topology)
        #expect(check.agreeing == 0 && check.disagreeing == 2)
        let blocked = try #require(check.disagreements.first)
        #expect((blocked.client, blocked.server, blocked.ipProtocol, blocked.port, blocked.logged) == ("bastion", "web", .tcp, 22, .accept))
        #expect((blocked.records, blocked.packets, blocked.bytes, blocked.isReply) == (1, 20, 4249, false))
        #expect(blocked.block?.stage == .securityGroupIngress && blocked.block?.code == "security-group-denied")
        let unexplained = check.disagreements[1]
        #expect((unexplained.client, unexplained.server, unexplained.port, unexplained.logged, unexplained.block) == ("desk", "win", 3389, .reject, nil))
        #expect(check.text.contains("Logged ACCEPT, the model blocks it (this configuration is not what produced this traffic):\n  bastion -> web tcp/22: 1 record, 20 packets, 4249 bytes (first: "))
        #expect(check.text.contains("Logged REJECT, the model delivers it (a reject the model cannot explain):\n  desk -> win tcp/3389: 1 record, 20 packets, 4249 bytes"))
    }

    /// Records at their emulated time: the rule removed by the timeline 10 minutes in refuses the
    /// later record only; several records of one connection make one group.
    @Test func eachRecordIsJudgedAtItsOwnTime() throws {
        let topology = try examples {
            $0 += "timeline:\n  - {at: 10m, action: remove_security_group_rule, security_group: sg-ssh, id: ssh}\n"
        }
        let lines = [0, 300, 700, 900].map { offset in
            "2 1 eni-1 172.31.16.139 172.31.16.21 20641 22 6 20 4249 \(1_418_530_010 + offset) \(1_418_530_070 + offset) ACCEPT OK"
        }
        let check = FlowLogActionCheck(log: try FlowLog.parse(lines.joined(separator: "\n")), topology: topology)
        #expect(check.agreeing == 2 && check.disagreements.map(\.records) == [2] && check.disagreements[0].packets == 40)
        #expect(check.disagreements[0].first == "flows.log:3")
        // --start shifts the log on the timeline: starting at 5 minutes, the third record is past the change too.
        let shifted = FlowLogActionCheck(log: try FlowLog.parse(lines.joined(separator: "\n")), topology: topology, start: 310_000_000_000)
        #expect(shifted.agreeing == 1 && shifted.disagreeing == 3)
    }

    /// `replay --map`: the records' addresses are judged as the packets are rewritten.
    @Test func theAddressMapOfTheReplayAppliesToTheCheck() throws {
        let log = try FlowLog.parse("2 1 eni-1 10.31.16.139 10.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK")
        let map = try AddressMap([AddressMap.Rule(parsing: "10.31.0.0/16=172.31.0.0/16")])
        #expect(FlowLogActionCheck(log: log, topology: try examples(), addressMap: map).agreeing == 1)
        #expect(FlowLogActionCheck(log: log, topology: try examples()).unchecked.map { $0.records } == [1])
    }

    /// A reply is the reverse path: let in by the tracked connection, refused with its request;
    /// a record only the sender logged is judged by the sender's side.
    @Test func repliesAndSenderOnlyRecordsAreJudgedOnTheirOwnPath() throws {
        let topology = try loadCapture("inter-region-bandwidth.yaml").topology
        let log = try FlowLog.read([flowLogFixture("alibaba.jsonl")])
        let check = FlowLogActionCheck(log: log, topology: topology)
        #expect(check.agreeing == 3 && check.disagreements.isEmpty)
        // client-hz -> web-sv:22 accepted at the client's interface only (out): sg-web's deny is
        // beyond what that interface saw; logged at both ends it is a disagreement.
        let ssh = "2 1 eni-c 172.16.1.10 192.168.1.20 40001 22 6 3 180 100 110 ACCEPT OK"
        let egressOnly = try FlowLog.parse("srcaddr dstaddr srcport dstport protocol packets bytes start end action flow-direction interface-id\n"
                                           + "172.16.1.10 192.168.1.20 40001 22 6 3 180 100 110 ACCEPT egress eni-c\n")
        #expect(FlowLogActionCheck(log: egressOnly, topology: topology).agreeing == 1)
        let whole = FlowLogActionCheck(log: try FlowLog.parse(ssh), topology: topology)
        #expect(whole.disagreements.map(\.block?.code) == ["security-group-denied"])
        // A reply to a request the model refuses cannot exist.
        let reply = "2 1 eni-w 192.168.1.20 172.16.1.10 22 40001 6 3 180 100 110 ACCEPT OK"
        let replies = FlowLogActionCheck(log: try FlowLog.parse(reply), topology: topology)
        #expect(replies.disagreements.map(\.isReply) == [true] && replies.disagreements[0].server == "web-sv")
        #expect(replies.text.contains("client-hz -> web-sv tcp/22 replies: 1 record"))
        // Protocols the analyzer does not model and records without an action are counted apart.
        let other = try FlowLog.parse("2 1 eni-c 172.16.1.10 192.168.1.20 0 0 47 3 180 100 110 ACCEPT OK\n"
                                      + "2 1 eni-c 172.16.1.10 192.168.1.20 40001 80 6 3 180 100 110 - OK")
        let skipped = FlowLogActionCheck(log: other, topology: topology)
        #expect(skipped.agreeing == 0 && skipped.unchecked.map { $0.records } == [1, 1])
        #expect(Set(skipped.unchecked.map { $0.reason }) == ["protocol 47: the model analyses TCP, UDP, ICMP and ICMPv6", "no action logged ('-')"])
    }
}
