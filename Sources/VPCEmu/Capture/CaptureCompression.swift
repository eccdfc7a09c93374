/// Compressed capture files, recognised by their magic bytes whatever their name. gzip is read
/// (zlib, `CaptureByteSource`); the others are refused with the command that decompresses them.
enum CaptureCompression: Equatable {
    case gzip, xz, bzip2, zstd, lz4

    /// From the file's first four bytes, as stored (read as a little-endian integer).
    init?(magic: UInt32) {
        let bytes = [UInt8(truncatingIfNeeded: magic), UInt8(truncatingIfNeeded: magic >> 8),
                     UInt8(truncatingIfNeeded: magic >> 16), UInt8(truncatingIfNeeded: magic >> 24)]
        switch (bytes[0], bytes[1], bytes[2], bytes[3]) {
        case (0x1F, 0x8B, _, _): self = .gzip
        case (0xFD, 0x37, 0x7A, 0x58): self = .xz  // FD '7zXZ' 00
        case (0x42, 0x5A, 0x68, _): self = .bzip2  // "BZh"
        case (0x28, 0xB5, 0x2F, 0xFD): self = .zstd
        case (0x04, 0x22, 0x4D, 0x18): self = .lz4
        default: return nil
        }
    }

    /// Why `path` is not read, and how to make it readable.
    func refusal(_ path: String) -> String {
        let (name, command) = switch self {
        case .gzip: ("gzip", "gunzip -k")
        case .xz: ("xz", "xz -dk")
        case .bzip2: ("bzip2", "bunzip2 -k")
        case .zstd: ("zstd", "zstd -d")
        case .lz4: ("lz4", "lz4 -d")
        }
        return "the file is \(name)-compressed, which VPCEmu does not read (it reads gzip); decompress it first: \(command) \(path)"
    }
}
