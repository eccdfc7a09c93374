/// Exact-match tables from address to instance id, several in one flat open-addressing pool,
/// standing in on the hot path for the FIBs that hold host routes only: `DataPlane.hosts`,
/// and `sourceOwners` (`--bind` blocks are a Poptrie of their own). A /32 (/128) lookup walks a Poptrie four or five
/// levels deep; here it is one hash and usually one slot.
///
/// Built by asking each FIB about every candidate address (every instance address):
/// a table of host routes matches exactly the addresses it holds, so the pool answers as the FIB
/// does for every address (`HostTablePoolTests`).
struct HostTablePool {
    struct Slot {
        var high: UInt64
        var low: UInt64
        /// 0: empty; else the address family's raw value.
        var family: UInt8
        var instance: UInt32
    }

    struct Table {
        var start: Int
        var mask: Int
    }

    private var tables: ContiguousArray<Table> = []
    private var slots: ContiguousArray<Slot> = []

    /// Table `i` answers as `fibs[i]` for every address; `candidates` must include every address
    /// the FIBs hold, and the FIBs must hold host routes only.
    init(_ fibs: [CompiledRouteTable<UInt32>], candidates: [IPAddress]) {
        for fib in fibs {
            let entries = candidates.compactMap { address in fib.lookup(address).map { (address, $0) } }
            var size = 2
            while size < 2 * entries.count { size <<= 1 }
            let table = Table(start: slots.count, mask: size - 1)
            slots.append(contentsOf: repeatElement(Slot(high: 0, low: 0, family: 0, instance: 0), count: size))
            for (address, instance) in entries {
                let (high, low) = address.bits
                var slot = Self.hash(high, low) & table.mask
                while slots[table.start + slot].family != 0, !Self.holds(slots[table.start + slot], high, low, address.family) {
                    slot = (slot + 1) & table.mask
                }
                slots[table.start + slot] = Slot(high: high, low: low, family: address.family.rawValue, instance: instance)
            }
            tables.append(table)
        }
    }

    var count: Int { tables.count }

    @inline(__always)
    static func hash(_ high: UInt64, _ low: UInt64) -> Int {
        let h = (high ^ low &* 0x9E37_79B9_7F4A_7C15) &* 0xBF58_476D_1CE4_E5B9
        return Int(truncatingIfNeeded: h ^ h >> 29)
    }

    @inline(__always)
    static func holds(_ slot: Slot, _ high: UInt64, _ low: UInt64, _ family: AddressFamily) -> Bool {
        slot.low == low && slot.high == high && slot.family == family.rawValue
    }

    struct View {
        let tables: UnsafeBufferPointer<Table>
        let slots: UnsafeBufferPointer<Slot>

        /// The instance table `table` maps `address` to, nil when it holds no such address.
        @inline(__always)
        func lookup(_ table: Int, _ address: IPAddress) -> UInt32? {
            let entry = tables[table]
            let (high, low) = address.bits
            var slot = HostTablePool.hash(high, low) & entry.mask
            while true {
                let candidate = slots[entry.start &+ slot]
                if candidate.family == 0 { return nil }
                if HostTablePool.holds(candidate, high, low, address.family) { return candidate.instance }
                slot = (slot &+ 1) & entry.mask
            }
        }
    }

    func withView<R>(_ body: (View) throws -> R) rethrows -> R {
        try tables.withUnsafeBufferPointer { tables in
            try slots.withUnsafeBufferPointer { slots in try body(View(tables: tables, slots: slots)) }
        }
    }
}
