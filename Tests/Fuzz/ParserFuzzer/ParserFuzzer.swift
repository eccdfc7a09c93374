// libFuzzer entry point for the Wire parser. Built by Fuzz/run.sh together with the sources of
// Sources/VPCEmu/Wire and Sources/VPCEmu/Addressing (one module, so internal API is visible).
//
// Input layout: byte 0 selects the link type (low 3 bits), transport checksum verification
// (bit 3) and snaplen truncation (bit 4); the rest is the frame.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let control = data[0]
    let linkType = LinkType.allCases[Int(control & 7) % LinkType.allCases.count]
    let options: ParseOptions = control & 8 != 0 ? [.verifyTransportChecksums] : []
    let wireLength: Int? = control & 16 != 0 ? size + 100 : nil
    var frame = ContiguousArray(UnsafeBufferPointer(start: data + 1, count: size - 1))
    var headers = PacketHeaders()
    let outcome = frame.withUnsafeBytes {
        PacketParser.parse($0, linkType: linkType, wireLength: wireLength, options: options, into: &headers)
    }
    guard outcome == .ip else { return 0 }

    // What a success promises: offsets inside the frame, lengths that add up.
    let l3 = Int(headers.l3Offset), l4 = Int(headers.l4Offset)
    precondition(l3 + (headers.family == .ipv4 ? 20 : 40) <= l4 && l4 <= frame.count, "offsets out of bounds")
    precondition(Int(headers.ipTotalLength) >= l4 - l3, "total length below the headers")
    precondition(headers.isSnapped || l3 + Int(headers.ipTotalLength) <= frame.count, "IP packet past the frame")
    precondition(!(headers.fragment.isNonFirst && headers.hasTransportHeader), "ports from a non-first fragment")

    // The forwarding helpers must work on anything the parser accepted.
    var answer = ContiguousArray<UInt8>()
    let router: IPAddress = headers.family == .ipv4 ? .v4(IPv4Address(10, 0, 0, 1)) : .v6(IPv6Address(high: 1, low: 1))
    frame.withUnsafeBytes {
        _ = TimeExceeded.build(answering: $0, headers: headers, router: router, into: &answer)
    }
    var answerHeaders = PacketHeaders()
    let answerOutcome = answer.withUnsafeBytes {
        PacketParser.parse($0, linkType: .raw, options: [.verifyTransportChecksums], into: &answerHeaders)
    }
    precondition(answerOutcome == .ip, "time-exceeded answer does not parse: \(answerOutcome)")

    let ttl = headers.ttl
    let decremented = frame.withUnsafeMutableBytes { HopLimit.decrement($0, headers: &headers) }
    if decremented == .decremented {
        var reparsed = PacketHeaders()
        let again = frame.withUnsafeBytes {
            PacketParser.parse($0, linkType: linkType, wireLength: wireLength, options: options, into: &reparsed)
        }
        precondition(again == .ip && reparsed.ttl == ttl - 1, "TTL decrement broke the packet")
    }
    return 0
}
