import Foundation
import Testing

/// One run of `vpcemu`: its arguments, the exit status the README's "Exit codes" rule gives it, and
/// a piece of text it must print (on stdout or stderr) so the status is for the expected reason.
struct ExitStatusCase: Sendable, CustomTestStringConvertible {
    var arguments: [String]
    var status: Int32
    var printed: String

    var testDescription: String { "vpcemu \(arguments.joined(separator: " ")) → \(status)" }
}

private let hubAndSpoke = "captures/hub-and-spoke.yaml"
private let twoVPCs = "captures/two-vpcs-same-account.yaml"
private let interRegion = "captures/inter-region-bandwidth.yaml"
private let missingTopology = "captures/no-such-topology.yaml"
private let dnsOverTCP = "../shared/data/pcap-corpus/tcpdump/dns_tcp.pcap"
/// Where `replay` would write, were it to get past the usage error it must stop at.
private let replayOutput = FileManager.default.temporaryDirectory.appendingPathComponent("vpcemu-cli-tests-replay").path

/// Every rule of the README's "Exit codes" on the bundled examples: 0 success, 1 the negative
/// answer, 2 an input that cannot be read or a topology that does not load, 64 a usage error (flag
/// value or name, an output that is an input).
private let exitStatusCases: [ExitStatusCase] = [
    // ping
    .init(arguments: ["ping", hubAndSpoke, "--from", "ecs-b1", "ecs-hub", "-c", "2"], status: 0, printed: "2 packets transmitted, 2 received"),
    .init(arguments: ["ping", hubAndSpoke, "--from", "ecs-b1", "ecs-b2", "-c", "2"], status: 1, printed: "2 packets transmitted, 0 received"),
    .init(arguments: ["ping", missingTopology, "--from", "ecs-b1", "ecs-hub"], status: 2, printed: "no-such-topology.yaml: error: cannot read the file"),
    .init(arguments: ["ping", hubAndSpoke, "--from", "ecs-b1", "ecs-hub", "-c", "0"], status: 64, printed: "-c must be between 1 and"),
    // iputils' joined short options: -c1, -i0.2, -s100, -W5
    .init(arguments: ["ping", hubAndSpoke, "--from", "ecs-b1", "ecs-hub", "-c1", "-i0.2", "-s100", "-W5"], status: 0,
          printed: "1 packets transmitted, 1 received"),
    .init(arguments: ["ping", hubAndSpoke, "--from", "ecs-nowhere", "ecs-hub"], status: 64,
          printed: "--from 'ecs-nowhere' is neither an instance of the topology nor an IP address"),
    // An unknown name gets the nearest declared one, wherever the CLI takes a name
    .init(arguments: ["ping", hubAndSpoke, "--from", "ecs-b11", "ecs-hub"], status: 64, printed: "--from 'ecs-b11' is neither an instance of the topology nor an IP address: did you mean ecs-b1?"),
    .init(arguments: ["traceroute", hubAndSpoke, "--from", "ecs-b1", "ecs-hbu"], status: 64, printed: "DEST 'ecs-hbu' is neither an instance of the topology nor an IP address: did you mean ecs-hub?"),
    .init(arguments: ["analyze", hubAndSpoke, "--from", "ecs-b1", "--to", "ecs-hubb", "--protocol", "icmp"], status: 64, printed: ": did you mean ecs-hub?"),
    .init(arguments: ["doctor", hubAndSpoke, "--peering", "pcx-hub-b3"], status: 64, printed: "no peering named pcx-hub-b3: did you mean pcx-hub-b1?"),
    .init(arguments: ["generate", twoVPCs, "--out", replayOutput + ".pcap", "--flow", "ping ecs-a ecs-bb"], status: 64,
          printed: "ecs-bb is neither an instance of the topology nor an address: did you mean ecs-b?"),
    // iputils' -q, -t, -w, -n; --from takes an address as analyze does
    .init(arguments: ["ping", hubAndSpoke, "--from", "ecs-b1", "ecs-hub", "-c1", "-q"], status: 0,
          printed: "56(84) bytes of data.\n\n--- ecs-hub ping statistics ---\n1 packets transmitted, 1 received"),
    .init(arguments: ["ping", hubAndSpoke, "--from", "ecs-b1", "ecs-hub", "-c1", "-t1"], status: 1,
          printed: "From branch-1 icmp_seq=1 ttl-expired"),
    .init(arguments: ["ping", hubAndSpoke, "--from", "ecs-b1", "ecs-hub", "-t", "256"], status: 64, printed: "-t must be between 1 and 255, not 256"),
    .init(arguments: ["ping", hubAndSpoke, "--from", "ecs-b1", "ecs-hub", "-w", "3", "-q"], status: 0, printed: "3 packets transmitted, 3 received"),
    .init(arguments: ["ping", hubAndSpoke, "--from", "ecs-b1", "ecs-hub", "-w3", "-c5", "-q"], status: 1, printed: "3 packets transmitted, 3 received"),
    .init(arguments: ["ping", hubAndSpoke, "--from", "ecs-b1", "ecs-hub", "-w", "0s"], status: 64, printed: "-w must be longer than 0"),
    .init(arguments: ["ping", hubAndSpoke, "--from", "ecs-b1", "ecs-hub", "-c1", "-n"], status: 0, printed: "64 bytes from 10.0.1.10: icmp_seq=1 ttl=62"),
    .init(arguments: ["ping", hubAndSpoke, "--from", "10.1.1.10", "ecs-hub", "-c1"], status: 0,
          printed: "from 10.1.1.10 ecs-b1: 56(84) bytes of data.\n64 bytes from ecs-hub (10.0.1.10): icmp_seq=1"),
    .init(arguments: ["ping", hubAndSpoke, "--from", "10.1.1.99", "ecs-hub", "-c1"], status: 1, printed: "From pipeline icmp_seq=1 unknown-source"),
    .init(arguments: ["ping", hubAndSpoke, "--from", "ecs-b1", "ecs-hub", "-W", "200000d"], status: 64, printed: "too large"),
    // traceroute
    .init(arguments: ["traceroute", hubAndSpoke, "--from", "ecs-b1", "ecs-hub"], status: 0, printed: " 3  ecs-hub (10.0.1.10)"),
    // Linux traceroute's status: 0 once it ran, whatever it reached; --exit-status gives the verdict
    .init(arguments: ["traceroute", hubAndSpoke, "--from", "ecs-b1", "ecs-b2"], status: 0, printed: "non-transitive at pcx-hub-b1"),
    .init(arguments: ["traceroute", hubAndSpoke, "--from", "ecs-b1", "ecs-b2", "--exit-status"], status: 1, printed: "non-transitive at pcx-hub-b1"),
    .init(arguments: ["traceroute", hubAndSpoke, "--from", "ecs-b1", "ecs-hub", "--exit-status"], status: 0, printed: " 3  ecs-hub (10.0.1.10)"),
    .init(arguments: ["traceroute", hubAndSpoke, "--from", "ecs-b1", "ecs-hub", "-n", "-q1"], status: 0,
          printed: " 1  10.1.1.253  0.200 ms\n 2  10.0.1.253  0.200 ms\n 3  10.0.1.10  0.200 ms\n"),
    .init(arguments: ["traceroute", hubAndSpoke, "--from", "ecs-b1", "ecs-hub", "-f2", "-q1"], status: 0,
          printed: "60 byte packets\n 2  hub router (10.0.1.253)  0.200 ms\n 3  ecs-hub"),
    .init(arguments: ["traceroute", hubAndSpoke, "--from", "ecs-b1", "ecs-hub", "-f", "31"], status: 64, printed: "-f must be between 1 and -m (30), not 31"),
    .init(arguments: ["traceroute", hubAndSpoke, "--from", "ecs-b1", "ecs-hub", "-U", "-q1"], status: 0, printed: " 3  ecs-hub (10.0.1.10)"),
    .init(arguments: ["traceroute", hubAndSpoke, "--from", "ecs-b1", "ecs-hub", "-U", "-T"], status: 64, printed: "had already been set with flag '-U'"),
    // sg-web accepts TCP 80 and ICMP from the peer: -T reaches web-sv on 80, -T -p 443 and -U do not
    .init(arguments: ["traceroute", interRegion, "--from", "client-hz", "web-sv", "-T", "-q1", "--exit-status"], status: 0,
          printed: " 3  web-sv (192.168.1.20)  160.000 ms"),
    .init(arguments: ["traceroute", interRegion, "--from", "client-hz", "web-sv", "-T", "-p443", "-q1", "--exit-status"], status: 1,
          printed: " 3  *  security-group-denied at web-sv"),
    .init(arguments: ["traceroute", interRegion, "--from", "client-hz", "web-sv", "-I", "-q1"], status: 0,
          printed: " 3  web-sv (192.168.1.20)  160.000 ms"),
    // -w: the 160 ms answers from beyond the peering are slower than 0.1 s
    .init(arguments: ["traceroute", interRegion, "--from", "client-hz", "web-sv", "-I", "-q1", "-w", "0.1"], status: 0,
          printed: " 1  vpc-hz router (172.16.1.253)  0.200 ms\n 2  *\n"),
    .init(arguments: ["traceroute", interRegion, "--from", "client-hz", "web-sv", "-w", "0s"], status: 64, printed: "-w must be longer than 0"),
    .init(arguments: ["traceroute", hubAndSpoke, "--from", "ecs-b1", "ecs-hub", "-m", "0"], status: 64, printed: "-m must be between 1 and"),
    .init(arguments: ["traceroute", hubAndSpoke, "--from", "ecs-b1", "ecs-hub", "-q1", "-m2"], status: 0, printed: " 2  "),
    .init(arguments: ["traceroute", hubAndSpoke, "--from", "ecs-b1", "ecs-hub", "-q1", "-m2", "--exit-status"], status: 1, printed: " 2  "),
    .init(arguments: ["traceroute", missingTopology, "--from", "ecs-b1", "ecs-hub"], status: 2, printed: "no-such-topology.yaml: error: cannot read the file"),
    // analyze
    .init(arguments: ["analyze", hubAndSpoke, "--from", "ecs-b1", "--to", "ecs-hub", "--protocol", "tcp", "--port", "22"],
          status: 0, printed: "verdict: reachable"),
    .init(arguments: ["analyze", hubAndSpoke, "--from", "ecs-b2", "--to", "ecs-b1", "--protocol", "icmp"],
          status: 1, printed: "verdict: blocked"),
    .init(arguments: ["analyze", hubAndSpoke, "--from", "ecs-b1", "--to", "ecs-hub", "--protocol", "tcp", "--port", "0"],
          status: 64, printed: "port 0 is reserved"),
    .init(arguments: ["analyze", hubAndSpoke, "--from", "ecs-b1", "--to", "ecs-nowhere", "--protocol", "icmp"],
          status: 64, printed: "--to 'ecs-nowhere' is neither an instance"),
    .init(arguments: ["analyze", missingTopology, "--from", "ecs-b1", "--to", "ecs-hub", "--protocol", "icmp"],
          status: 2, printed: "no-such-topology.yaml: error: cannot read the file"),
    // doctor
    .init(arguments: ["doctor", hubAndSpoke], status: 1, printed: "2 failed"),
    .init(arguments: ["doctor", twoVPCs], status: 0, printed: "0 failed"),
    .init(arguments: ["doctor", twoVPCs, "--at", "200000d"], status: 64, printed: "too large"),
    .init(arguments: ["doctor", twoVPCs, "--peering", "pcx-nowhere"], status: 64, printed: "no peering named pcx-nowhere"),
    .init(arguments: ["doctor", missingTopology], status: 2, printed: "no-such-topology.yaml: error: cannot read the file"),
    // replay, topology check, the parser's own usage errors
    .init(arguments: ["replay", twoVPCs, "--generate", "bogus", "--out", replayOutput],
          status: 64, printed: "unknown kind bogus"),
    .init(arguments: ["replay", "captures/inter-region-bandwidth.yaml", "--generate", "ping client-hz web-sv count=1", "--out", replayOutput,
                      "--interval", "1h"], status: 64, printed: "alert rule 'throttling': period 10s is shorter than the metrics interval 1h"),
    // replay --map / --bind / --start
    .init(arguments: ["replay", twoVPCs, dnsOverTCP, "--out", replayOutput, "--map", "192.168.1.11=172.16.1.10",
                      "--map", "209.87.249.18=192.168.1.10"], status: 0, printed: "packets 11   delivered 11   dropped 0"),
    .init(arguments: ["replay", twoVPCs, dnsOverTCP, "--out", replayOutput, "--map", "192.168.0.0/16=172.16.0.0/16",
                      "--map", "192.168.1.0/24=10.0.0.0/24"], status: 64, printed: "the FROM blocks overlap"),
    .init(arguments: ["replay", twoVPCs, dnsOverTCP, "--out", replayOutput, "--map", "192.168.0.0/16=172.16.0.0/24"],
          status: 64, printed: "must have the same prefix length"),
    .init(arguments: ["replay", twoVPCs, dnsOverTCP, "--out", replayOutput, "--bind", "192.168.1.0/24=ecs-c"],
          status: 64, printed: "does not declare: did you mean ecs-a?"),
    .init(arguments: ["replay", twoVPCs, dnsOverTCP, "--out", replayOutput, "--bind", "192.168.1.1/24=ecs-a"],
          status: 64, printed: "did you mean 192.168.1.0/24?"),
    .init(arguments: ["replay", twoVPCs, dnsOverTCP, "--out", replayOutput, "--start", "soon"], status: 64, printed: "--start soon"),
    .init(arguments: ["replay", twoVPCs, "--generate", "ping ecs-a ecs-b count=1", "--out", replayOutput, "--dense-metrics", "30d"],
          status: 64, printed: "dense metrics span 30d holds more than 1000000 intervals of 1s"),
    // Commands that write: every input and option checked before any output (docs/forwarding.md, "Replay outputs")
    .init(arguments: ["replay", twoVPCs, "missing.pcap", "--out", replayOutput], status: 2, printed: "missing.pcap: No such file or directory"),
    .init(arguments: ["replay", missingTopology, "missing.pcap", "--out", replayOutput], status: 2,
          printed: "no-such-topology.yaml: error: cannot read the file"),
    .init(arguments: ["replay", twoVPCs, "missing.pcap", "--out", ""], status: 64, printed: "--out: give a directory name"),
    .init(arguments: ["replay", twoVPCs, "missing.pcap", "--out", "README.md"], status: 64,
          printed: "--out README.md: exists and is not a directory\nUsage: vpcemu replay "),
    .init(arguments: ["replay", twoVPCs, "missing.pcap", "--out", replayOutput, "--bind", "10.0.0.5"], status: 64,
          printed: "--bind 10.0.0.5: expected ADDR=INSTANCE or CIDR=INSTANCE, e.g. 10.0.0.5=ecs-a or 10.0.0.0/24=ecs-a\nUsage: vpcemu replay "),
    .init(arguments: ["replay", twoVPCs, "missing.pcap", "--out", replayOutput, "--interval", "0s"], status: 64,
          printed: "--interval 0s: expected a positive duration"),
    .init(arguments: ["replay", twoVPCs, "--generate", "ping ecs-a ecs-b", "--out", replayOutput, "--bind", "10.0.0.5=ecs-nowhere"],
          status: 64, printed: "--bind names instance ecs-nowhere, which the topology does not declare"),
    .init(arguments: ["replay", "captures/inter-region-bandwidth.yaml", "--generate", "ping client-hz web-sv", "--out", replayOutput,
                      "--interval", "7s"], status: 64, printed: "alert rule 'throttling': period"),
    .init(arguments: ["generate", twoVPCs, "--out", twoVPCs, "--flow", "ping ecs-a ecs-b"], status: 64,
          printed: "two-vpcs-same-account.yaml is an input; choose another output\nUsage: vpcemu generate "),
    .init(arguments: ["generate", missingTopology, "--out", replayOutput + ".pcap", "--flow", "ping ecs-a ecs-b"], status: 2,
          printed: "no-such-topology.yaml: error: cannot read the file"),
    .init(arguments: ["generate", twoVPCs, "--out", replayOutput + ".pcap", "--flow", "ping ecs-a ecs-nowhere"], status: 64,
          printed: "ecs-nowhere"),
    .init(arguments: ["generate", twoVPCs, "--out", replayOutput + ".pcap", "--flow", "udp ecs-a ecs-b 53 mbps=100000 duration=100000s"],
          status: 64, printed: "the flows make a file of up to 1.1 PiB (1287500000000024 bytes), more than the"),
    .init(arguments: ["generate", twoVPCs, "--out", replayOutput + ".pcap", "--flow", "ping ecs-a ecs-b", "--max-size", "lots"],
          status: 64, printed: "--max-size lots: expected a size such as 500M"),
    .init(arguments: ["generate", twoVPCs, "--out", "", "--flow", "ping ecs-a ecs-b"], status: 64, printed: "--out: give a file name"),
    .init(arguments: ["generate", twoVPCs, "--out", "captures", "--flow", "ping ecs-a ecs-b"], status: 64,
          printed: "--out captures: is a directory"),
    .init(arguments: ["topology", "graph", twoVPCs, "--svg", twoVPCs], status: 64,
          printed: "two-vpcs-same-account.yaml is an input; choose another output\nUsage: vpcemu topology graph "),
    .init(arguments: ["topology", "graph", twoVPCs, "--svg", ""], status: 64, printed: "--svg: give a file name"),
    .init(arguments: ["topology", "graph", missingTopology, "--svg", replayOutput + ".svg"], status: 2,
          printed: "no-such-topology.yaml: error: cannot read the file"),
    .init(arguments: ["demo", "--topology", missingTopology, "--out", replayOutput], status: 2,
          printed: "no-such-topology.yaml: error: cannot read the file"),
    .init(arguments: ["demo", "--out", "README.md"], status: 64, printed: "--out README.md: exists and is not a directory\nUsage: vpcemu demo"),
    .init(arguments: ["demo", "--topology", "hub-and-spok"], status: 64,
          printed: "--topology hub-and-spok: no bundled example of that name: did you mean hub-and-spoke?"),
    .init(arguments: ["demo", "--list"], status: 0, printed: "inter-region-bandwidth    An inter-region peering"),
    .init(arguments: ["topology", "check", twoVPCs], status: 0, printed: "0 errors, 0 warnings"),
    .init(arguments: ["topology", "check", "Tests/CLITests/Fixtures/unknown-vswitch.yaml"],
          status: 1, printed: "unknown-vswitch.yaml:41:28: error: instances[1].vswitch"),
    // A duration without a unit: an error naming the file, line, column and field, with the likely units
    .init(arguments: ["topology", "check", "Tests/CLITests/Fixtures/bare-duration.yaml"], status: 1,
          printed: "bare-duration.yaml:6:25: error: settings.intra_region_latency: 100 has no unit: did you mean 100us or 100ms?"),
    .init(arguments: ["ping", "Tests/CLITests/Fixtures/bare-duration.yaml", "--from", "ecs-a", "ecs-b"], status: 2,
          printed: "bare-duration.yaml:6:25: error: settings.intra_region_latency: 100 has no unit"),
    // ports: 80/443 is Alibaba's range 80 through 443: a warning (it reads like a list), a failure with --strict
    .init(arguments: ["topology", "check", "Tests/CLITests/Fixtures/port-list-lookalike.yaml"], status: 0,
          printed: "port-list-lookalike.yaml:51:66: warning: vpcs[1].security_groups[0].rules[0].ports: ports 80/443 is the range 80 through 443 (364 ports)"),
    .init(arguments: ["topology", "check", "--strict", "Tests/CLITests/Fixtures/port-list-lookalike.yaml"], status: 1,
          printed: "0 errors, 2 warnings"),
    // topology show lists security groups and network ACLs with their rules in evaluation order
    .init(arguments: ["topology", "show", interRegion], status: 0,
          printed: "  ingress    1         drop    tcp       22     0.0.0.0/0      no-ssh\n  ingress    1         accept  tcp       80     172.16.0.0/16  http\n"),
    .init(arguments: ["topology", "show", interRegion, "--json"], status: 0, printed: "\"network_acls\" : ["),
    // --version, and the completion scripts the README installs
    .init(arguments: ["--version"], status: 0, printed: "0.1.0\n"),
    .init(arguments: ["--generate-completion-script", "bash"], status: 0, printed: "complete -o filenames -F _vpcemu vpcemu"),
    .init(arguments: ["--generate-completion-script", "zsh"], status: 0, printed: "#compdef vpcemu"),
    .init(arguments: ["--generate-completion-script", "fish"], status: 0, printed: "function __vpcemu_"),
    .init(arguments: ["no-such-command"], status: 64, printed: "Unexpected argument 'no-such-command'"),
]

/// The cases that read a capture of the shared test data.
private let sharedDataCases = exitStatusCases.filter { $0.arguments.contains(dnsOverTCP) }

@Suite struct ExitStatusTests {
    @Test(arguments: exitStatusCases.filter { !$0.arguments.contains(dnsOverTCP) })
    func exitStatus(_ expected: ExitStatusCase) throws {
        try check(expected)
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: VPCEmuProcess.repositoryRoot.appendingPathComponent("../shared/data/README.md").standardized.path),
                   "needs the project's shared test data in ../shared/data beside the checkout (see its README.md)"),
          arguments: sharedDataCases)
    func exitStatusOnSharedData(_ expected: ExitStatusCase) throws {
        try check(expected)
    }

    private func check(_ expected: ExitStatusCase) throws {
        let result = try VPCEmuProcess.run(expected.arguments)
        #expect(result.exitedNormally)
        #expect(result.status == expected.status, "stdout:\n\(result.standardOutput)\nstderr:\n\(result.standardError)")
        #expect((result.standardOutput + result.standardError).contains(expected.printed),
                "expected '\(expected.printed)' in stdout:\n\(result.standardOutput)\nstderr:\n\(result.standardError)")
    }
}
