/// An immutable array whose first element starts on a 64-byte (cache-line) boundary. `Array`
/// storage is only 16-byte aligned, so a 128-byte `PoptrieNode256` would not keep each of its
/// 32-byte quarters inside one line (docs/routing.md: "one cache line per node step").
///
/// The elements live in a `[UInt64]` with up to 63 bytes of slack in front; the array is never
/// mutated after `init`, so its storage, and with it the aligned start, never moves.
@usableFromInline struct LineAlignedArray<Element: BitwiseCopyable>: Sendable {
    @usableFromInline static var lineBytes: Int { 64 }

    @usableFromInline let words: [UInt64]
    @usableFromInline let count: Int

    /// The bytes of `source` as elements (its byte count must be a whole number of them).
    init<Source: BitwiseCopyable>(reinterpreting source: [Source]) {
        precondition(MemoryLayout<Element>.alignment <= MemoryLayout<UInt64>.alignment, "element alignment above 8 bytes")
        let byteCount = source.count * MemoryLayout<Source>.stride
        precondition(byteCount % MemoryLayout<Element>.stride == 0, "not a whole number of elements")
        let count = byteCount / MemoryLayout<Element>.stride
        let wordCount = (byteCount + Self.lineBytes - 1 + 7) / 8
        words = [UInt64](unsafeUninitializedCapacity: wordCount) { buffer, initializedCount in
            buffer.initialize(repeating: 0)
            initializedCount = wordCount
            let start = UnsafeMutableRawPointer(buffer.baseAddress.unsafelyUnwrapped).alignedUp(toMultipleOf: Self.lineBytes)
            source.withUnsafeBytes { bytes in
                if let bytes = bytes.baseAddress { start.copyMemory(from: bytes, byteCount: byteCount) }
            }
            start.bindMemory(to: Element.self, capacity: count)
        }
        self.count = count
    }

    /// The elements, starting on a line boundary.
    @inlinable @inline(__always)
    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        try words.withUnsafeBytes { raw in
            let start = raw.baseAddress.unsafelyUnwrapped.alignedUp(toMultipleOf: Self.lineBytes)
            return try body(UnsafeBufferPointer(start: start.assumingMemoryBound(to: Element.self), count: count))
        }
    }
}
