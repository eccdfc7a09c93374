/// `inspect --packets`: one line per packet — index, time, source → destination, protocol with
/// ports or ICMP type/code, length — or the reason a packet is malformed. Lines go to `output`
/// as they are made.
public struct PacketListing<Output: TextOutputStream>: PacketVisitor {
    public var output: Output

    public init(output: Output) {
        self.output = output
    }

    public mutating func visit(
        index: Int, frame: UnsafeRawBufferPointer, headers: PacketHeaders, outcome: ParseOutcome
    ) {
        output.write(Self.line(index: index, headers: headers, outcome: outcome))
        output.write("\n")
    }

    public static func line(index: Int, headers: PacketHeaders, outcome: ParseOutcome) -> String {
        let prefix = "\(index) \(Timestamp.iso8601(headers.timestampNanoseconds)) "
        let length = "len \(headers.wireLength)"
        let vlan = headers.vlanTagCount == 0 ? ""
            : headers.vlanTagCount == 1 ? " vlan \(headers.outerVLANID)"
            : " vlan \(headers.outerVLANID)/\(headers.innerVLANID)"
        switch outcome {
        case .malformed(let reason):
            return prefix + "malformed \(reason.code) (\(reason.explanation))\(vlan) " + length
        case .notIP(let type):
            let hex = String(type, radix: 16, uppercase: false)
            return prefix + "non-IP 0x" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + vlan + " " + length
        case .ip:
            let name = headers.ipProtocol == IPProtocolNumber.icmpv6 ? "ICMPv6" : IPProtocolName.of(headers.ipProtocol).uppercased()
            var source = headers.source.description
            var destination = headers.destination.description
            var detail = ""
            if headers.hasTransportHeader {
                switch headers.ipProtocol {
                case IPProtocolNumber.tcp, IPProtocolNumber.udp:
                    if headers.family == .ipv6 {
                        source = "[\(source)]"
                        destination = "[\(destination)]"
                    }
                    source += ":\(headers.sourcePort)"
                    destination += ":\(headers.destinationPort)"
                    if headers.ipProtocol == IPProtocolNumber.tcp { detail = " [\(flags(headers.tcpFlags))]" }
                case IPProtocolNumber.icmp, IPProtocolNumber.icmpv6:
                    detail = " type \(headers.icmpType) code \(headers.icmpCode)"
                    if isEcho(headers) { detail += " id \(headers.icmpIdentifier) seq \(headers.icmpSequence)" }
                default:
                    break
                }
            }
            if headers.fragment.isFragment {
                detail += " frag id \(headers.fragment.identification) off \(headers.fragment.offset)"
                    + (headers.fragment.moreFragments ? "+" : "")
            }
            return prefix + "\(source) → \(destination) \(name)\(detail)\(vlan) " + length
        }
    }

    private static func isEcho(_ headers: PacketHeaders) -> Bool {
        headers.ipProtocol == IPProtocolNumber.icmp
            ? headers.icmpType == 0 || headers.icmpType == 8
            : headers.icmpType == 128 || headers.icmpType == 129
    }

    /// tcpdump's letters: S F R P U E W, "." for ACK.
    private static func flags(_ flags: TCPFlags) -> String {
        let letters: [(TCPFlags, String)] = [
            (.syn, "S"), (.fin, "F"), (.rst, "R"), (.psh, "P"), (.urg, "U"), (.ece, "E"), (.cwr, "W"), (.ack, "."),
        ]
        let text = letters.filter { flags.contains($0.0) }.map(\.1).joined()
        return text.isEmpty ? "none" : text
    }
}
