/// Why a ping or traceroute cannot start: an endpoint or an option that does not fit the topology.
public enum PingError: Error, Equatable, Sendable, CustomStringConvertible {
    case endpoint(EndpointError)
    case invalidOption(String)
    case pipeline(ForwardingPipeline.OptionError)

    public var description: String {
        switch self {
        case .endpoint(let error): error.description
        case .invalidOption(let message): message
        case .pipeline(let error): error.description
        }
    }
}

extension DiagnosticEndpoints {
    /// ping's and traceroute's ends: `--from` and `DEST`, each an instance name or an address (as
    /// analyze takes them; an address no instance owns is dropped as unknown-source).
    static func probe(topology: Topology, from source: String, to destination: String, ipv6: Bool) throws(PingError) -> DiagnosticEndpoints {
        do {
            return try DiagnosticEndpoints(topology: topology, source: EndpointArgument(flag: "--from", text: source),
                                           destination: EndpointArgument(flag: "DEST", text: destination), ipv6: ipv6)
        } catch {
            throw .endpoint(error)
        }
    }
}

/// Where and why a probe (or its answer) was dropped, resolved against the topology of the
/// moment it was forwarded.
public struct ProbeDrop: Sendable, Hashable, Codable {
    /// The pipeline's stable `DropReason` code (`non-transitive`, `throttled`, …).
    public var code: String
    /// The object that dropped it: a peering, route table, vSwitch, instance or VPC name.
    public var location: String
    /// `DropReason.describe(in:)`.
    public var description: String
    /// Whether the answer (echo reply, port unreachable) was dropped rather than the probe.
    public var onAnswer: Bool

    public init(_ reason: DropReason, in topology: DataPlane, onAnswer: Bool) {
        code = reason.code
        location = reason.location(in: topology)
        description = reason.describe(in: topology)
        self.onAnswer = onAnswer
    }

    public init(code: String, location: String, description: String, onAnswer: Bool) {
        self.code = code
        self.location = location
        self.description = description
        self.onAnswer = onAnswer
    }
}

/// Probes and the answers they provoke, forwarded through one `ForwardingPipeline` in emulated
/// time order: a probe that reaches its destination makes that instance send its answer when the
/// probe arrives, and that answer travels back through the same checks (the reverse route, the
/// peering's other direction and token bucket, the ACLs, the stateful security groups).
struct PingExchange {
    /// One packet forwarded.
    struct Sent {
        var verdict: ForwardingPipeline.Verdict
        var drop: ProbeDrop?
        /// The router that answered with time exceeded, when the TTL ran out.
        var timeExceededFrom: IPAddress?
        /// The gateway outside the model the packet was routed to.
        var left: ExternalGateway?

        var arrival: Int64? {
            if case .delivered(_, let arrival) = verdict.outcome { return arrival }
            return nil
        }
    }

    /// A probe, and its answer when the destination sent one.
    struct Record {
        var probe: PacketSpec
        var sent: Sent
        var answer: Sent?
    }

    private(set) var pipeline: ForwardingPipeline
    private var frame = ContiguousArray<UInt8>()
    private var headers = PacketHeaders()

    /// A pipeline whose emulated time is the packets' timestamps, with the source address bound
    /// to the source instance (so a ping works even where overlapping VPCs reuse the address);
    /// `shape` queues what the inter-region token buckets cannot pass at once (`--shape`).
    init(topology: Topology, endpoints: DiagnosticEndpoints, shape: Bool = false) throws(PingError) {
        let bindings = endpoints.sourceInstance.map { [(IPNetwork(address: endpoints.sourceAddress, prefixLength: endpoints.sourceAddress.family.bitWidth), $0)] } ?? []
        let options = ForwardingPipeline.Options(shape: shape, bindings: bindings, origin: 0)
        do { pipeline = try ForwardingPipeline(topology: topology, options: options) } catch { throw .pipeline(error) }
    }

    var topology: DataPlane { pipeline.topology }

