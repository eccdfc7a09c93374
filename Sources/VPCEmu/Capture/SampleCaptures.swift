/// Deterministic captures made from `PacketBuilder` frames: the bundled example
/// `captures/sample.pcapng`, and the small-packet captures `bench parse` and the capture
/// benchmark measure. Same inputs, same bytes, on every machine.
public enum SampleCaptures {
    /// 2026-01-01T00:00:00Z, the first timestamp of every sample.
    static let epoch: Int64 = 1_767_225_600 * 1_000_000_000

    // MARK: The bundled example

    /// One packet of the bundled sample: a frame and the comment that says what it shows.
    struct SamplePacket {
        var frame: [UInt8]
        var comment: String
    }

    /// Writes the bundled example: a few dozen packets between two peered VPCs — ARP, ICMP
    /// echo, a TCP connection, DNS over UDP, IPv6 (ICMPv6, TCP, UDP), 802.1Q and QinQ tags,
    /// IPv4 fragments — and three deliberately malformed packets. Every packet carries a
    /// pcapng comment saying what it is.
    public static func writeBundledSample(path: String) throws(CaptureError) {
        let writer = try PcapngWriter(path: path, application: "vpcemu SampleCaptures.writeBundledSample")
        let interface = try writer.addInterface(name: "vsw-web-a", linkType: .ethernet)
        var time = epoch
        for packet in bundledSamplePackets() {
            let written = packet.frame.withUnsafeBytes { frame in
                Result { () throws(CaptureError) in
                    try writer.write(interface: interface, frame, timestamp: time, comment: packet.comment)
                }
            }
            try written.get()
            time += 1_250_000  // 1.25 ms apart
        }
        try writer.finish()
    }

