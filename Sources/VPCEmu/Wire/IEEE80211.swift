/// IEEE 802.11 frames (IEEE Std 802.11-2020 section 9.2) as captured, with or without a radiotap
/// header (https://www.radiotap.org). Only data frames carry IP: their body starts with an
/// LLC/SNAP header (RFC 1042: AA AA 03, OUI 00-00-00 or 00-00-F8 for bridge tunnelling, then an
/// EtherType). Everything else is not IP, reported as `notIP` with the frame control's first
/// byte (type and subtype, below 0x100): management, control and extension frames, data frames
/// without a body (null, CF-only), protected (encrypted) bodies, A-MSDU aggregates and
/// protocol versions other than 0. A data body with LLC but no SNAP is `notIP(DSAP)`.
enum IEEE80211 {
    /// Frame control (2), duration (2), three addresses (18), sequence control (2).
    static let headerLength = 24
    static let address4Length = 6
    static let qosControlLength = 2
    static let htControlLength = 4
    static let snapHeaderLength = 8
    static let dataType: UInt8 = 2
    /// Flags (frame control's second byte).
    static let toDS: UInt8 = 0x01
    static let fromDS: UInt8 = 0x02
    static let protected: UInt8 = 0x40
    /// In QoS data frames: an HT or VHT control field follows the QoS control (802.11n).
    static let order: UInt8 = 0x80
    /// Subtype bits (in frame control's first byte): QoS data, and "no data" (null, CF-Ack, CF-Poll).
    static let qosSubtype: UInt8 = 0x80
    static let noDataSubtype: UInt8 = 0x40
    /// QoS control bit 7: the body is an A-MSDU.
    static let amsduPresent: UInt8 = 0x80

    /// Radiotap: version (1), pad (1), length (2, little-endian), present bitmap (4, more when bit
    /// 31 is set), then the fields in bit order, each aligned to its size.
    static let radiotapMinimumLength = 8
    static let radiotapExtendedPresent: UInt32 = 1 << 31
    static let radiotapTSFT: UInt32 = 1 << 0
    static let radiotapFlags: UInt32 = 1 << 1
    /// Flags field: the frame ends with its 4-byte FCS.
    static let radiotapFlagFCS: UInt8 = 0x10
    static let fcsLength = 4
}

extension WireCursor {
    /// LINKTYPE_IEEE802_11_RADIOTAP: the radiotap header's length, then the 802.11 frame, whose
    /// FCS (when the Flags field says it is there) is not part of it.
    func decodeRadiotap(into headers: inout PacketHeaders) -> ParseOutcome {
        guard count >= IEEE80211.radiotapMinimumLength else { return .malformed(.truncatedRadiotap) }
        let length = Int(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        guard length >= IEEE80211.radiotapMinimumLength else { return .malformed(.badRadiotapLength) }
        guard length <= count else { return .malformed(.truncatedRadiotap) }
        var end = count
        if !snapped, radiotapFlags(headerLength: length) & IEEE80211.radiotapFlagFCS != 0 {
            guard count &- IEEE80211.fcsLength >= length else { return .malformed(.truncatedIEEE80211) }
            end &-= IEEE80211.fcsLength
        }
        return WireCursor(base: base, count: end, snapped: snapped, options: options).decodeIEEE80211(at: length, into: &headers)
    }

    /// The radiotap Flags field, 0 when absent or outside the header. It is the second field,
    /// after TSFT (8 bytes, 8-aligned), behind the chain of present words.
    private func radiotapFlags(headerLength: Int) -> UInt8 {
        let present = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        guard present & IEEE80211.radiotapFlags != 0 else { return 0 }
        var offset = 8
        var word = present
        // Each present word with bit 31 set is followed by another; the chain stays in the header.
        while word & IEEE80211.radiotapExtendedPresent != 0 {
            guard offset &+ 4 <= headerLength else { return 0 }
            word = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            offset &+= 4
        }
        if present & IEEE80211.radiotapTSFT != 0 { offset = (offset &+ 7) & ~7 &+ 8 }
        return offset < headerLength ? base.loadByte(at: offset) : 0
    }

    /// LINKTYPE_IEEE802_11 (`start` 0), or the frame after a radiotap header of `start` bytes.
    func decodeIEEE80211(at start: Int, into headers: inout PacketHeaders) -> ParseOutcome {
        guard start &+ 2 <= count else { return .malformed(.truncatedIEEE80211) }
        let typeByte = base.loadByte(at: start), flags = base.loadByte(at: start &+ 1)
        // Protocol version (bits 0-1) 0, type (bits 2-3) data, a subtype with a body.
        guard typeByte & 0x03 == 0, (typeByte >> 2) & 0x03 == IEEE80211.dataType,
              typeByte & IEEE80211.noDataSubtype == 0, flags & IEEE80211.protected == 0
        else { return .notIP(UInt16(typeByte)) }
        var offset = start &+ IEEE80211.headerLength
        if flags & (IEEE80211.toDS | IEEE80211.fromDS) == IEEE80211.toDS | IEEE80211.fromDS { offset &+= IEEE80211.address4Length }
        if typeByte & IEEE80211.qosSubtype != 0 {
            guard offset &+ IEEE80211.qosControlLength <= count else { return .malformed(.truncatedIEEE80211) }
            if base.loadByte(at: offset) & IEEE80211.amsduPresent != 0 { return .notIP(UInt16(typeByte)) }
            offset &+= IEEE80211.qosControlLength
            if flags & IEEE80211.order != 0 { offset &+= IEEE80211.htControlLength }
        }
        guard offset &+ 3 <= count else { return .malformed(.truncatedIEEE80211) }
        // LLC: DSAP, SSAP, control; SNAP: OUI (3), EtherType (2).
        guard base.loadByte(at: offset) == 0xAA, base.loadByte(at: offset &+ 1) == 0xAA, base.loadByte(at: offset &+ 2) == 0x03 else {
            return .notIP(UInt16(base.loadByte(at: offset)))
        }
        guard offset &+ IEEE80211.snapHeaderLength <= count else { return .malformed(.truncatedIEEE80211) }
        let oui = UInt32(base.loadBigEndian(at: offset &+ 2, as: UInt32.self)) & 0x00FF_FFFF
        guard oui == 0 || oui == 0xF8 else { return .notIP(UInt16(0xAA)) }
        let etherType = base.loadBigEndian(at: offset &+ 6, as: UInt16.self)
        return decodeEtherTypePayload(etherType, at: offset &+ IEEE80211.snapHeaderLength, into: &headers)
    }
}
