import Testing
@testable import VPCEmu

/// Where the builder puts leaves (docs/routing.md, "Leaves next to their node"): right after
/// their node for IPv4, so that the node's lines bring them; for IPv6, in the spare words of the
/// quarter that reaches them when it reaches at most two, otherwise after the last node.
@Suite struct PoptrieLayoutTests {
    @Test func ipv4RootLevelNodesAreFollowedByTheirOwnLeaves() {
        var rib = IPv4RIB()
        let routes: [(UInt32, Int, UInt32)] = [
            (0x0A00_0000, 8, 1), (0x0A01_0000, 24, 2), (0x0A01_0100, 24, 3), (0x0A02_0000, 25, 4),
            (0xC0A8_0000, 24, 5), (0xC0A8_0080, 25, 6), (0xC0A8_00C0, 30, 7),
        ]
        for (prefix, length, nextHop) in routes { rib.insert(IPv4Address(prefix), length: length, value: nextHop) }
        let fib = rib.build(rootBits: 16)
        let nodeWords = MemoryLayout<PoptrieNode64>.stride / 4
        var rootLevelNodes = 0
        fib.nodes.withUnsafeBufferPointer { nodes in
            for entry in fib.root where entry & PoptrieLimits.nodeTag != 0 {
                let index = Int(entry & ~PoptrieLimits.nodeTag)
                #expect(Int(nodes[index].leafBase) == (index + 1) * nodeWords, "node \(index)")
                rootLevelNodes += 1
            }
        }
        #expect(rootLevelNodes == 3)
        for (prefix, _, nextHop) in routes { #expect(fib.lookup(IPv4Address(prefix)) == nextHop) }
        #expect(fib.lookup(IPv4Address(0xC0A8_00C3)) == 7)
        #expect(fib.lookup(IPv4Address(0xC0A8_00BF)) == 6)
        #expect(fib.lookup(IPv4Address(0x0B00_0000)) == IPv4FIB.noRoute)
    }

    @Test func ipv6RootEntriesNameWideNodesAndLeavesStayInTheirQuarterOrFollowTheLastNode() {
        var rib = IPv6RIB()
        let routes: [(UInt64, Int, UInt32)] = [(0x2001_0db8_0000_0000, 32, 1), (0x2001_0db8_0001_0000, 48, 2),
                                               (0x2001_0db8_0002_0000, 48, 3), (0x2400_0000_0000_0000, 12, 4),
                                               (0x2001_0000_0000_0000, 20, 5)]
        for (high, length, nextHop) in routes { rib.insert(IPv6Address(high: high, low: 0), length: length, value: nextHop) }
        let fib = rib.build(rootBits: 16)
        let nodeWords = MemoryLayout<PoptrieNode256>.stride / 4
        // 2001::/16 has longer prefixes, so its root entry names a first-level node of 16 bits,
        // 256 ordinary nodes' worth, at node 0; below it 2001:db8::/32 and 2001:db8::/40 each
        // need an ordinary node.
        #expect(fib.root.count == 1 << 16)
        #expect(fib.root[0x2001] == PoptrieLimits.nodeTag | 0)
        #expect(fib.root[0x2400] == 4)
        let nodeCount = 256 + 2
        #expect(fib.nodes.count >= nodeCount)
        var inQuarter = 0, afterNodes = 0
        fib.nodes.withUnsafeBufferPointer { nodes in
            for index in 0..<nodeCount {
                let quarters = UnsafeRawPointer(nodes.baseAddress! + index).assumingMemoryBound(to: PoptrieNode256.self).pointee.quarters
                for (number, quarter) in [quarters.0, quarters.1, quarters.2, quarters.3].enumerated() {
                    guard let ranks = quarter.children.reachableLeafRanks else { continue }
                    // The words a step can read its leaf from: the quarter's own two spare
                    // words, or words after the last node.
                    let first = Int(Int32(bitPattern: quarter.children.leafOrigin)) + ranks.lowerBound
                    let last = first + ranks.count - 1
                    let spare = index * nodeWords + number * PoptrieNode256.quarterBytes / 4 + MemoryLayout<PoptrieNode64>.size / 4
                    if first >= spare && last < spare + 2 {
                        inQuarter += 1
                    } else {
                        #expect(first >= nodeCount * nodeWords, "node \(index) quarter \(number)")
                        afterNodes += 1
                    }
                }
            }
        }
        // Most quarters reach one or two next hops: 2001::/20's, 2001:db8::/32's, or none.
        #expect(inQuarter > afterNodes)
        for (high, _, nextHop) in routes { #expect(fib.lookup(IPv6Address(high: high, low: 0)) == nextHop) }
        #expect(fib.lookup(IPv6Address(high: 0x2001_0db8_0003_0000, low: 1)) == 1)
        #expect(fib.lookup(IPv6Address(high: 0x2001_0fff_0000_0000, low: 0)) == 5)
        #expect(fib.lookup(IPv6Address(high: 0x2001_1000_0000_0000, low: 0)) == IPv6FIB.noRoute)
    }
}