    static func bundledSamplePackets() -> [SamplePacket] {
        let web = IPAddress.v4(IPv4Address(10, 0, 1, 10))
        let peer = IPAddress.v4(IPv4Address(10, 0, 1, 20))
        let database = IPAddress.v4(IPv4Address(10, 1, 2, 30))
        let resolver = IPAddress.v4(IPv4Address(10, 0, 0, 2))
        let web6 = IPAddress.v6(IPv6Address(high: 0x2001_0db8_000a_0001, low: 0x10))
        let database6 = IPAddress.v6(IPv6Address(high: 0x2001_0db8_000b_0002, low: 0x30))
        let webMAC: UInt64 = 0x0200_0a00_010a
        let gatewayMAC: UInt64 = 0x0200_0a00_0101
        let ethernet = EthernetSpec(destinationMAC: gatewayMAC, sourceMAC: webMAC)
        let reply = EthernetSpec(destinationMAC: webMAC, sourceMAC: gatewayMAC)

        var packets: [SamplePacket] = []
        func add(_ spec: PacketSpec, _ comment: String) {
            packets.append(SamplePacket(frame: PacketBuilder.frame(for: spec), comment: comment))
        }
        func tcp(_ from: IPAddress, _ to: IPAddress, _ ports: (UInt16, UInt16), _ flags: TCPFlags,
                 sequence: UInt32, acknowledgment: UInt32, payload: Int = 0, outbound: Bool) -> PacketSpec {
            PacketSpec(
                ethernet: outbound ? ethernet : reply, source: from, destination: to, dontFragment: true,
                transport: .tcp(TCPSegmentSpec(
                    sourcePort: ports.0, destinationPort: ports.1, sequence: sequence,
                    acknowledgment: acknowledgment, flags: flags)),
                payload: (0 ..< payload).map { UInt8(truncatingIfNeeded: $0) })
        }

        packets.append(SamplePacket(
            frame: arp(request: true, senderMAC: webMAC, sender: 0x0A00_010A, targetMAC: 0, target: 0x0A00_0114),
            comment: "ARP who-has 10.0.1.20 (not IP: counted as non-IP)"))
        packets.append(SamplePacket(
            frame: arp(request: false, senderMAC: gatewayMAC, sender: 0x0A00_0114, targetMAC: webMAC, target: 0x0A00_010A),
            comment: "ARP reply: the vSwitch answers for 10.0.1.20"))
        for sequence: UInt16 in 1 ... 2 {
            add(PacketSpec(ethernet: ethernet, source: web, destination: peer,
                           transport: .icmpEcho(isRequest: true, identifier: 0x77, sequence: sequence),
                           payload: Array(repeating: 0x61, count: 56)),
                "ping 10.0.1.20 within vsw-web-a, request \(sequence)")
            add(PacketSpec(ethernet: reply, source: peer, destination: web,
                           transport: .icmpEcho(isRequest: false, identifier: 0x77, sequence: sequence),
                           payload: Array(repeating: 0x61, count: 56)),
                "ping reply \(sequence)")
        }
        add(PacketSpec(ethernet: ethernet, source: web, destination: resolver,
                       transport: .udp(sourcePort: 53_001, destinationPort: 53), payload: Array(repeating: 0x3F, count: 33)),
            "DNS query to the VPC resolver")
        add(PacketSpec(ethernet: reply, source: resolver, destination: web,
                       transport: .udp(sourcePort: 53, destinationPort: 53_001), payload: Array(repeating: 0x3F, count: 49)),
            "DNS answer")
        let ports: (UInt16, UInt16) = (40_000, 5432)
        let back: (UInt16, UInt16) = (5432, 40_000)
        add(tcp(web, database, ports, [.syn], sequence: 1000, acknowledgment: 0, outbound: true),
            "TCP SYN to the database in the peered VPC (10.1.0.0/16)")
        add(tcp(database, web, back, [.syn, .ack], sequence: 5000, acknowledgment: 1001, outbound: false), "TCP SYN-ACK")
        add(tcp(web, database, ports, [.ack], sequence: 1001, acknowledgment: 5001, outbound: true), "TCP ACK")
        add(tcp(web, database, ports, [.psh, .ack], sequence: 1001, acknowledgment: 5001, payload: 120, outbound: true),
            "TCP query, 120 bytes")
        add(tcp(database, web, back, [.psh, .ack], sequence: 5001, acknowledgment: 1121, payload: 400, outbound: false),
            "TCP result, 400 bytes")
        add(tcp(web, database, ports, [.fin, .ack], sequence: 1121, acknowledgment: 5401, outbound: true), "TCP FIN")
        add(tcp(database, web, back, [.fin, .ack], sequence: 5401, acknowledgment: 1122, outbound: false), "TCP FIN")
        add(tcp(web, database, ports, [.ack], sequence: 1122, acknowledgment: 5402, outbound: true), "TCP last ACK")

        add(PacketSpec(ethernet: ethernet, source: web6, destination: database6,
                       transport: .icmpEcho(isRequest: true, identifier: 9, sequence: 1), payload: Array(repeating: 0x36, count: 16)),
            "ping over IPv6 across the peering")
        add(PacketSpec(ethernet: reply, source: database6, destination: web6,
                       transport: .icmpEcho(isRequest: false, identifier: 9, sequence: 1), payload: Array(repeating: 0x36, count: 16)),
            "IPv6 ping reply")
        add(tcp(web6, database6, (40_001, 443), [.syn], sequence: 7, acknowledgment: 0, outbound: true), "TCP SYN over IPv6")
        add(tcp(database6, web6, (443, 40_001), [.rst, .ack], sequence: 0, acknowledgment: 8, outbound: false),
            "TCP RST over IPv6: nothing listens on 443")
        add(PacketSpec(ethernet: ethernet, source: web6, destination: database6, ipv6ExtensionHeaders: [.destinationOptions(units: 0)],
                       transport: .udp(sourcePort: 5353, destinationPort: 5353), payload: Array(repeating: 1, count: 20)),
            "UDP over IPv6 behind a destination-options header")

        add(PacketSpec(ethernet: EthernetSpec(destinationMAC: gatewayMAC, sourceMAC: webMAC, vlanIDs: [100]),
                       source: web, destination: peer, transport: .udp(sourcePort: 4789, destinationPort: 4789),
                       payload: Array(repeating: 2, count: 30)),
            "802.1Q VLAN 100")
        add(PacketSpec(ethernet: EthernetSpec(destinationMAC: gatewayMAC, sourceMAC: webMAC, vlanIDs: [200, 2001]),
                       source: web, destination: peer, transport: .icmpEcho(isRequest: true, identifier: 1, sequence: 1)),
            "802.1ad QinQ: service VLAN 200, customer VLAN 2001")

        add(PacketSpec(ethernet: ethernet, source: web, destination: database, identification: 0x4242,
                       fragment: FragmentSpec(offset: 0, moreFragments: true),
                       transport: .udp(sourcePort: 40_002, destinationPort: 9000), payload: Array(repeating: 3, count: 1472)),
            "IPv4 first fragment: carries the UDP header")
        add(PacketSpec(ethernet: ethernet, source: web, destination: database, identification: 0x4242,
                       fragment: FragmentSpec(offset: 1480, moreFragments: false),
                       transport: .udp(sourcePort: 40_002, destinationPort: 9000), payload: Array(repeating: 3, count: 520)),
            "IPv4 last fragment: no ports")

        // Deliberately malformed packets: each is counted under its reason and the rest go on.
        let ethernetHeaderLength = 14
        var truncated = PacketBuilder.frame(for: tcp(web, database, ports, [.ack], sequence: 1, acknowledgment: 1, outbound: true))
        truncated.removeLast(truncated.count - (ethernetHeaderLength + 12))
        packets.append(SamplePacket(frame: truncated, comment: "malformed on purpose: cut 12 bytes into the IPv4 header"))
        var badChecksum = PacketBuilder.frame(for: PacketSpec(
            ethernet: ethernet, source: web, destination: peer, transport: .udp(sourcePort: 1, destinationPort: 2)))
        badChecksum[ethernetHeaderLength + 10] ^= 0xFF
        packets.append(SamplePacket(frame: badChecksum, comment: "malformed on purpose: IPv4 header checksum corrupted"))
        var badVersion = PacketBuilder.frame(for: PacketSpec(
            ethernet: ethernet, source: web, destination: peer, transport: .icmpEcho(isRequest: true, identifier: 2, sequence: 2)))
        badVersion[ethernetHeaderLength] = 0x65  // version 6 under EtherType IPv4
        packets.append(SamplePacket(frame: badVersion, comment: "malformed on purpose: IP version 6 under EtherType 0x0800"))
        return packets
    }

