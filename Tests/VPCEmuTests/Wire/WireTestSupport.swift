@testable import VPCEmu

/// A real captured frame, copied as hex from a file of tcpdump's test corpus
/// (../shared/data/pcap-corpus/tcpdump/) with the index of the record.
struct RealFrame: CustomStringConvertible, Sendable {
    let name: String
    let source: String
    let linkType: LinkType
    let hex: String

    var bytes: [UInt8] { bytesFromHex(hex) }
    var description: String { name }

    static let dnsQueryUDP = RealFrame(
        name: "Ethernet IPv4 UDP DNS query", source: "dns_udp.pcap#0", linkType: .ethernet,
        hex: "00112233446600112233445508004500005459cd0000401194aec0a8010bd157f912abbe003500407824593401200001000000000001037777770774637064756d70036f72670000010001000029100000000000000c000a000842f5d00996f90b13")
    static let tcpSYNWithOptions = RealFrame(
        name: "Ethernet IPv4 TCP SYN with options", source: "dns_tcp.pcap#0", linkType: .ethernet,
        hex: "00112233446600112233445508004500003c9b28400040061376c0a8010bd157f91283f3003523fec80c00000000a002faf00c410000020405b40402080a79e2ca9a0000000001030307")
    static let icmpEchoRequest = RealFrame(
        name: "Ethernet IPv4 ICMP echo request", source: "dhcp-rfc4388.pcap (first ICMP record)", linkType: .ethernet,
        hex: "7483ef07d0a9a6824bc9a1a708004500003061b440004001becc0a2802030a1e04040800b7db402400000000000000000000000000000000000000000000")
    static let ipv6AuthenticationHeader = RealFrame(
        name: "Ethernet IPv6 AH OSPFv3", source: "OSPFv3_with_AH.pcap#0", linkType: .ethernet,
        hex: "333300000005c20068b3000186dd6e000000003c3301fe800000000000000000000000000001ff02000000000000000000000000000559040000000001000000001321d3a95c5ffd4d184622b9f8030100240101010100000001fb8600000000000501000013000a00280000000000000000")
    static let ipv6RoutingHeaderEcho = RealFrame(
        name: "Ethernet IPv6 routing header ICMPv6 echo", source: "ipv6-routing-header.pcap#0", linkType: .ethernet,
        hex: "0013c4c784f000123fae22f786dd6000000000202b04220000000000024402123ffffeae22f7220000000000024000020000000000043a02000100000000220000000000021000020000000000048000d3ab00000000")
    static let qinqARP = RealFrame(
        name: "Ethernet QinQ ARP", source: "802.1ad_QinQ.pcap#0", linkType: .ethernet,
        hex: "ffffffffffff0020d25afb3f88a800c8810007d1080600010800060400010020d25afb3fac154f61000000000000ac154f640000000000000000000000000000")
    /// Its TCP checksum is wrong in the capture (tcpdump: "incorrect -> 0x8f66").
    static let nullLoopbackTCPReset = RealFrame(
        name: "NULL loopback IPv4 TCP RST", source: "tcp_rst_diag_payload.pcap#0", linkType: .null,
        hex: "020000004500003000000000ff06391dc0000201c0a800019b951f900000000113f49af15014000086a8000033aa000100000000")
    static let rawIPv4UDP = RealFrame(
        name: "raw IPv4 UDP", source: "LINKTYPE_RAW_ipv4.pcap#0", linkType: .raw,
        hex: "45000039000100004011a695c0a80164090909093039003500251976123401000001000000000000076578616d706c6503636f6d0000010001")
    static let ipv6LinkTypeUDP = RealFrame(
        name: "LINKTYPE_IPV6 UDP", source: "LINKTYPE_IPV6.pcap#0", linkType: .ipv6,
        hex: "600000000025114020010db8000000000000000000000001262000fe00000000000000000000000930390035002598b3123401000001000000000000076578616d706c6503636f6d0000010001")
    /// Captured on the sending host: the TCP checksum was left to the NIC (tcpdump: "incorrect").
    static let sllIPv6TCP = RealFrame(
        name: "Linux SLL IPv6 TCP", source: "bgp-enhanced-route-refresh-subtype.pcapng#0", linkType: .linuxSLL,
        hex: "00040001000618c04d96fa3f000086dd6c08b071003706012a020abc0000000000000000000000172a020abc000000000000000000000123937a00b3ecdc6faf2c40d07f801801f56af300000101080a581859156c491f41ffffffffffffffffffffffffffffffff00170500010001")
    /// Loopback capture with an unfilled UDP checksum (tcpdump: "bad udp cksum").
    static let sllIPv4UDP = RealFrame(
        name: "Linux SLL IPv4 UDP", source: "RADIUS-RFC4675.pcap#0", linkType: .linuxSLL,
        hex: "000003040006000000000000000008004500006c5154000040112b2b7f0000017f000001d05607140058fe6b01460050f44757bc498c3393763a27d0b2393702010c626f622d7461676765640212a30e22b0369e89f89eb6e0612c2c3c2304067f0000010506000000015012ffb19e8ea9620aec372d7fa3b2c76287")

