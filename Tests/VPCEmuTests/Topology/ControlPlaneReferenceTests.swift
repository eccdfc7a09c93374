import Testing
@testable import VPCEmu

/// The control plane's deadline queues and quota counters against a scan of every peering, on
/// seeded random sequences of peering actions.
@Suite struct ControlPlaneReferenceTests {
    static func topology(vpcs: Int) -> Topology {
        var topology = Topology()
        topology.regions = [Region(name: "r1")]
        topology.accounts = [Account(name: "a"), Account(name: "b")]
        topology.vpcs = (0..<vpcs).map { i in
            VPC(name: "v\(i)", account: i % 2 == 0 ? "a" : "b", region: "r1",
                cidr: IPNetwork(address: .v4(IPv4Address(10, UInt8(i), 0, 0)), prefixLength: 16))
        }
        topology.settings.acceptanceTimeout = .seconds(30)
        topology.settings.activationDelay = .seconds(3)
        topology.settings.deletionDelay = .seconds(5)
        topology.settings.quotas.intraRegionPeeringsPerVPC = 3
        topology.settings.quotas.peeringsPerAccountPerRegion = 6
        return topology
    }

    @Test func deadlinesAndQuotasMatchAScanOfThePeerings() {
        var generator = SeededGenerator(seed: 0xDEAD_11E5)
        let topology = Self.topology(vpcs: 8)
        let quotas = topology.settings.quotas
        for _ in 0..<20 {
            var state = ControlPlaneState(topology: topology)
            var time = EmulatedTime.zero
            var created = 0
            for _ in 0..<150 {
                time = time + .seconds(Int64.random(in: 0...4, using: &generator))
                let action: ControlPlaneAction
                let choice = Int.random(in: 0..<4, using: &generator)
                let existing = state.peerings.randomElement(using: &generator)?.name
                switch (choice, existing) {
                case (0, let name?): action = .acceptPeering(name, by: nil)
                case (1, let name?): action = .rejectPeering(name, by: nil)
                case (2, let name?): action = .deletePeering(name, by: nil)
                default:
                    let a = Int.random(in: 0..<8, using: &generator), b = (a + Int.random(in: 1..<8, using: &generator)) % 8
                    created += 1
                    action = .createPeering(PeeringConnection(name: "p\(created)", requesterVPC: "v\(a)", accepterVPC: "v\(b)"), by: nil)
                }
                // What a scan of the peerings says about a creation, before the transitions due by `time`.
                var reference = state
                reference.advance(to: time)
                let liveNow = reference.peerings.filter(\.state.countsAgainstQuota)
                do {
                    _ = try state.apply(action, at: time)
                    if case .createPeering(let connection, _) = action {
                        for vpc in [connection.requesterVPC, connection.accepterVPC] {
                            #expect(liveNow.filter { $0.peer(of: vpc) != nil }.count < quotas.intraRegionPeeringsPerVPC)
                        }
                    }
                } catch {
                    if case .createPeering(let connection, _) = action, error.kind == .quotaExceeded {
                        let perVPC = [connection.requesterVPC, connection.accepterVPC].map { vpc in liveNow.filter { $0.peer(of: vpc) != nil }.count }
                        let accounts = Set([connection.requesterVPC, connection.accepterVPC].map { topology.vpc(named: $0)!.account })
                        let perAccount = accounts.map { account in
                            liveNow.filter { $0.requesterAccount == account || $0.accepterAccount == account }.count
                        }
                        #expect(perVPC.contains { $0 >= quotas.intraRegionPeeringsPerVPC } || perAccount.contains { $0 >= quotas.peeringsPerAccountPerRegion })
                    }
                }
                #expect(state.nextDeadline == state.peerings.compactMap(\.deadline).min())
            }
            state.advance(to: time + .seconds(60))
            #expect(state.nextDeadline == nil)
            #expect(state.peerings.allSatisfy { $0.deadline == nil })
        }
    }
}
