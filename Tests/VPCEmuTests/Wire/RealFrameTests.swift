import Testing
@testable import VPCEmu

/// Known frames from real captures, decoded field by field (values as tcpdump -v prints them).
@Suite struct RealFrameTests {
    @Test func ethernetIPv4UDP() throws {
        let (outcome, h) = parse(RealFrame.dnsQueryUDP.bytes, .ethernet)
        #expect(outcome == .ip)
        #expect(h.family == .ipv4)
        #expect(h.source == IPAddress("192.168.1.11"))
        #expect(h.destination == IPAddress("209.87.249.18"))
        #expect(h.ipProtocol == 17 && h.hasTransportHeader)
        #expect(h.sourcePort == 43966 && h.destinationPort == 53)
        #expect(h.ttl == 64 && h.ipTotalLength == 84 && h.fragment.identification == 22989)
        #expect(h.l3Offset == 14 && h.l4Offset == 34 && h.payloadLength == 56)
        #expect(h.capturedLength == 98 && h.wireLength == 98 && h.vlanTagCount == 0)
        #expect(!h.fragment.isFragment && !h.fragment.dontFragment)
    }

    @Test func ethernetIPv4TCPWithOptions() {
        let (outcome, h) = parse(RealFrame.tcpSYNWithOptions.bytes, .ethernet)
        #expect(outcome == .ip)
        #expect(h.sourcePort == 33779 && h.destinationPort == 53)
        #expect(h.tcpFlags == [.syn])
        #expect(h.fragment.dontFragment && !h.fragment.isFragment)
        #expect(h.ipTotalLength == 60 && h.payloadLength == 0 && h.l4Offset == 34)
    }

    @Test func ethernetIPv4ICMPEcho() {
        let (outcome, h) = parse(RealFrame.icmpEchoRequest.bytes, .ethernet)
        #expect(outcome == .ip)
        #expect(h.source == IPAddress("10.40.2.3") && h.destination == IPAddress("10.30.4.4"))
        #expect(h.ipProtocol == 1 && h.icmpType == 8 && h.icmpCode == 0)
        #expect(h.icmpIdentifier == 16420 && h.icmpSequence == 0)
        #expect(h.payloadLength == 20 && h.sourcePort == 0)
    }

    @Test func ipv6AuthenticationHeaderIsSkipped() {
        let (outcome, h) = parse(RealFrame.ipv6AuthenticationHeader.bytes, .ethernet)
        #expect(outcome == .ip)
        #expect(h.family == .ipv6)
        #expect(h.source == IPAddress("fe80::1") && h.destination == IPAddress("ff02::5"))
        #expect(h.ttl == 1 && h.trafficClass == 0xE0)
        #expect(h.ipProtocol == 89 && !h.hasTransportHeader)  // OSPF after AH (4 + 2 words = 24 bytes)
        #expect(h.l4Offset == 14 + 40 + 24 && h.ipTotalLength == 100 && h.payloadLength == 36)
    }

    @Test func ipv6RoutingHeaderThenICMPv6Echo() {
        let (outcome, h) = parse(RealFrame.ipv6RoutingHeaderEcho.bytes, .ethernet)
        #expect(outcome == .ip)
        #expect(h.destination == IPAddress("2200::240:2:0:0:4"))
        #expect(h.ipProtocol == 58 && h.icmpType == 128 && h.icmpIdentifier == 0 && h.icmpSequence == 0)
        #expect(h.l4Offset == 14 + 40 + 24 && h.ttl == 4)
    }

    @Test func qinqFrameIsNotIPWithBothVLANs() {
        let (outcome, h) = parse(RealFrame.qinqARP.bytes, .ethernet)
        #expect(outcome == .notIP(0x0806))
        #expect(h.vlanTagCount == 2 && h.outerVLANID == 200 && h.innerVLANID == 2001)
    }

