/// Drives a topology through emulated time: the peerings declared in `peerings:` are created at
/// time zero, then the timeline's events are applied in time order (file order for equal
/// times), interleaved with the automatic transitions (expiry, end of Updating and Deleting).
///
/// The replay calls `advance(to:)` before each packet (cheap when nothing is due: one
/// comparison) and rebuilds the compiled parts named in the returned changes, so packets see
/// the new state from the event's time on.
public struct TopologyTimeline: Sendable {
    /// A timeline event the control plane refused. `topology check` reports these as errors; a
    /// replay skips them and lists them in its report.
    public struct RejectedEvent: Sendable, Hashable {
        /// Index into `topology.timeline`, or nil for a peering of `peerings:` (see `peering`).
        public var eventIndex: Int?
        public var peering: String?
        public var time: EmulatedTime
        public var error: ControlPlaneError
    }

    public private(set) var state: ControlPlaneState
    public private(set) var rejected: [RejectedEvent] = []
    /// Timeline events in application order, each with its index in the file.
    private let schedule: [(index: Int, event: TimelineEvent)]
    private var nextEvent = 0

    /// The topology at time zero, with its declared peerings created.
    public init(topology: Topology) {
        state = ControlPlaneState(topology: topology)
        schedule = topology.timeline.enumerated().map { ($0.offset, $0.element) }
            .sorted { ($0.event.time, $0.index) < ($1.event.time, $1.index) }
        for peering in topology.peerings {
            do {
                _ = try state.apply(.createPeering(peering, by: nil), at: .zero)
            } catch {
                rejected.append(RejectedEvent(eventIndex: nil, peering: peering.name, time: .zero, error: error))
            }
        }
        advance(to: .zero)
    }

    /// The time of the next change: an event or an automatic transition; nil when none is left.
    public var nextChangeTime: EmulatedTime? {
        let event = nextEvent < schedule.count ? schedule[nextEvent].event.time : nil
        switch (event, state.nextDeadline) {
        case let (e?, d?): return min(e, d)
        case let (e?, nil): return e
        case let (nil, d): return d
        }
    }

    /// Applies everything due at or before `time`, in order, and returns what changed.
    @discardableResult
    public mutating func advance(to time: EmulatedTime) -> [ControlPlaneChange] {
        var changes: [ControlPlaneChange] = []
        while nextEvent < schedule.count, schedule[nextEvent].event.time <= time {
            let (index, event) = schedule[nextEvent]
            nextEvent += 1
            // Transitions due first, so a refused event does not lose them.
            changes += state.advance(to: event.time)
            do {
                changes += try state.apply(event.action, at: event.time)
            } catch {
                rejected.append(RejectedEvent(eventIndex: index, peering: nil, time: event.time, error: error))
            }
        }
        changes += state.advance(to: time)
        return changes
    }

    /// The state of the world at `time`.
    public static func state(of topology: Topology, at time: EmulatedTime) -> ControlPlaneState {
        var timeline = TopologyTimeline(topology: topology)
        timeline.advance(to: time)
        return timeline.state
    }

    /// Runs the whole timeline (to the last event and every transition it starts) and returns
    /// the events the control plane refused.
    public static func rejectedEvents(of topology: Topology) -> [RejectedEvent] {
        var timeline = TopologyTimeline(topology: topology)
        while let next = timeline.nextChangeTime { timeline.advance(to: next) }
        return timeline.rejected
    }
}
