import Foundation
import Testing
@testable import VPCEmu

/// A fixture of Tests/VPCEmuTests/Fixtures/FlowLog: the AWS documentation's example records
/// ("Flow log record examples": default format, NODATA/SKIPDATA, ICMP, IPv6, the custom format of
/// "TCP flag sequence") and Alibaba Cloud records built from its documented fields.
func flowLogFixture(_ name: String) -> String {
    packageRoot.appendingPathComponent("Tests/VPCEmuTests/Fixtures/FlowLog").appendingPathComponent(name).path
}

func flowLogText(_ name: String) throws -> String {
    try String(contentsOfFile: flowLogFixture(name), encoding: .utf8)
}

@Suite struct FlowLogReadingTests {
    @Test func theDefaultFormatExamplesReadAsTheDocumentationDescribesThem() throws {
        let log = try FlowLog.read([flowLogFixture("aws-default.log")])
        #expect(log.counts == FlowLog.Counts(lines: 7, records: 5, noData: 1, skipData: 1, malformed: 0, duplicates: 0))
        #expect(log.issues.isEmpty)
        let ssh = try #require(log.flows.first { $0.destinationPort == 22 && $0.source.family == .ipv4 })
        #expect(ssh.source == address("172.31.16.139") && ssh.destination == address("172.31.16.21"))
        #expect((ssh.sourcePort, ssh.ipProtocol, ssh.packets, ssh.bytes, ssh.start, ssh.end) == (20641, 6, 20, 4249, 1418530010, 1418530070))
        #expect(ssh.action == .accept && ssh.sides == .unknown && !ssh.isReply && ssh.opens)
        #expect(log.location(of: ssh).hasSuffix("aws-default.log:1"))
        let rdp = try #require(log.flows.first { $0.destinationPort == 3389 })
        #expect(rdp.action == .reject && rdp.line == 2)
        // The ping: the request is logged first, so it opened the exchange; the reply is a reply.
        let pings = log.flows.filter { $0.ipProtocol == 1 }
        #expect(pings.map(\.isReply) == [false, true] && pings.map(\.action) == [.accept, .reject])
        #expect(pings.allSatisfy { $0.sourcePort == 0 && $0.destinationPort == 0 })
        let v6 = try #require(log.flows.first { $0.source.family == .ipv6 })
        #expect(v6.destination == address("2001:db8:1234:a102:3304:8879:34cf:4071") && v6.packets == 54 && v6.bytes == 8855)
        // Sorted by start time, whatever the file's order.
        #expect(log.flows.map(\.start) == log.flows.map(\.start).sorted())
    }

