/// The control plane and its compiled data plane moving together through emulated time — what
/// a replay drives. Before handling a packet stamped `time`, call `advance(to: time)`: when no
/// change is due it costs one comparison; otherwise it applies the due events and transitions
/// and rebuilds what they changed, so the packet sees the new state.
public struct TopologyRuntime: Sendable {
    public private(set) var timeline: TopologyTimeline
    public private(set) var dataPlane: DataPlane
    /// The time of the next change, or `.max`-like sentinel when nothing is pending.
    public private(set) var nextChange: EmulatedTime

    /// `bindings`: the data plane's `--bind` blocks (`DataPlane.init`).
    public init(topology: Topology, bindings: RouteTable<UInt32> = RouteTable()) {
        timeline = TopologyTimeline(topology: topology)
        dataPlane = DataPlane(timeline.state, bindings: bindings)
        nextChange = timeline.nextChangeTime ?? Self.never
    }

    static let never = EmulatedTime(nanoseconds: .max)

    public var state: ControlPlaneState { timeline.state }

    /// Applies everything due at or before `time`; returns what changed (empty in the common case).
    @inlinable @discardableResult
    public mutating func advance(to time: EmulatedTime) -> [ControlPlaneChange] {
        guard time >= nextChange else { return [] }
        return applyDueChanges(upTo: time)
    }

    @usableFromInline mutating func applyDueChanges(upTo time: EmulatedTime) -> [ControlPlaneChange] {
        let changes = timeline.advance(to: time)
        dataPlane.apply(changes, from: timeline.state)
        nextChange = timeline.nextChangeTime ?? Self.never
        return changes
    }
}
