import Foundation
import Testing
@testable import VPCEmu

/// Everything a reader delivered from one file.
struct ReadResult: Equatable {
    var frames: [[UInt8]] = []
    var wireLengths: [UInt32] = []
    var timestamps: [Int64] = []
    var firstRecordIndices: [Int] = []
    var error: CaptureError?
    var linkType: LinkType?
}

/// Reads a whole file with a deliberately small batch, so that batch boundaries are crossed;
/// with `readAhead`, through `ReadAheadPcapReader` (batches of the same capacity), otherwise
/// through a `PcapReader` with `engine`.
func readAll(
    _ path: String, batch: PacketBatch = PacketBatch(packetCapacity: 7, byteCapacity: 600), readAhead: Bool = false,
    engine: PcapReader.Engine = .fastestForFormat
) -> ReadResult {
    var result = ReadResult()
    var batch = batch
    func collect(_ nextBatch: (inout PacketBatch) throws(CaptureError) -> Bool) throws(CaptureError) {
        while try nextBatch(&batch) {
            result.firstRecordIndices.append(batch.firstRecordIndex)
            batch.withUnsafeBytes { bytes in
                for index in 0 ..< batch.count {
                    result.frames.append(Array(batch.frame(index, in: bytes)))
                    result.wireLengths.append(batch.wireLengths[index])
                    result.timestamps.append(batch.timestamps[index])
                }
            }
        }
        // After the end (or the error) the reader stays finished.
        #expect(try nextBatch(&batch) == false)
    }
    do throws(CaptureError) {
        if readAhead {
            let reader = try ReadAheadPcapReader(path: path, packetCapacity: batch.packetCapacity, byteCapacity: batch.bytes.count)
            result.linkType = reader.linkType
            try collect { (batch) throws(CaptureError) in try reader.nextBatch(into: &batch) }
        } else {
            let reader = try PcapReader(path: path, engine: engine)
            result.linkType = reader.linkType
            try collect { (batch) throws(CaptureError) in try reader.nextBatch(into: &batch) }
        }
    } catch {
        result.error = error
    }
    return result
}

/// A fresh directory under the system temporary directory, removed by the caller.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("vpcemu-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Runs a tool found on PATH; nil when it is not installed.
func runTool(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String)? {
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        .split(separator: ":").map { "\($0)/\(name)" }
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    guard let path else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// The first field in which two reads differ, for a failure message short enough to read; nil
/// when they are equal.
func firstDifference(_ one: ReadResult, _ other: ReadResult) -> String? {
    if one.linkType != other.linkType { return "link type \(String(describing: one.linkType)) / \(String(describing: other.linkType))" }
    if one.error != other.error { return "error \(String(describing: one.error)) / \(String(describing: other.error))" }
    if one.frames.count != other.frames.count { return "\(one.frames.count) / \(other.frames.count) frames" }
    if let index = one.frames.indices.first(where: { one.frames[$0] != other.frames[$0] }) { return "frame \(index)" }
    if let index = one.wireLengths.indices.first(where: { one.wireLengths[$0] != other.wireLengths[$0] }) {
        return "wire length \(index): \(one.wireLengths[index]) / \(other.wireLengths[index])"
    }
    if let index = one.timestamps.indices.first(where: { one.timestamps[$0] != other.timestamps[$0] }) {
        return "timestamp \(index): \(one.timestamps[index]) / \(other.timestamps[index])"
    }
    if one.firstRecordIndices != other.firstRecordIndices { return "batches start at \(one.firstRecordIndices) / \(other.firstRecordIndices)" }
    return one == other ? nil : "ReadResult differs elsewhere"
}