    static let pppLDPHello = RealFrame(
        name: "PPP (HDLC-framed) IPv4 UDP LDP hello", source: "mpls-ldp-hello.pcap#0", linkType: .ppp,
        hex: "ff03002145c000463cdb0000011191060a010103e0000002028602860032d49e000100260a01000200000100001c0001197004000004000f0000040100040a0100020402000400000001")
    /// The same frame as LINKTYPE_PPP_HDLC, whose framing is mandatory.
    static let pppHDLCLDPHello = RealFrame(
        name: "PPP_HDLC IPv4 UDP LDP hello", source: "mpls-ldp-hello.pcap#0 as LINKTYPE_PPP_HDLC", linkType: .pppHDLC, hex: pppLDPHello.hex)
    /// Attributes (in the capturing host's little-endian order) before the payload (type 9).
    static let nflogDNSAnswer = RealFrame(
        name: "NFLOG IPv4 UDP DNS answer", source: "nflog.pcap#0", linkType: .nflog,
        hex: "02000014080001000800012705000a00000000000800040000000002100008000006ffffb8a386b9c3d6000006000f000001000006001100000e0000120010000811961c10c8b8a386b9c3d6080000001400030000000000522a1f9e00000000000960fc4d00090045000049000040003711c5144a522a2a0a0000140035a65900356ddf437181800001000100000000076578616d706c6503636f6d0000010001c00c0001000100002f9600045db8d877000000")
    /// A 60-byte radiotap header (TSFT, flags without FCS, …), then an 802.11 QoS data frame with
    /// HT control (order bit), to DS, LLC/SNAP, IPv4 UDP DHCP.
    static let radiotapQoSDataDHCP = RealFrame(
        name: "radiotap 802.11 QoS data with HT control, IPv4 UDP DHCP", source: "ieee802.11_htc.pcap#0", linkType: .radiotap,
        hex: "00003c006b08804086b2ae390000000004003c144001d3950000fcc3fe00e5690f008021027f00037f001000cb050204feff000000000000e06e8e2788813000368094c0228bb0be835b4b40ffffffffffff7005161bffffffffaaaa030000000800450001485b000000ff115fa500000000ffffffff004400430134956001010600f6afdddd0000000000000000000000000000000000000000b0be835b4b400000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000063825363350101370c017903060f6c7277fc5f2c2e390205dc3d0701b0be835b4b4033040076a7000c0f536562617374696573744d42503133ff000000000000")
    /// The same 802.11 frame without its radiotap header (LINKTYPE_IEEE802_11).
    static let ieee80211QoSDataDHCP = RealFrame(
        name: "802.11 QoS data with HT control, IPv4 UDP DHCP", source: "ieee802.11_htc.pcap#0 after its radiotap header",
        linkType: .ieee80211, hex: String(radiotapQoSDataDHCP.hex.dropFirst(120)))

    static let all: [RealFrame] = [
        dnsQueryUDP, tcpSYNWithOptions, icmpEchoRequest, ipv6AuthenticationHeader, ipv6RoutingHeaderEcho, qinqARP,
        nullLoopbackTCPReset, rawIPv4UDP, ipv6LinkTypeUDP, sllIPv6TCP, sllIPv4UDP,
        pppLDPHello, pppHDLCLDPHello, nflogDNSAnswer, radiotapQoSDataDHCP, ieee80211QoSDataDHCP,
    ]
}

func bytesFromHex(_ hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    precondition(digits.count % 2 == 0, "odd hex string")
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
}

/// Parses a byte array (tests only; the hot path works on buffers).
func parse(_ bytes: [UInt8], _ linkType: LinkType, wireLength: Int? = nil,
           options: ParseOptions = [.verifyTransportChecksums]) -> (ParseOutcome, PacketHeaders) {
    var headers = PacketHeaders()
    let outcome = bytes.withUnsafeBytes {
        PacketParser.parse($0, linkType: linkType, wireLength: wireLength, options: options, into: &headers)
    }
    return (outcome, headers)
}

/// RFC 1071 done the slow, obvious way: 16-bit big-endian words, odd byte padded.
func referenceChecksumSum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var sum: UInt32 = 0
    var index = bytes.startIndex
    while index < bytes.endIndex {
        let high = UInt32(bytes[index])
        let low = index + 1 < bytes.endIndex ? UInt32(bytes[index + 1]) : 0
        sum += high << 8 | low
        sum = (sum & 0xFFFF) + (sum >> 16)
        index += 2
    }
    return sum
}

extension ParseOutcome {
    var malformedReason: MalformedReason? {
        if case .malformed(let reason) = self { return reason }
        return nil
    }
}
