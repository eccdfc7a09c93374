import Testing
@testable import VPCEmu

/// The compiled data plane agrees with the slow control-plane model, and follows the timeline.
@Suite struct DataPlaneTests {
    /// Addresses worth probing in a topology: instance addresses, both ends of every declared
    /// block and route, and seeded random addresses inside and around the VPC blocks.
    static func probes(_ topology: Topology, using generator: inout SeededGenerator) -> [IPAddress] {
        var blocks = topology.vpcs.flatMap(\.allCIDRs) + topology.vswitches.flatMap(\.allCIDRs)
        blocks += topology.routeTables.flatMap { $0.routes.map(\.destination) }
        blocks += topology.timeline.compactMap { if case .addRoute(_, let entry) = $0.action { entry.destination } else { nil } }
        var probes = topology.instances.flatMap(\.addresses) + blocks.flatMap { [$0.range.lowerBound, $0.range.upperBound] }
        for block in blocks {
            for _ in 0..<12 {
                let (high, low) = block.address.bits
                let wider = IPNetwork(address: block.address, prefixLength: max(0, block.prefixLength - 2))
                let base = Bool.random(using: &generator) ? block : wider
                let noise = (UInt64.random(in: 0...UInt64.max, using: &generator), UInt64.random(in: 0...UInt64.max, using: &generator))
                let (maskHigh, maskLow) = base.family == .ipv4
                    ? (UInt64(0), base.prefixLength == 0 ? UInt64(UInt32.max) : UInt64(UInt32.max >> UInt32(base.prefixLength)))
                    : IPNetwork.v6Mask(base.prefixLength).0 == 0 && base.prefixLength == 0 ? (UInt64.max, UInt64.max)
                    : (~IPNetwork.v6Mask(base.prefixLength).0, ~IPNetwork.v6Mask(base.prefixLength).1)
                let address: IPAddress = base.family == .ipv4
                    ? .v4(IPv4Address(UInt32(truncatingIfNeeded: (low & ~maskLow) | (noise.1 & maskLow))))
                    : .v6(IPv6Address(high: (high & ~maskHigh) | (noise.0 & maskHigh), low: (low & ~maskLow) | (noise.1 & maskLow)))
                probes.append(address)
            }
        }
        return probes
    }

    /// Every capture, at every change of its timeline: the FIB of every table gives the route
    /// the linear scan over the effective routes gives.
    @Test(arguments: captureFiles())
    func fibMatchesTheEffectiveRoutes(file: String) throws {
        let topology = try loadCapture(file).topology
        var generator = SeededGenerator(seed: UInt64(file.utf8.count) &* 0x9E37)
        let probes = Self.probes(topology, using: &generator)
        var runtime = TopologyRuntime(topology: topology)
        var checkpoints = [EmulatedTime.zero]
        while let next = runtime.timeline.nextChangeTime {
            runtime.advance(to: next)
            checkpoints.append(next)
            try compare(runtime, probes)
        }
        try compare(runtime, probes)
        #expect(runtime.dataPlane.compileErrors.isEmpty)
        #expect(checkpoints.count == Set(checkpoints).count)
    }

    func compare(_ runtime: TopologyRuntime, _ probes: [IPAddress]) throws {
        let state = runtime.state
        for (id, table) in state.topology.routeTables.enumerated() {
            let routes = state.effectiveRoutes(table: table.name)
            #expect(runtime.dataPlane.tables[id].routes == routes)
            for probe in probes {
                let slow = ControlPlaneState.longestMatch(probe, in: routes)
                let fast = runtime.dataPlane.route(table: UInt32(id), to: probe)
                let fastRoute = fast.map { runtime.dataPlane.tables[id].routes[Int($0.route)] }
                #expect(fastRoute == slow, "\(table.name) \(probe) at \(state.time)")
                if let fast, let slow {
                    switch (fast.target, slow.target) {
                    case (.local, .local), (.blackhole, .blackhole): break
                    case (.peering(let id), .peering(let name)): #expect(runtime.dataPlane.peerings[Int(id)].name == name)
                    case (.instance(let id), .instance(let name)): #expect(runtime.dataPlane.instanceNames[Int(id)] == name)
                    default: Issue.record("target \(fast.target) vs \(slow.target)")
                    }
                }
            }
        }
        for (id, peering) in runtime.dataPlane.peerings.enumerated() {
            #expect(peering.state == state.peering(named: peering.name)?.state, "peering \(id)")
            #expect(peering.bandwidthMbps == state.peering(named: peering.name)?.bandwidthMbps)
        }
    }