    /// An Ethernet ARP request or reply for IPv4 over Ethernet (RFC 826).
    static func arp(request: Bool, senderMAC: UInt64, sender: UInt32, targetMAC: UInt64, target: UInt32) -> [UInt8] {
        func mac(_ value: UInt64) -> [UInt8] { (0 ..< 6).map { UInt8(truncatingIfNeeded: value >> (40 - 8 * $0)) } }
        func ipv4(_ value: UInt32) -> [UInt8] { (0 ..< 4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }
        let destination = request ? mac(0xFFFF_FFFF_FFFF) : mac(targetMAC)
        return destination + mac(senderMAC) + [0x08, 0x06]
            + [0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, request ? 1 : 2]
            + mac(senderMAC) + ipv4(sender) + mac(targetMAC) + ipv4(target)
            + Array(repeating: 0, count: 18)  // padding to the 60-byte Ethernet minimum
    }

    // MARK: Benchmark captures

    /// Writes `count` small packets (46–78 bytes: Ethernet + IPv4/IPv6 + UDP/TCP/ICMP + 4 bytes of data, the sizes
    /// that stress per-packet cost) as a nanosecond pcap. 64 distinct frames repeat in order.
    public static func writeSmallPacketCapture(path: String, count: Int) throws(CaptureError) {
        let writer = try PcapWriter(path: path, linkType: .ethernet, snapshotLength: 65_535)
        var frames = ContiguousArray<UInt8>()
        var ends: [Int] = []
        for index in 0 ..< 64 {
            let low = UInt8(truncatingIfNeeded: index)
            let source: IPAddress
            let destination: IPAddress
            if index % 4 == 3 {
                source = .v6(IPv6Address(high: 0x2001_0db8_000a_0001, low: UInt64(index)))
                destination = .v6(IPv6Address(high: 0x2001_0db8_000b_0002, low: UInt64(index) << 8))
            } else {
                source = .v4(IPv4Address(10, 0, 1, low))
                destination = .v4(IPv4Address(10, 1, low, 30))
            }
            let port = UInt16(40_000 + index)
            let transport: TransportSpec = switch index % 3 {
            case 0: .udp(sourcePort: port, destinationPort: 53)
            case 1: .tcp(TCPSegmentSpec(sourcePort: port, destinationPort: 443, flags: [.ack]))
            default: .icmpEcho(isRequest: true, identifier: port, sequence: 1)
            }
            PacketBuilder.build(
                PacketSpec(ethernet: EthernetSpec(), source: source, destination: destination, transport: transport,
                           payload: Array(repeating: low, count: 4)),
                into: &frames)
            ends.append(frames.count)
        }
        frames.withUnsafeBytes { bytes in
            for packet in 0 ..< count {
                let template = packet % ends.count
                let start = template == 0 ? 0 : ends[template - 1]
                writer.write(UnsafeRawBufferPointer(rebasing: bytes[start ..< ends[template]]),
                             timestamp: epoch + Int64(packet) * 1000)
            }
        }
        try writer.finish()
    }
}
