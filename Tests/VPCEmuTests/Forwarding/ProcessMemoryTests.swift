import Testing
@testable import VPCEmu

@Suite struct ProcessMemoryTests {
    /// The peak resident set covers memory the process has touched: after writing every page of
    /// a 64 MiB buffer it is at least that large, and it never decreases.
    @Test func peakResidentSetCoversTouchedMemory() {
        let before = ProcessMemory.peakResidentBytes()
        let size = 64 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 4096)
        defer { buffer.deallocate() }
        for page in stride(from: 0, to: size, by: 4096) { buffer[page] = UInt8(truncatingIfNeeded: page >> 12) }
        let after = ProcessMemory.peakResidentBytes()
        #expect(before > 0)
        #expect(after >= before)
        #expect(after >= size)
    }
}
