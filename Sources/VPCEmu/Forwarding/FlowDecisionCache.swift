/// The table lookups of the walk (`FlowLookups`), remembered per flow (5-tuple and direction): the
/// source instance (attribution), the egress and ingress network ACL verdicts, the two route
/// lookups (the source VPC's table, the peer VPC's table) and the instance owning the destination.
/// They depend only on the tuple and the forwarding tables, so an established flow reads them back
/// instead of probing host tables, scanning ACLs and walking Poptries again.
/// Everything with state — connection tracking, token buckets, TTL, counters — still runs for
/// every packet, in the walk's order. The memo wraps the data plane's lookups from outside
/// (`Lookups`): the stages ask, and do not know whether the answer was remembered.
///
/// Direct-mapped: a flow's tuple picks one slot, a different flow in that slot is replaced. A
/// rebuild of the tables (a timeline event) bumps the generation, which empties every slot at
/// once. A lookup the walk has not reached yet for this flow (it stopped earlier) is unknown,
/// and filled in the first time a packet of the flow gets there.
struct FlowDecisionCache {
    /// What the walk has looked up for one flow so far.
    struct Decisions {
        var tuple: FiveTuple
        var generation: UInt32
        var sourceOwnerKnown = false
        var sourceOwner: UInt32?
        var destinationOwnerKnown = false
        var destinationOwner: UInt32?
        var egressACL: FilterVerdict?
        var ingressACL: FilterVerdict?
        var routeKnown = false
        var route: DataPlane.RouteSlot?
        var farRouteKnown = false
        var farRoute: DataPlane.RouteSlot?

        init(_ tuple: FiveTuple, generation: UInt32) {
            self.tuple = tuple
            self.generation = generation
        }
    }

    /// The walk reads and fills its flow's slot in place (a copy of `Decisions` in and out costs
    /// two `memcpy` calls per packet, more than the lookups it saves), through a pointer to the
    /// slots taken once per run of packets (`ForwardingPipeline.HotStorage`).
    var slots: ContiguousArray<Decisions>
    private let slotMask: Int
    /// Off (capacity 0): one slot, emptied for every packet.
    private let remembers: Bool
    /// Slots start at generation 0, which never matches.
    private var generation: UInt32 = 1

    /// `capacity` is rounded up to a power of two; 0 turns the cache off (every packet looks up).
    init(capacity: Int) {
        precondition(capacity >= 0, "the flow cache cannot have a negative capacity")
        remembers = capacity > 0
        var size = 1
        while size < capacity { size <<= 1 }
        let empty = Decisions(FiveTuple(ipv4Source: 0, destination: 0, sourcePort: 0, destinationPort: 0, ipProtocol: 0), generation: 0)
        slots = ContiguousArray(repeating: empty, count: size)
        slotMask = size - 1
    }

    /// Forgets every flow: the tables they were looked up in were rebuilt.
    mutating func invalidate() {
        generation &+= 1
        // After 2^32 rebuilds the counter would come back to slots' old generations.
        if generation == 0 {
            for index in slots.indices { slots[index].generation = 0 }
            generation = 1
        }
    }

    /// The slot a flow hashed to `hash` maps to (whichever flow it holds now), for a caller to prefetch.
    @inline(__always)
    func slotIndex(hash: Int) -> Int { hash & slotMask }

    /// The slot of `tuple`'s flow, emptied first when it holds another flow or an older generation.
    /// `hash` is any well-mixed hash of the tuple that tells its directions apart
    /// (`ConnectionTracker.Lookup.directionalHash`, already computed for the packet). `slots` is the
    /// storage of `self.slots`.
    @inline(__always)
    func slot(for tuple: FiveTuple, hash: Int, in slots: UnsafeMutablePointer<Decisions>) -> Int {
        let slot = slotIndex(hash: hash)
        if !remembers || slots[slot].generation != generation || slots[slot].tuple != tuple {
            slots[slot] = Decisions(tuple, generation: generation)
        }
        return slot
    }

    /// The walk's lookups for the flow whose slot is `memo`: each answered by the data plane the first
    /// time and read back from the slot afterwards. The slot is written through the pointer (a
    /// copy of `Decisions` in and out costs two `memcpy` calls per packet), so an established
    /// flow's packet only reads it.
    struct Lookups: FlowLookups {
        /// The data plane's view, by pointer: built per packet, this struct must stay small (a
        /// view by value is a few hundred bytes, copied with `memmove` on every packet).
        let view: UnsafePointer<DataPlane.View>
        let memo: UnsafeMutablePointer<Decisions>

        var plane: DataPlane.View {
            @inline(__always) _read { yield view.pointee }
        }

        @inline(__always)
        func sourceOwner(_ address: IPAddress) -> UInt32? {
            if !memo.pointee.sourceOwnerKnown {
                memo.pointee.sourceOwner = plane.owner(of: address)
                memo.pointee.sourceOwnerKnown = true
            }
            return memo.pointee.sourceOwner
        }

        @inline(__always)
        func route(_ table: UInt32, to address: IPAddress) -> DataPlane.RouteSlot? {
            if !memo.pointee.routeKnown {
                memo.pointee.route = plane.route(table, to: address)
                memo.pointee.routeKnown = true
            }
            return memo.pointee.route
        }

        @inline(__always)
        func peerRoute(_ table: UInt32, to address: IPAddress) -> DataPlane.RouteSlot? {
            if !memo.pointee.farRouteKnown {
                memo.pointee.farRoute = plane.route(table, to: address)
                memo.pointee.farRouteKnown = true
            }
            return memo.pointee.farRoute
        }

        /// Within one generation of the data plane a flow's destination VPC is always the same.
        @inline(__always)
        func destinationOwner(in vpc: UInt32, _ address: IPAddress) -> UInt32? {
            if !memo.pointee.destinationOwnerKnown {
                memo.pointee.destinationOwner = plane.instance(in: vpc, owning: address)
                memo.pointee.destinationOwnerKnown = true
            }
            return memo.pointee.destinationOwner
        }

        @inline(__always)
        func acl(_ direction: TrafficDirection, _ id: UInt32, _ tuple: FiveTuple) -> FilterVerdict {
            if direction == .egress {
                if let known = memo.pointee.egressACL { return known }
                let verdict = plane.evaluate(id, tuple)
                memo.pointee.egressACL = verdict
                return verdict
            }
            if let known = memo.pointee.ingressACL { return known }
            let verdict = plane.evaluate(id, tuple)
            memo.pointee.ingressACL = verdict
            return verdict
        }
    }
}
