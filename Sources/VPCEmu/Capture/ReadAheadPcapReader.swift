import Foundation

/// A `PcapReader` on its own thread, one batch ahead of the caller: while the caller forwards a
/// batch, the reader thread fills the next one (reading the file into the batch), so
/// with two cores a replay takes about max(read, forward) instead of read + forward.
///
/// The caller sees exactly what `PcapReader` delivers — the same packets in file order, the same
/// end, the same error after the packets before the damage — through the same `nextBatch(into:)`.
/// (Only where batches end can differ, when a record larger than a batch's bytes grows one batch.)
/// Batches are swapped, not copied: the caller's finished batch goes back to the reader thread
/// to be refilled, so after the first batches nothing is allocated (`spareBatches` batches plus the
/// caller's circulate). Opening the file happens in `init`, on the calling thread, so open errors
/// are thrown there as `PcapReader` throws them. Releasing the reader early (the caller stopped)
/// stops the thread and waits for it, which closes the file.
public final class ReadAheadPcapReader {
    public let path: String
    /// The file's link type (a pcapng file's first interface's); each batch carries its own.
    public let linkType: LinkType
    /// Bytes of the file consumed up to the end of the last batch delivered (for progress reports).
    public private(set) var bytesRead: Int64 = 0

    private let channel: Channel
    /// The end or the error has been delivered: later calls return false, as `PcapReader`'s do.
    private var finished = false

    /// The default batch size: four times `PacketBatch`'s. Each batch handed over costs a wake-up of
    /// the other thread (a few µs of CPU), so larger batches make that per-packet cost smaller.
    public static let packetCapacity = 1024
    public static let byteCapacity = 1 << 20

    /// A batch of the default size, to pass to `nextBatch(into:)` (a batch of another size works
    /// too: it circulates with the others).
    public static func makeBatch() -> PacketBatch { PacketBatch(packetCapacity: packetCapacity, byteCapacity: byteCapacity) }

    /// - Parameters:
    ///   - spareBatches: batches the reader thread may fill ahead of the caller (at least 1),
    ///     each of `packetCapacity` packets and `byteCapacity` bytes.
    ///   - parsesForForwarding: the reader thread also parses each batch it fills
    ///     (`PacketBatch.parseForForwarding`), taking the parse off the forwarding thread.
    ///   - prepare: an input stage the reader thread runs on each batch it fills, before the
    ///     parse (`replay --map` rewrites addresses there).
    public init(path: String, spareBatches: Int = 2, packetCapacity: Int = packetCapacity, byteCapacity: Int = byteCapacity,
                parsesForForwarding: Bool = false, prepare: Stage? = nil) throws(CaptureError) {
        precondition(spareBatches >= 1, "the reader thread needs a batch to fill")
        let reader = try PcapReader(path: path)
        self.path = path
        linkType = reader.linkType
        channel = Channel(reader: reader, parsesForForwarding: parsesForForwarding, prepare: prepare, spares: (0..<spareBatches).map { _ in
            PacketBatch(packetCapacity: packetCapacity, byteCapacity: byteCapacity)
        })
        let channel = self.channel
        let thread = Thread { channel.fillUntilDone() }
        thread.name = "vpcemu-read-ahead"
        thread.start()
    }

    deinit { channel.stop() }

    /// Work done on each filled batch on the reader thread (it reads the batch's own link type).
    public typealias Stage = @Sendable (inout PacketBatch) -> Void

    /// Replaces `batch` with the next batch of packets (the batch passed in is handed to the reader
    /// thread for refilling). Returns false at the end of the file; throws the file's damage once
    /// every packet before the damaged record has been delivered — as `PcapReader.nextBatch`.
    public func nextBatch(into batch: inout PacketBatch) throws(CaptureError) -> Bool {
        guard !finished else { return false }
        switch channel.take(returning: &batch) {
        case .batch(let position):
            bytesRead = position
            return true
        case .end:
            finished = true
            return false
        case .failed(let error):
            finished = true
            throw error
        }
    }

    /// What the reader thread hands over, in file order.
    enum Delivery {
        /// A filled batch (the first in `Channel.filled`), with the reader's position in the file after it.
        case batch(bytesRead: Int64)
        case end
        case failed(CaptureError)
    }

    /// The state the caller's thread and the reader thread share, every field guarded by
    /// `condition`'s lock. The reader (`PcapReader`) is touched by the reader thread only.
    final class Channel: @unchecked Sendable {
        private let condition = NSCondition()
        private var reader: PcapReader?
        private let parsesForForwarding: Bool
        private let prepare: Stage?
        /// Batches waiting to be filled.
        private var spares: [PacketBatch]
        /// Filled batches and the final delivery, oldest first; a `.batch` delivery's batch is the
        /// first one in `filled`.
        private var deliveries: [Delivery] = []
        private var filled: [PacketBatch] = []
        private var stopped = false
        private var readerThreadDone = false

        init(reader: PcapReader, parsesForForwarding: Bool, prepare: Stage?, spares: [PacketBatch]) {
            self.reader = reader
            self.parsesForForwarding = parsesForForwarding
            self.prepare = prepare
            self.spares = spares
            deliveries.reserveCapacity(spares.count + 2)
            filled.reserveCapacity(spares.count + 1)
            self.spares.reserveCapacity(spares.count + 1)
        }

        /// The reader thread's loop: fill a spare batch, hand it over, until the end, an error or `stop`.
        func fillUntilDone() {
            condition.lock()
            defer {
                reader = nil  // closes the file before the caller's `stop` returns
                readerThreadDone = true
                condition.broadcast()
                condition.unlock()
            }
            while true {
                while spares.isEmpty && !stopped { condition.wait() }
                if stopped { return }
                var batch = spares.removeLast()
                condition.unlock()
                let delivery: Delivery
                do {
                    // Unlocked: only this thread touches `reader` (kept in the property, not a local, so
                    // that clearing it in `defer` is what closes the file).
                    if try reader!.nextBatch(into: &batch) {
                        prepare?(&batch)
                        if parsesForForwarding { batch.parseForForwarding() }
                        delivery = .batch(bytesRead: reader!.bytesRead)
                    } else {
                        delivery = .end
                    }
                } catch {
                    delivery = .failed(error)
                }
                condition.lock()
                if case .batch = delivery { filled.append(batch) }
                deliveries.append(delivery)
                condition.signal()
                guard case .batch = delivery else { return }
            }
        }

        /// The caller's side: waits for the next delivery; a batch is swapped into `batch`, whose
        /// previous contents go back to the reader thread.
        func take(returning batch: inout PacketBatch) -> Delivery {
            condition.lock()
            defer { condition.unlock() }
            while deliveries.isEmpty { condition.wait() }
            let delivery = deliveries.removeFirst()
            if case .batch = delivery {
                var next = filled.removeFirst()
                swap(&batch, &next)
                spares.append(next)
                condition.signal()
            }
            return delivery
        }

        /// Stops the reader thread and waits until it has closed the file.
        func stop() {
            condition.lock()
            stopped = true
            condition.broadcast()
            while !readerThreadDone { condition.wait() }
            condition.unlock()
        }
    }
}