    @Test func eventsReachTheDataPlaneAtTheirTime() throws {
        var runtime = TopologyRuntime(topology: try loadCapture("peering-lifecycle.yaml").topology)
        let compiled = { (runtime: TopologyRuntime) in runtime.dataPlane }
        let rtAlice = UInt32(try #require(runtime.state.index.routeTables["rt-alice"]))
        let dave = try #require(runtime.dataPlane.instanceNames.firstIndex(of: "ecs-dave"))
        let ssh = FiveTuple(source: address("10.1.1.10"), destination: address("10.4.1.10"), sourcePort: 40000, destinationPort: 22, ipProtocol: 6)
        let pcx = try #require(runtime.dataPlane.peerings.firstIndex { $0.name == "pcx-deleted" })

        #expect(runtime.advance(to: time("299s")).count == 3)   // accepted, activated, rejected
        #expect(compiled(runtime).peerings[pcx].state == .activated)
        #expect(compiled(runtime).route(table: rtAlice, to: address("10.9.1.1")) == nil)
        #expect(compiled(runtime).instanceFilters[dave]?.ingress.evaluate(ssh).policy == .drop)

        #expect(runtime.advance(to: time("300s")) == [.securityGroup("sg-dave")])
        #expect(compiled(runtime).instanceFilters[dave]?.ingress.evaluate(ssh).policy == .accept)
        #expect(runtime.advance(to: time("400s")) == [.routeTable("rt-alice")])
        #expect(compiled(runtime).route(table: rtAlice, to: address("10.9.1.1"))?.target == .blackhole)
        #expect(runtime.advance(to: time("599999ms")) == [])
        runtime.advance(to: time("600s"))
        #expect(compiled(runtime).peerings[pcx].state == .deleting)
        // The route stays installed; the pipeline drops on the peering's state.
        #expect(compiled(runtime).route(table: rtAlice, to: address("10.4.1.10"))?.target == .peering(UInt32(pcx)))
        runtime.advance(to: time("8d"))
        #expect(compiled(runtime).peerings.map { $0.state } .sorted { "\($0!)" < "\($1!)" } == [.deleted, .expired, .rejected])
    }

    @Test func hostsAndSourceOwners() throws {
        let compiled = DataPlane(ControlPlaneState(topology: try loadCapture("dual-stack.yaml").topology))
        let v6a = try #require(compiled.vpcNames.firstIndex(of: "vpc-v6a"))
        #expect(compiled.instance(in: UInt32(v6a), owning: address("2408:4000:1000:1::10")).map { compiled.instanceNames[Int($0)] } == "ecs-v6a")
        #expect(compiled.instance(in: UInt32(v6a), owning: address("2408:4000:2000:1::10")) == nil)
        #expect(compiled.sourceOwners.lookup(address("10.20.1.10")).map { compiled.instanceNames[Int($0)] } == "ecs-v6b")

        var topology = ControlPlaneTests.topology(vpcs: 2)
        topology.instances.append(Instance(name: "twin", vswitch: "vsw1", addresses: [address("10.0.1.10")]))
        topology.vswitches[1].cidr = network("10.0.1.0/24")
        let overlapping = DataPlane(ControlPlaneState(topology: topology))
        #expect(overlapping.sourceOwners.lookup(address("10.0.1.10")) == DataPlane.ambiguousOwner)
        #expect(overlapping.instance(in: 1, owning: address("10.0.1.10")).map { overlapping.instanceNames[Int($0)] } == "twin")
    }

    @Test func interRegionPeeringCarriesLatencyAndBandwidth() throws {
        var runtime = TopologyRuntime(topology: try loadCapture("inter-region-bandwidth.yaml").topology)
        let peering = try #require(runtime.dataPlane.peerings.first { $0.name == "pcx-hz-sv" })
        #expect(peering.isInterRegion && peering.bandwidthMbps == 10 && peering.burstBytes == 64_000)
        #expect(peering.latencyForward == .milliseconds(80) && peering.latencyReverse == .milliseconds(80))
        runtime.advance(to: time("120s"))
        #expect(runtime.dataPlane.peerings.first { $0.name == "pcx-hz-sv" }?.bandwidthMbps == 20)
        let acl = try #require(runtime.dataPlane.vswitchFilters[0])
        let tuple = FiveTuple(source: address("172.16.1.10"), destination: address("192.168.1.20"), sourcePort: 1, destinationPort: 80, ipProtocol: 6)
        #expect(acl.egress.evaluate(tuple).policy == .accept)
        #expect(runtime.dataPlane.vswitchFilters[1] == nil)
    }
}
