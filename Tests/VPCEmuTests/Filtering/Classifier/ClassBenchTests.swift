import Testing
@testable import VPCEmu

@Suite struct ClassBenchTests {
    static let goodRule = "@10.0.0.0/8\t192.168.1.1/32\t0 : 65535\t80 : 80\t0x06/0xFF\t0x1000/0x1000\t"
    static let goodTrace = "167772161\t3232235777\t1234\t80\t6\t0\t0"

    @Test func parsesARuleAndATraceLine() throws {
        let rules = try ClassBench.parseRules(Self.goodRule + "\n\n", file: "r")
        #expect(rules == [ClassifierRule(source: try IPNetwork(parsing: "10.0.0.0/8"), destination: try IPNetwork(parsing: "192.168.1.1/32"),
                                         sourcePorts: .any, destinationPorts: PortRange(80, 80), ipProtocol: 6, protocolMask: 0xFF)])
        let trace = try ClassBench.parseTrace(Self.goodTrace + "\r\n", file: "t")
        #expect(trace.count == 1)
        #expect(trace[0].tuple.source == IPAddress("10.0.0.1"))
        #expect(trace[0].tuple.destinationPort == 80)
        #expect(rules[0].matches(trace[0].tuple))
    }

    @Test(arguments: [
        ("10.0.0.0/8\t1.1.1.1/32\t0 : 1\t0 : 1\t0x06/0xFF", "rule"),
        ("@10.0.0.0/33\t1.1.1.1/32\t0 : 1\t0 : 1\t0x06/0xFF", "source prefix"),
        ("@10.0.0.0/8\t1.1.1/32\t0 : 1\t0 : 1\t0x06/0xFF", "destination prefix"),
        ("@10.0.0.0/8\tfd00::/8\t0 : 1\t0 : 1\t0x06/0xFF", "destination prefix"),
        ("@10.0.0.0/8\t1.1.1.1/32\t0 - 1\t0 : 1\t0x06/0xFF", "source port range"),
        ("@10.0.0.0/8\t1.1.1.1/32\t0 : 1\t9 : 1\t0x06/0xFF", "destination port range"),
        ("@10.0.0.0/8\t1.1.1.1/32\t0 : 1\t0 : 70000\t0x06/0xFF", "destination port range"),
        ("@10.0.0.0/8\t1.1.1.1/32\t0 : 1\t0 : 1\t0x106/0xFF", "protocol"),
        ("@10.0.0.0/8\t1.1.1.1/32\t0 : 1\t0 : 1", "protocol"),
        ("@10.0.0.0/8\t1.1.1.1/32\t0 : 1\t0 : 1\t0x06/0xFF\tzz", "flags"),
        ("@10.0.0.0/8\t1.1.1.1/32\t0 : 1\t0 : 1\t0x06/0xFF\t0/0\textra", "end of line"),
    ])
    func badRuleNamesFileLineAndField(line: String, field: String) {
        do {
            _ = try ClassBench.parseRules(Self.goodRule + "\n" + line + "\n", file: "rules.txt")
            Issue.record("accepted \(line)")
        } catch {
            #expect(error.file == "rules.txt")
            #expect(error.line == 2)
            #expect(error.field == field)
            #expect(error.description.hasPrefix("rules.txt:2: \(field): "))
        }
    }

    @Test(arguments: [
        ("4294967296\t1\t1\t1\t6\t0\t0", "source address"),
        ("1\t1\t65536\t1\t6\t0\t0", "source port"),
        ("1\t1\t1\t1\t256\t0\t0", "protocol"),
        ("1\t1\t1\t1\t6\t0", "rule id"),
        ("1\t1\t1\t-1\t6\t0\t0", "destination port"),
        ("1\t1\t1\t1\t6\t0\t0\t9", "end of line"),
    ])
    func badTraceNamesFileLineAndField(line: String, field: String) {
        #expect(throws: ClassBench.FormatError.self) { try ClassBench.parseTrace(line, file: "t") }
        do {
            _ = try ClassBench.parseTrace(line, file: "trace.txt")
        } catch {
            #expect(error.line == 1 && error.field == field && error.file == "trace.txt")
        }
    }

    @Test func missingFileIsAnError() {
        #expect(throws: ClassBench.FormatError(file: "/nonexistent/rules", line: 0, field: "file", reason: "cannot read the file")) {
            try ClassBench.readRules(path: "/nonexistent/rules")
        }
    }

    /// Every truncation of a valid line, and random byte damage, gives a rule set or an error — never a trap.
    @Test func truncatedAndDamagedLinesNeverTrap() {
        for end in Self.goodRule.indices {
            _ = try? ClassBench.parseRules(Self.goodRule[..<end], file: "r")
        }
        for end in Self.goodTrace.indices {
            _ = try? ClassBench.parseTrace(Self.goodTrace[..<end], file: "t")
        }
        var generator = SeededGenerator(seed: 7)
        let alphabet = Array("@0123456789x/:.\t -abcdefFXZ\n")
        for _ in 0..<2000 {
            var rule = Array(Self.goodRule), trace = Array(Self.goodTrace)
            for _ in 0..<3 {
                rule[Int.random(in: 0..<rule.count, using: &generator)] = alphabet.randomElement(using: &generator)!
                trace[Int.random(in: 0..<trace.count, using: &generator)] = alphabet.randomElement(using: &generator)!
            }
            _ = try? ClassBench.parseRules(String(rule), file: "r")
            _ = try? ClassBench.parseTrace(String(trace), file: "t")
        }
    }
}
