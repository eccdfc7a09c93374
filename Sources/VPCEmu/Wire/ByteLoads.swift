/// Big-endian loads and stores on raw memory, the only way the wire code touches packet bytes.
///
/// Validity contract for the whole `Wire` folder: every header view is created only after its
/// decoder has checked that the bytes it covers lie inside the frame (once per header). After
/// that check, its accessors read through these helpers without further bounds checks, so no
/// accessor can read outside the frame and none can trap on any input.
extension UnsafeRawPointer {
    @inline(__always)
    func loadBigEndian<T: FixedWidthInteger>(at offset: Int, as type: T.Type) -> T {
        T(bigEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    @inline(__always)
    func loadByte(at offset: Int) -> UInt8 {
        load(fromByteOffset: offset, as: UInt8.self)
    }
}

extension UnsafeMutableRawPointer {
    @inline(__always)
    func storeBigEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
    }
}