    @Test func aCustomFormatHeaderNamesTheColumnsAndTCPFlagsDecideWhoOpened() throws {
        let log = try FlowLog.read([flowLogFixture("aws-tcp-flags.log")])
        #expect(log.counts.records == 8 && log.counts.malformed == 0 && log.notes.isEmpty)
        let first = try #require(log.flows.first)
        // "version vpc-id … protocol bytes packets …": bytes come before packets in this format.
        #expect((first.source, first.sourcePort, first.destinationPort, first.bytes, first.packets, first.tcpFlags)
                == (address("52.213.180.42"), 43416, 5001, 568, 8, 2))
        for flow in log.flows {
            // SYN (2, 3) from the client; SYN-ACK (18, 19) from the server; FIN alone (1): the lower port is the server.
            #expect(flow.isReply == (flow.sourcePort == 5001), "\(log.location(of: flow))")
            #expect(flow.opens == (flow.tcpFlags! & 2 != 0))
        }
        // At equal start times an opener's record comes before its reply.
        let firstWindow = log.flows.filter { $0.start == 1566848875 }
        #expect(firstWindow.map(\.isReply) == [false, false, true, true])
        // The record with a run of two spaces is read like the others.
        #expect(log.flows.contains { $0.tcpFlags == 19 && $0.packets == 14 })
    }

    @Test func aHeaderWithoutTheFieldsAReplayNeedsIsRefusedWithItsLine() throws {
        // The documentation's NAT-gateway and transit-gateway formats carry no counts or times.
        let nat = "instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr\n- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5\n"
        #expect(throws: FlowLogError.unusableFormat(file: "nat.log", line: 1, problem:
            "the format (instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr) has no srcport, dstport, protocol, packets, bytes, start, end: "
            + "a replay needs srcaddr dstaddr srcport dstport protocol packets bytes start end")) { try FlowLog.parse(nat, name: "nat.log") }
        let tgw = "2 x\nversion interface-id account-id vpc-id subnet-id instance-id srcaddr dstaddr srcport dstport protocol tcp-flags type pkt-srcaddr pkt-dstaddr action log-status\n"
        #expect {
            try FlowLog.parse(tgw, name: "tgw.log")
        } throws: { error in
            guard case .unusableFormat("tgw.log", 2, let problem) = error as? FlowLogError else { return false }
            return problem.contains("has no packets, bytes, start, end")
        }
        #expect(throws: FlowLogError.unusableFormat(file: "twice.log", line: 1, problem: "field srcaddr appears twice in the format")) {
            try FlowLog.parse("srcaddr dstaddr srcport dstport protocol packets bytes start end srcaddr\n", name: "twice.log")
        }
    }

    @Test func undocumentedHeaderFieldsAreReadPastAndNamed() throws {
        let text = "srcaddr dstaddr srcport dstport protocol packets bytes start end action next-year-field\n"
            + "10.0.0.1 10.0.0.2 40000 443 6 3 180 100 101 ACCEPT whatever\n"
        let log = try FlowLog.parse(text)
        #expect(log.counts.records == 1)
        #expect(log.notes == ["flows.log:1: fields AWS does not document, read past: next-year-field"])
        // `${field}` as in the log-format string reads as the same header.
        let dollar = try FlowLog.parse("${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end}\n10.0.0.1 10.0.0.2 1 2 17 1 28 5 5\n")
        #expect(dollar.flows.map(\.ipProtocol) == [17] && dollar.notes.isEmpty)
    }

    /// Each malformed line is a located issue naming the field and what was expected; the lines
    /// around it are still read.
    @Test(arguments: [
        ("2 1 eni-1 10.0.0.1 10.0.0.2 40000 22 6 20 4249 1418530010 1418530070 ACCEPT", "log-status", "missing: the line has 13 of the format's 14 fields"),
        ("2 1 eni-1 10.0.0.1 10.0.0.2 40000 22 6 20 4249 1418530010 1418530070 ACCEPT OK extra", nil, "the line has 15 fields, the format 14 (version … log-status)"),
        ("2 1 eni-1 10.0.0.999 10.0.0.2 40000 22 6 20 4249 1418530010 1418530070 ACCEPT OK", "srcaddr", "expected an IPv4 or IPv6 address, got '10.0.0.999'"),
        ("2 1 eni-1 10.0.0.1 2001:db8::1 40000 22 6 20 4249 1418530010 1418530070 ACCEPT OK", "dstaddr", "an IPv6 address with an IPv4 source"),
        ("2 1 eni-1 10.0.0.1 10.0.0.2 40000 0 6 20 4249 1418530010 1418530070 ACCEPT OK", "dstport", "expected a port 1-65535, got '0'"),
        ("2 1 eni-1 10.0.0.1 10.0.0.2 - 22 17 20 4249 1418530010 1418530070 ACCEPT OK", "srcport", "expected a port 1-65535, got '-' (not recorded)"),
        ("2 1 eni-1 10.0.0.1 10.0.0.2 40000 22 256 20 4249 1418530010 1418530070 ACCEPT OK", "protocol", "expected an IANA protocol number 0-255, got '256'"),
        ("2 1 eni-1 10.0.0.1 10.0.0.2 40000 22 6 0 0 1418530010 1418530070 ACCEPT OK", "packets", "expected a packet count from 1 to 1,000,000,000, got '0'"),
        ("2 1 eni-1 10.0.0.1 10.0.0.2 40000 22 6 2 200000 1418530010 1418530070 ACCEPT OK", "bytes", "expected a byte count from 0 to 65,535 per packet, got '200000'"),
        ("2 1 eni-1 10.0.0.1 10.0.0.2 40000 22 6 2 80 1418530070 1418530010 ACCEPT OK", "end", "1418530010 is before start 1418530070"),
        ("2 1 eni-1 10.0.0.1 10.0.0.2 40000 22 6 2 80 99999999999 99999999999 ACCEPT OK", "start", "expected a Unix time in seconds (up to 2100), got '99999999999'"),
        ("2 1 eni-1 10.0.0.1 10.0.0.2 40000 22 6 2 80 1418530010 1418530070 DROP OK", "action", "expected ACCEPT or REJECT, got 'DROP'"),
        ("2 1 eni-1 10.0.0.1 10.0.0.2 40000 22 6 2 80 1418530010 1418530070 ACCEPT MAYBE", "log-status", "expected OK, NODATA or SKIPDATA, got 'MAYBE'"),
    ] as [(String, String?, String)])
    func aMalformedLineIsALocatedSkip(line: String, field: String?, problem: String) throws {
        let good = "2 1 eni-1 10.0.0.1 10.0.0.2 40000 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
        let log = try FlowLog.parse([good, line, good.replacingOccurrences(of: "40000", with: "40001")].joined(separator: "\n"))
        #expect(log.issues == [FlowLogIssue(file: "flows.log", line: 2, field: field, problem: problem)])
        #expect(log.counts.records == 2 && log.counts.malformed == 1)
        #expect(log.flows.map(\.line) == [1, 3])
        #expect(log.issues[0].description == "flows.log:2: " + (field.map { "\($0): " } ?? "") + problem)
    }

    @Test func alibabaCloudRecordsAreJSONLinesWithStringsOrNumbers() throws {
        let log = try FlowLog.read([flowLogFixture("alibaba.jsonl")])
        #expect(log.counts == FlowLog.Counts(lines: 5, records: 4, noData: 1, skipData: 0, malformed: 0, duplicates: 1))
        // The client's outbound record and the server's inbound one are one flow, seen at both ends.
        let http = try #require(log.flows.first { $0.destinationPort == 80 })
        #expect(http.sides == [.ingress, .egress] && http.packets == 10 && http.bytes == 5200 && http.tcpFlags == 2 && !http.isReply)
        let reply = try #require(log.flows.first { $0.sourcePort == 80 })
        #expect(reply.isReply && reply.opens && reply.packets == 8 && reply.sides == .egress)
        let ssh = try #require(log.flows.first { $0.destinationPort == 22 })
        #expect(ssh.action == .reject && ssh.sides == .ingress)

        let bad = try FlowLog.parse("""
            {"srcaddr": "10.0.0.1", "dstaddr": "10.0.0.2", "srcport": 1, "dstport": 2, "protocol": 17, "packets": 1, "bytes": 28, "start": 5, "end": 5, "direction": "sideways"}
            {"srcaddr": "10.0.0.1", "dstaddr": "10.0.0.2", "srcport": true, "dstport": 2, "protocol": 17, "packets": 1, "bytes": 28, "start": 5, "end": 5}
            {"srcaddr": "10.0.0.1", "dstaddr": "10.0.0.2", "srcport": 1, "dstport": 2, "protocol": 17, "packets": 1.5, "bytes": 28, "start": 5, "end": 5}
            {"srcaddr": "10.0.0.1", "dstaddr": "10.0.0.2", "srcport": 1, "dstport": 2, "protocol": 17, "bytes": 28, "start": 5, "end": 5}
            {"srcaddr": "10.0.0.1", "dstaddr": "10.0.0.2", "srcport": 1,
            [1, 2]
            {"srcaddr": "10.0.0.1", "dstaddr": "10.0.0.2", "srcport": 1, "dstport": 2, "protocol": 17, "packets": 1, "bytes": 28, "start": 5, "end": 5}
            """, name: "ali.jsonl")
        #expect(bad.counts.records == 1)
        #expect(bad.issues.map(\.description) == [
            "ali.jsonl:1: direction: expected in or out, got 'sideways'",
            "ali.jsonl:2: srcport: expected a string or a number",
            "ali.jsonl:3: packets: expected a packet count from 1 to 1,000,000,000, got '1.5'",
            "ali.jsonl:4: packets: missing",
            "ali.jsonl:5: expected a JSON object (one Alibaba Cloud flow-log record per line)",
            "ali.jsonl:6: expected a JSON object (one Alibaba Cloud flow-log record per line)",
        ])
    }

    /// One interface per direction of a flow: the other end's copy within the window is dropped
    /// (REJECT wins), a copy later than the window is a flow of its own, and one interface's
    /// windows are never merged.
    @Test func aRecordSeenAtBothEndsIsOneFlow() throws {
        func line(_ eni: String, start: Int, end: Int, action: String = "ACCEPT", sport: Int = 40000) -> String {
            "2 1 \(eni) 10.0.0.1 10.0.0.2 \(sport) 443 6 10 1000 \(start) \(end) \(action) OK"
        }
        let log = try FlowLog.parse([
            line("eni-src", start: 1000, end: 1059),
            line("eni-dst", start: 1001, end: 1060, action: "REJECT"),  // the same packets, refused at the destination
            line("eni-src", start: 1060, end: 1119),                    // the source's next window
            line("eni-dst", start: 1175, end: 1180),                    // within 60 s after the source's window: a copy
            line("eni-dst", start: 1300, end: 1310),                    // later: nothing from the source covers it
            line("eni-dst", start: 1001, end: 1060, sport: 40001),      // another 5-tuple
        ].joined(separator: "\n"))
        #expect(log.counts.records == 6 && log.counts.duplicates == 2)
        #expect(log.flows.map(\.line) == [1, 6, 3, 5])
        #expect(log.flows.map(\.action) == [.reject, .accept, .accept, .accept])
    }

    /// A reply stamped up to 60 s before its request (logged by the other interface) starts with
    /// the request, after it; an earlier one keeps its time.
    @Test func aReplyStampedBeforeItsRequestStartsWithIt() throws {
        let log = try FlowLog.parse("""
            2 1 eni-srv 10.0.0.2 10.0.0.1 443 40000 6 10 1000 995 1030 ACCEPT OK
            2 1 eni-cli 10.0.0.1 10.0.0.2 40000 443 6 10 1000 1000 1030 ACCEPT OK
            2 1 eni-srv 10.0.0.2 10.0.0.1 443 40001 6 10 1000 900 990 ACCEPT OK
            2 1 eni-cli 10.0.0.1 10.0.0.2 40001 443 6 10 1000 1000 1030 ACCEPT OK
            """)
        #expect(log.flows.map(\.line) == [3, 2, 4, 1])
        #expect(log.flows.map(\.start) == [900, 1000, 1000, 1000] && log.flows.map(\.end) == [990, 1030, 1030, 1030])
        #expect(log.flows.map(\.isReply) == [true, false, false, true])
    }

    @Test func recordsOutOfOrderAreSortedAndTheRecordTypeStaysCompact() throws {
        var random = SeededGenerator(seed: 7)
        let lines = (0 ..< 200).map { index in
            "2 1 eni-\(index % 3) 10.0.\(index % 5).1 10.0.9.9 \(20_000 + index) 443 6 2 120 \(1_000 + Int(random.next() % 500)) 1600 ACCEPT OK"
        }
        let log = try FlowLog.parse(lines.joined(separator: "\n"))
        #expect(log.flows.count == 200)
        #expect(zip(log.flows, log.flows.dropFirst()).allSatisfy { ($0.start, $0.line) < ($1.start, $1.line) })
        // docs/flow-logs.md states the memory per record.
        #expect(MemoryLayout<FlowLog.Flow>.stride == 104)
    }

    @Test func severalFilesAreMergedByTimeAndKeepTheirNames() throws {
        let paths = [flowLogFixture("aws-tcp-flags.log"), flowLogFixture("aws-default.log")]
        let log = try FlowLog.read(paths)
        #expect(log.counts.records == 13 && log.flows.count == 13)
        #expect(log.flows.map(\.start) == log.flows.map(\.start).sorted())
        #expect(log.flows.first.map(log.location) == paths[1] + ":1" && log.flows.last.map(log.location) == paths[0] + ":9")
    }

    @Test func filesThatCannotBeReadAreRefusedAndGzipIsRead() throws {
        #expect(throws: FlowLogError.cannotOpen(file: "/nonexistent/flows.log", reason: "No such file or directory")) {
            try FlowLog.read(["/nonexistent/flows.log"])
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flowlog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let plain = directory.appendingPathComponent("flows.log").path
        try String(contentsOfFile: flowLogFixture("aws-default.log"), encoding: .utf8).write(toFile: plain, atomically: true, encoding: .utf8)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "gzip -k '\(plain)'"]
        try gzip.run()
        gzip.waitUntilExit()
        try #require(gzip.terminationStatus == 0)
        let compressed = try FlowLog.read([plain + ".gz"])
        #expect(compressed.flows == (try FlowLog.read([plain])).flows)
        // A gzip stream cut short is an unreadable file, not a crash.
        let data = try Data(contentsOf: URL(fileURLWithPath: plain + ".gz"))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: plain + ".cut.gz"))
        #expect {
            try FlowLog.read([plain + ".cut.gz"])
        } throws: { error in
            if case .unreadable(let file, _) = error as? FlowLogError { return file == plain + ".cut.gz" }
            return false
        }
        // A line too long to be a record is one skipped line.
        let long = directory.appendingPathComponent("long.log").path
        try (String(repeating: "x", count: 200_000) + "\n" + String(contentsOfFile: plain, encoding: .utf8)).write(toFile: long, atomically: true, encoding: .utf8)
        let read = try FlowLog.read([long])
        #expect(read.issues.map(\.line) == [1] && read.counts.records == 5)
    }

    /// Every prefix of the documentation's examples (a file cut short anywhere) reads without a
    /// trap: each non-blank line is a record, a status line or a located issue, exactly once.
    @Test(arguments: ["aws-default.log", "aws-tcp-flags.log", "alibaba.jsonl"])
    func everyTruncationIsAccountedFor(fixture: String) throws {
        let text = Array(try flowLogText(fixture).utf8)
        for cut in 0 ... text.count {
            let prefix = String(decoding: text.prefix(cut), as: UTF8.self)
            let newlines = text.indices.filter { text[$0] == 10 }
            // A header cut short lacks fields; a first record cut short leaves no record in the file.
            let firstRecordEnd = fixture == "aws-tcp-flags.log" ? newlines[1] : newlines[0]
            guard let log = try? FlowLog.parse(prefix) else {
                #expect(cut < firstRecordEnd, "cut at \(cut)")
                #expect(throws: FlowLogError.self) { try FlowLog.parse(prefix) }
                continue
            }
            expectAccounted(log, text: prefix)
        }
    }

    /// Seeded mutations of the examples (bytes replaced, removed, duplicated, lines swapped): no
    /// trap, no hang, and every line accounted for.
    @Test(arguments: ["aws-default.log", "aws-tcp-flags.log", "alibaba.jsonl"])
    func mutatedExamplesAreReadOrSkippedWithAReason(fixture: String) throws {
        let original = Array(try flowLogText(fixture).utf8)
        let alphabet = Array("0123456789 -.:{}\",abcdefABCDEFOKNODATAREJECT\t\n\u{00}".utf8) + [0xFF, 0xC3]
        var random = SeededGenerator(seed: 22)
        for _ in 0 ..< 400 {
            var bytes = original
            for _ in 0 ..< 1 + Int(random.next() % 8) {
                let position = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 4 {
                case 0: bytes[position] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: position)
                case 2: bytes.insert(contentsOf: bytes[position ..< min(bytes.count, position + Int(random.next() % 40))], at: position)
                default: bytes.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: position)
                }
                if bytes.isEmpty { bytes = original }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            do {
                expectAccounted(try FlowLog.parse(text), text: text)
            } catch {
                // A mutated header may lose a needed field; the error says where.
                guard case .unusableFormat("flows.log", let line, _) = error else { Issue.record("\(error)"); continue }
                #expect(line >= 1)
            }
        }
    }

    private func expectAccounted(_ log: FlowLog, text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
            .filter { $0.contains { !$0.isFlowLogSpace } }
        let headers = lines.filter { FlowLogFormat.headerNames($0) != nil }.count
        let counts = log.counts
        #expect(counts.lines == lines.count, sourceLocation: sourceLocation)
        #expect(counts.records + counts.noData + counts.skipData + counts.malformed + headers == lines.count, sourceLocation: sourceLocation)
        #expect(log.flows.count == counts.records - counts.duplicates, sourceLocation: sourceLocation)
        #expect(log.issues.count == min(counts.malformed, FlowLog.issueLimit), sourceLocation: sourceLocation)
    }
}
