import ArgumentParser
import VPCEmu

/// `vpcemu inspect FILE…`: what is in a capture, per file.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Summarise pcap/pcapng files: link type, packets, time span, protocols, malformed packets.",
        discussion: """
            Exits with status 0 only when every file was read to its end; a damaged or unreadable \
            file is reported (with the record where the damage starts) and the exit status is 1.
            """
    )

    @Argument(help: "Capture files (pcap or pcapng).", completion: .file())
    var files: [String]

    @Flag(help: "Also print one line per packet: time, source → destination, protocol, ports or ICMP type, length, or why it is malformed.")
    var packets = false

    @Flag(help: "Print one JSON object per file and line instead of the text summary.")
    var json = false

    @Flag(help: "Also verify ICMP, ICMPv6, TCP and UDP checksums (off by default: checksum offload leaves them unfilled in captures taken on a sender).")
    var verifyChecksums = false

    func validate() throws {
        if packets && json {
            throw ValidationError("--packets prints text lines; it cannot be mixed with --json.")
        }
    }

    func run() throws {
        var batch = PacketBatch()
        let options: ParseOptions = verifyChecksums ? .verifyTransportChecksums : []
        var everyFileComplete = true
        for (position, file) in files.enumerated() {
            var summary = CaptureSummary(file: file)
            if packets {
                var listing = PacketListing(output: StandardOutput())
                summary.read(batch: &batch, options: options, alsoShowing: &listing)
            } else {
                summary.read(batch: &batch, options: options)
            }
            if json {
                print(summary.json)
            } else {
                if position > 0 || packets { print() }
                print(summary.text)
            }
            if summary.error != nil { everyFileComplete = false }
        }
        if !everyFileComplete { throw ExitCode(1) }
    }
}

/// Standard output as a `TextOutputStream` (print's buffering).
private struct StandardOutput: TextOutputStream {
    mutating func write(_ string: String) { print(string, terminator: "") }
}
