import Testing
import VPCEmuBench

@Suite struct ProcessUsageTests {
    /// The peak resident set covers memory the process has touched: after writing every page of
    /// a 64 MiB buffer it is at least that large, and it never decreases.
    @Test func peakResidentSetCoversTouchedMemory() {
        let before = ProcessUsage.peakResidentBytes()
        let size = 64 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 4096)
        defer { buffer.deallocate() }
        for page in stride(from: 0, to: size, by: 4096) { buffer[page] = UInt8(truncatingIfNeeded: page >> 12) }
        let after = ProcessUsage.peakResidentBytes()
        #expect(before > 0)
        #expect(after >= before)
        #expect(after >= size)
    }

    /// CPU time counts work done, the process's and the calling thread's.
    @Test func cpuTimeGrowsWithWork() {
        let before = ProcessUsage.cpuNanoseconds(), threadBefore = ProcessUsage.threadCPUNanoseconds()
        var state: UInt64 = 1
        var later = before
        // Work until the process counter moves (its resolution is the kernel's tick at worst).
        while later == before {
            for _ in 0..<1_000_000 { state = state &* 6364136223846793005 &+ 1442695040888963407 }
            later = ProcessUsage.cpuNanoseconds()
        }
        let threadLater = ProcessUsage.threadCPUNanoseconds()
        #expect(state != 0)
        #expect(before > 0 && threadBefore > 0)
        #expect(later > before)
        #expect(threadLater > threadBefore)
    }
}
