import Testing
@testable import VPCEmu

@Suite struct LineAlignedArrayTests {
    @Test(arguments: [0, 1, 3, 1000])
    func startsOnALineAndKeepsItsElements(count: Int) {
        let elements = (0..<count).map { PoptrieNode64(vector: UInt64($0), leafVector: ~UInt64($0), nodeBase: UInt32($0), leafBase: 7) }
        let array = LineAlignedArray<PoptrieNode64>(reinterpreting: elements)
        array.withUnsafeBufferPointer { buffer in
            #expect(UInt(bitPattern: buffer.baseAddress) % 64 == 0)
            #expect(buffer.count == count)
            #expect(buffer.map(\.vector) == elements.map(\.vector))
            #expect(buffer.map(\.leafVector) == elements.map(\.leafVector))
            #expect(buffer.map(\.nodeBase) == elements.map(\.nodeBase))
        }
        // A copy shares the storage, so its elements stay where they were aligned.
        let copy = array
        copy.withUnsafeBufferPointer { #expect(UInt(bitPattern: $0.baseAddress) % 64 == 0) }
    }

    @Test func reinterpretsWordsAsWholeElements() {
        // Two 24-byte nodes written as 12 words, as the Poptrie builder writes them.
        let words: [UInt32] = [1, 0, 2, 0, 3, 4, 5, 0, 6, 0, 7, 8]
        let array = LineAlignedArray<PoptrieNode64>(reinterpreting: words)
        array.withUnsafeBufferPointer { buffer in
            #expect(buffer.count == 2)
            #expect(buffer.map(\.vector) == [1, 5])
            #expect(buffer.map(\.leafVector) == [2, 6])
            #expect(buffer.map(\.nodeOrigin) == [3, 7])
            #expect(buffer.map(\.leafOrigin) == [4, 8])
        }
    }
}