    @Test func nullLoopbackTCPWithOffloadedChecksum() {
        let frame = RealFrame.nullLoopbackTCPReset.bytes
        let (outcome, h) = parse(frame, .null, options: [])
        #expect(outcome == .ip)
        #expect(h.l3Offset == 4 && h.source == IPAddress("192.0.2.1") && h.destinationPort == 8080)
        #expect(h.tcpFlags == [.rst, .ack] && h.payloadLength == 8 && h.ttl == 255)
        #expect(parse(frame, .null).0 == .malformed(.badTCPChecksum))
    }

    @Test func rawAndLinkTypeIPFrames() {
        let (raw, v4) = parse(RealFrame.rawIPv4UDP.bytes, .raw)
        #expect(raw == .ip && v4.destination == IPAddress("9.9.9.9") && v4.sourcePort == 12345 && v4.payloadLength == 29)
        let (ipv6, v6) = parse(RealFrame.ipv6LinkTypeUDP.bytes, .ipv6)
        #expect(ipv6 == .ip && v6.source == IPAddress("2001:db8::1") && v6.destination == IPAddress("2620:fe::9"))
        #expect(v6.destinationPort == 53 && v6.ipTotalLength == 77 && v6.l3Offset == 0 && v6.l4Offset == 40)
        #expect(parse(RealFrame.ipv6LinkTypeUDP.bytes, .raw).1 == v6)
        #expect(parse(RealFrame.rawIPv4UDP.bytes, .ipv4).1 == v4)
        #expect(parse(RealFrame.rawIPv4UDP.bytes, .ipv6).0 == .malformed(.badVersion))
        #expect(parse(RealFrame.ipv6LinkTypeUDP.bytes, .ipv4).0 == .malformed(.badVersion))
    }

    /// Both cooked captures were taken on the sending host (loopback, offload), so their
    /// transport checksums are unfilled: fine by default, refused when verification is on.
    @Test func linuxCookedCaptures() {
        let (outcome6, h6) = parse(RealFrame.sllIPv6TCP.bytes, .linuxSLL, options: [])
        #expect(outcome6 == .ip && h6.l3Offset == 16 && h6.family == .ipv6)
        #expect(h6.sourcePort == 37754 && h6.destinationPort == 179 && h6.tcpFlags == [.psh, .ack])
        #expect(h6.trafficClass == 0xC0 && h6.payloadLength == 23 && h6.ttl == 1)
        #expect(parse(RealFrame.sllIPv6TCP.bytes, .linuxSLL).0 == .malformed(.badTCPChecksum))
        let (outcome4, h4) = parse(RealFrame.sllIPv4UDP.bytes, .linuxSLL, options: [])
        #expect(parse(RealFrame.sllIPv4UDP.bytes, .linuxSLL).0 == .malformed(.badUDPChecksum))
        #expect(outcome4 == .ip && h4.source == IPAddress("127.0.0.1") && h4.destinationPort == 1812 && h4.payloadLength == 80)
    }

    /// Frames whose captures say "sum ok" pass transport checksum verification.
    @Test(arguments: [RealFrame.dnsQueryUDP, .tcpSYNWithOptions, .icmpEchoRequest, .ipv6RoutingHeaderEcho,
                      .rawIPv4UDP, .ipv6LinkTypeUDP])
    func correctChecksumsVerify(frame: RealFrame) {
        #expect(parse(frame.bytes, frame.linkType, options: [.verifyTransportChecksums]).0 == .ip)
    }

    /// Every byte of the IPv4 header is covered by its checksum.
    @Test func everyIPv4HeaderBitFlipIsCaught() {
        let frame = RealFrame.dnsQueryUDP.bytes
        for byte in 14..<34 {
            for bit in 0..<8 {
                var damaged = frame
                damaged[byte] ^= 1 << bit
                let outcome = parse(damaged, .ethernet).0
                #expect(outcome != .ip, "flip of byte \(byte) bit \(bit) went unnoticed")
            }
        }
    }
}
