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

    init(_ elements: [Element]) {
        precondition(MemoryLayout<Element>.alignment <= MemoryLayout<UInt64>.alignment, "element alignment above 8 bytes")
        let byteCount = elements.count * MemoryLayout<Element>.stride
        let wordCount = (byteCount + Self.lineBytes - 1 + 7) / 8
        words = [UInt64](unsafeUninitializedCapacity: wordCount) { buffer, initializedCount in
            buffer.initialize(repeating: 0)
            initializedCount = wordCount
            let start = UnsafeMutableRawPointer(buffer.baseAddress.unsafelyUnwrapped).alignedUp(toMultipleOf: Self.lineBytes)
            let typed = start.bindMemory(to: Element.self, capacity: elements.count)
            elements.withUnsafeBufferPointer { source in
                if let source = source.baseAddress { typed.update(from: source, count: elements.count) }
            }
        }
        count = elements.count
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
