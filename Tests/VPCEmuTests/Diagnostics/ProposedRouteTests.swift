import Foundation
import Testing
@testable import VPCEmu

/// Every route doctor or analyze proposes passes the validation of a route the user types: applied
/// as an `add_route` (the check `topology check` runs too), on every example topology and on seeded
/// broken variants of them (a route removed, a peering and its routes removed).
@Suite struct ProposedRouteTests {
    /// Overlapping vSwitch blocks (10.0.9.0/24 in both VPCs): the `alibaba` profile refuses a
    /// route to 10.0.9.0/24 in either VPC, as it equals a system route.
    static let overlapYAML = """
    name: overlapping-vswitches
    profile: alibaba
    regions: [cn-hangzhou]
    accounts: [alice]
    vpcs:
      - name: vpc-ea
        account: alice
        region: cn-hangzhou
        cidr: 10.0.0.0/16
        vswitches:
          - {name: vsw-ea, zone: cn-hangzhou-h, cidr: 10.0.9.0/24}
        route_tables:
          - name: rt-ea
            system: true
            routes:
              - {destination: 10.0.1.0/24, peering: pcx-e}
        security_groups:
          - name: sg-ea
            rules:
              - {id: all, direction: ingress, protocol: all, cidr: 10.0.0.0/8}
      - name: vpc-eb
        account: alice
        region: cn-hangzhou
        cidr: 10.0.0.0/16
        vswitches:
          - {name: vsw-eb1, zone: cn-hangzhou-h, cidr: 10.0.1.0/24}
          - {name: vsw-eb9, zone: cn-hangzhou-h, cidr: 10.0.9.0/24}
        route_tables:
          - name: rt-eb
            system: true
        security_groups:
          - name: sg-eb
            rules:
              - {id: all, direction: ingress, protocol: all, cidr: 10.0.0.0/8}
    instances:
      - {name: ecs-ea, vswitch: vsw-ea, ipv4: 10.0.9.10, security_groups: [sg-ea]}
      - {name: ecs-eb1, vswitch: vsw-eb1, ipv4: 10.0.1.10, security_groups: [sg-eb]}
      - {name: ecs-eb9, vswitch: vsw-eb9, ipv4: 10.0.9.20, security_groups: [sg-eb]}
    peerings:
      - {name: pcx-e, requester: vpc-ea, accepter: vpc-eb}
    """

    static func overlap() throws -> Topology { try TopologyLoader.load(yaml: overlapYAML, file: "overlapping-vswitches.yaml").topology }

    @Test func doctorProposesTheMigrationWhereTheRouteWouldBeRefused() throws {
        let topology = try Self.overlap()
        let fixes = try TopologyDoctor(topology: topology).diagnose().checks.compactMap(\.fix)
        #expect(!fixes.contains { $0.contains("add a route 10.0.9.0/24") }, "\(fixes)")
        let vswitchFix = try #require(fixes.first { $0.contains("10.0.9.0/24") })
        #expect(vswitchFix.hasPrefix("a route 10.0.9.0/24 -> peering pcx-e in rt-ea would be refused (destination 10.0.9.0/24 is equal to or more specific than system route 10.0.9.0/24 (vSwitch vsw-ea)"))
        #expect(vswitchFix.hasSuffix("migrate to non-overlapping blocks (renumber one vSwitch of the overlapping pair)"))
        // A flow to the overlapping block is local on either side (the system route wins), so
        // analyze never gets to a route fix here; its fixes are checked below with doctor's.
        let flow = try ReachabilityFlow(source: address("10.0.1.10"), destination: address("10.0.9.10"), ipProtocol: .icmp, destinationPort: 0)
        #expect(ReachabilityAnalyzer(topology: topology).analyze(flow, reverse: false).forward.block?.code == "no-instance")
    }

    /// One proposed route: its destination, its table, and its peering (nil: one the fix asks to create).
    struct Proposal: Hashable, CustomStringConvertible {
        var destination: IPNetwork
        var table: String
        var peering: String?
        var description: String { "\(destination) -> \(peering ?? "a new peering") in \(table)" }
    }