    /// Forwards `count` probes, `probe(index)` in departure order; `answer` gives the packet the
    /// destination sends back for a delivered probe (by its index), which leaves when the probe
    /// arrives. `completed` receives each probe's record, in probe order, once its answer (if any)
    /// has been forwarded: only the probes still in flight are held, not every record.
    mutating func run(count: Int, probe: (Int) -> (departure: Int64, spec: PacketSpec),
                      answer: (Int, PacketSpec) -> PacketSpec?, completed: (Int, Record) -> Void) throws(PingError) {
        // Answers waiting to leave from `head` on, sorted by departure (ties in the order they
        // were scheduled); a new one usually goes last, so the search starts from the end.
        var pending: [(departure: Int64, probe: Int, spec: PacketSpec)] = []
        var head = 0
        // Records of the probes from `firstHeld` on, until they and every earlier one are complete.
        var held: [Int: (record: Record, awaitingAnswer: Bool)] = [:]
        var firstHeld = 0
        var next = 0
        var upcoming = count > 0 ? probe(0) : nil
        while upcoming != nil || head < pending.count {
            if head < pending.count, upcoming.map({ pending[head].departure <= $0.departure }) ?? true {
                let first = pending[head]
                head += 1
                held[first.probe]?.record.answer = try forward(first.spec, at: first.departure, isAnswer: true)
                held[first.probe]?.awaitingAnswer = false
            } else if let (departure, spec) = upcoming {
                let sent = try forward(spec, at: departure, isAnswer: false)
                var awaiting = false
                if let arrival = sent.arrival, let reply = answer(next, spec) {
                    let slot = pending[head...].lastIndex { $0.departure <= arrival }.map { $0 + 1 } ?? head
                    pending.insert((arrival, next, reply), at: slot)
                    awaiting = true
                }
                held[next] = (Record(probe: spec, sent: sent), awaiting)
                next += 1
                upcoming = next < count ? probe(next) : nil
            }
            while let entry = held[firstHeld], !entry.awaitingAnswer {
                completed(firstHeld, entry.record)
                held[firstHeld] = nil
                firstHeld += 1
            }
            // Drop the answers already sent once they are a large share of the array.
            if head > 1_024, head * 2 > pending.count {
                pending.removeFirst(head)
                head = 0
            }
        }
    }

    private mutating func forward(_ spec: PacketSpec, at time: Int64, isAnswer: Bool) throws(PingError) -> Sent {
        frame.removeAll(keepingCapacity: true)
        PacketBuilder.build(spec, into: &frame)
        let answersBefore = pipeline.answerOffsets.count
        let result = frame.withUnsafeBytes { bytes in
            Result { () throws(ForwardingPipeline.OptionError) in
                try pipeline.forward(bytes, linkType: .raw, timestamp: time, headers: &headers)
            }
        }
        let verdict: ForwardingPipeline.Verdict
        switch result {
        case .success(let value): verdict = value
        case .failure(let error): throw .pipeline(error)
        }
        var sent = Sent(verdict: verdict)
        switch verdict.outcome {
        case .dropped(let reason): sent.drop = ProbeDrop(reason, in: pipeline.topology, onAnswer: isAnswer)
        case .left(let gateway): sent.left = pipeline.topology.externals[Int(gateway)]
        case .delivered: break
        }
        if pipeline.answerOffsets.count > answersBefore, let start = pipeline.answerOffsets.last {
            sent.timeExceededFrom = Self.source(ofAnswerAt: start, in: pipeline.answers)
        }
        return sent
    }

    /// The source address of the time-exceeded answer that starts at `start` (the last one).
    private static func source(ofAnswerAt start: Int, in answers: ContiguousArray<UInt8>) -> IPAddress? {
        var answerHeaders = PacketHeaders()
        return answers.withUnsafeBytes { bytes in
            let frame = UnsafeRawBufferPointer(rebasing: bytes[start...])
            guard case .ip = PacketParser.parse(frame, linkType: .raw, into: &answerHeaders) else { return nil }
            return answerHeaders.source
        }
    }
}
