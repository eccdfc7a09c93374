#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An immutable array whose first element starts on a 64-byte (cache-line) boundary. `Array`
/// storage is only 16-byte aligned, so a 128-byte `PoptrieNode256` would not keep each of its
/// 32-byte quarters inside one line (docs/routing.md: "one cache line per node step").
///
/// A large array (a full BGP table's FIB) is placed on 2 MiB boundaries and, on Linux, asks
/// for transparent huge pages (`MADV_HUGEPAGE`): lookups land on random lines of several MiB,
/// and with 4 KiB pages nearly each of them also misses the first-level TLB.
@usableFromInline struct LineAlignedArray<Element: BitwiseCopyable>: Sendable {
    @usableFromInline static var lineBytes: Int { 64 }
    /// Arrays of at least this many bytes are placed on huge pages.
    static var hugePageBytes: Int { 2 << 20 }

    @usableFromInline let storage: AlignedBytes
    @usableFromInline let count: Int

    /// The bytes of `source` as elements (its byte count must be a whole number of them).
    init<Source: BitwiseCopyable>(reinterpreting source: [Source]) {
        precondition(MemoryLayout<Element>.alignment <= Self.lineBytes, "element alignment above a cache line")
        let byteCount = source.count * MemoryLayout<Source>.stride
        precondition(byteCount % MemoryLayout<Element>.stride == 0, "not a whole number of elements")
        let storage = AlignedBytes(byteCount: byteCount, alignment: byteCount >= Self.hugePageBytes ? Self.hugePageBytes : Self.lineBytes)
        source.withUnsafeBytes { bytes in
            if let bytes = bytes.baseAddress { storage.base.copyMemory(from: bytes, byteCount: byteCount) }
        }
        count = byteCount / MemoryLayout<Element>.stride
        storage.base.bindMemory(to: Element.self, capacity: count)
        self.storage = storage
    }

    /// The elements, starting on a line boundary.
    @inlinable @inline(__always)
    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        try withExtendedLifetime(storage) {
            try body(UnsafeBufferPointer(start: UnsafeRawPointer(storage.base).assumingMemoryBound(to: Element.self), count: count))
        }
    }
}

/// Zeroed bytes at an `alignment` boundary, freed with their owner. Written once, by the
/// `LineAlignedArray` initializer, then only read.
@usableFromInline final class AlignedBytes: @unchecked Sendable {
    @usableFromInline let base: UnsafeMutableRawPointer
    /// The fresh mapping that holds huge-page-aligned bytes (nil: `base` is a heap allocation).
    private let mapping: (start: UnsafeMutableRawPointer, length: Int)?

    init(byteCount: Int, alignment: Int) {
        #if os(Linux)
        // Huge pages need a fresh mapping: heap memory that malloc reuses is already backed
        // by small pages, and `madvise` only affects pages faulted in after it.
        if alignment >= LineAlignedArray<UInt8>.hugePageBytes,
           let start = mmap(nil, byteCount + alignment, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
           start != MAP_FAILED {
            mapping = (start, byteCount + alignment)
            base = start.alignedUp(toMultipleOf: alignment)
            _ = madvise(base, (byteCount + alignment - 1) / alignment * alignment, MADV_HUGEPAGE)
            return  // mmap's pages are zero
        }
        #endif
        mapping = nil
        base = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: LineAlignedArray<UInt8>.lineBytes)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
    }

    deinit {
        if let mapping { _ = munmap(mapping.start, mapping.length) } else { base.deallocate() }
    }
}