    static let patterns: [(NSRegularExpression, peering: Int?, table: Int)] = [
        (try! NSRegularExpression(pattern: #"(?:add a route|replace it with a route) (\S+) -> peering (\S+) to (\S+)"#), 2, 3),
        (try! NSRegularExpression(pattern: #"then (?:add a route|replace it with a route) (\S+) -> it to (\S+)"#), nil, 2),
        (try! NSRegularExpression(pattern: #"and route (\S+) to it in (\S+)"#), nil, 2),
    ]

    static func proposals(in fix: String) -> [Proposal] {
        let text = fix as NSString
        return patterns.flatMap { regex, peering, table in
            regex.matches(in: fix, range: NSRange(location: 0, length: text.length)).compactMap { match -> Proposal? in
                let group = { (index: Int) in text.substring(with: match.range(at: index)).trimmingCharacters(in: CharacterSet(charactersIn: ",;:()")) }
                guard let destination = try? IPNetwork(parsing: group(1)) else { return nil }
                return Proposal(destination: destination, table: group(table), peering: peering.map(group))
            }
        }
    }

    /// The example topologies, the overlap fixture, and their broken variants.
    static func variants() throws -> [(String, Topology)] {
        var bases = try captureFiles().map { ($0, try loadCapture($0).topology) }
        bases.append(("overlapping-vswitches.yaml", try overlap()))
        var all = bases
        var random = SeededGenerator(seed: 21)
        for (name, topology) in bases {
            let routes = topology.routeTables.indices.flatMap { table in topology.routeTables[table].routes.indices.map { (table, $0) } }
            for (table, route) in routes.shuffled(using: &random).prefix(4) {
                var broken = topology
                broken.routeTables[table].routes.remove(at: route)
                all.append(("\(name) without a route of \(topology.routeTables[table].name)", broken))
            }
            // Peerings the timeline does not name (removing those would break the timeline).
            let removable = topology.peerings.filter { peering in !topology.timeline.contains { "\($0.action)".contains(peering.name) } }
            for peering in removable.shuffled(using: &random).prefix(2) {
                var broken = topology
                broken.peerings.removeAll { $0.name == peering.name }
                for table in broken.routeTables.indices { broken.routeTables[table].routes.removeAll { $0.nextHop == .peering(peering.name) } }
                all.append(("\(name) without \(peering.name)", broken))
            }
        }
        return all
    }

    @Test func everyProposedRoutePassesAddRouteAndMovesTheFlowOn() throws {
        var checked = 0, movedOn = 0
        for (name, topology) in try Self.variants() {
            let analyzer = ReachabilityAnalyzer(topology: topology)
            var fixes = try TopologyDoctor(topology: topology).diagnose().checks.compactMap(\.fix).map { ($0, nil as (ReachabilityFlow, ReachabilityBlock)?) }
            for source in topology.instances { for target in topology.instances where target.name != source.name {
                guard let from = source.addresses.first, let to = target.addresses.first(where: { $0.family == from.family }) else { continue }
                let flow = try ReachabilityFlow(source: from, destination: to, ipProtocol: .icmp, destinationPort: 0)
                if let block = analyzer.analyze(flow, reverse: false).forward.block { fixes.append((block.fix, (flow, block))) }
            } }
            for (fix, analyzed) in fixes {
                for proposal in Self.proposals(in: fix) {
                    checked += 1
                    var state = ControlPlaneState(topology: topology)
                    // A blackhole the fix replaces is removed first; a peering still to be created is
                    // stood in for by a blackhole (the destination checks do not depend on the next hop).
                    if let table = topology.routeTables.first(where: { $0.name == proposal.table }),
                       table.routes.contains(where: { $0.destination == proposal.destination }) {
                        _ = try state.apply(.removeRoute(table: proposal.table, destination: proposal.destination), at: .zero)
                    }
                    let entry = RouteEntry(destination: proposal.destination, nextHop: proposal.peering.map { .peering($0) } ?? .blackhole)
                    do {
                        _ = try state.apply(.addRoute(table: proposal.table, entry), at: .zero)
                    } catch {
                        Issue.record("\(name): '\(fix)' proposes \(proposal), which add_route refuses: \(error)")
                        continue
                    }
                    // The analyzed flow, with the route added, is delivered or blocked further on.
                    guard let (flow, block) = analyzed, proposal.peering != nil else { continue }
                    let after = ReachabilityAnalyzer(topology: state.topology).analyze(flow, reverse: false).forward
                    #expect(after.block != block, "\(name): \(proposal) leaves \(flow) blocked as before")
                    movedOn += 1
                }
            }
        }
        #expect(checked > 50 && movedOn > 10, "\(checked) proposals, \(movedOn) analyzed flows moved on")
    }
}
