import Foundation
import Testing
@testable import VPCEmu

/// Terraform fixtures (Fixtures/Import/terraform), hand-built from Terraform's JSON output format
/// (`terraform show -json`: format_version, values/planned_values, root_module, child_modules,
/// configuration) and the AWS and Alibaba Cloud providers' resource attributes: `aws-state.json`
/// (format 1.0; nested modules; every aws_* type the importer reads; a cross-account peering with
/// its accepter), `aws-plan.json` (the planned values of a change to that network),
/// `aws-raw.tfstate` (a raw version 4 state), `alicloud-state.json` (format 0.1; every alicloud_*
/// type; a cross-account, inter-region peering with its accepter).
@Suite struct TerraformImportTests {
    static func imported(_ name: String) throws -> (imported: ImportedTopology, topology: Topology) {
        var warnings: [String] = []
        let imported = try TerraformImporter.importFile(ImportFixtures.path("terraform/\(name)"), warnings: &warnings)
        #expect(warnings.isEmpty)
        return (imported, try ImportFixtures.reload(imported, file: name))
    }

    static func net(_ text: String) -> IPNetwork { try! IPNetwork(parsing: text) }

    @Test func awsStateWithModulesAndACrossAccountPeering() throws {
        let (imported, topology) = try Self.imported("aws-state.json")
        #expect(topology.profile == .aws)
        #expect(topology.accounts.map(\.name) == ["111111111111", "222222222222"])
        #expect(topology.vpcs.map(\.name) == ["main", "partner"])
        // aws_vpc_ipv4_cidr_block_association adds the secondary block.
        #expect(topology.vpc(named: "main")?.secondaryCIDRs == [Self.net("10.1.0.0/16")])
        // Nested child_modules: the subnets of module.network.module.subnets.
        #expect(topology.vswitches.map(\.name) == ["app", "db", "partner-a"])
        // aws_main_route_table_association makes db-routes the main table; the db subnet has no association and uses it.
        #expect(topology.vswitch(named: "db")?.routeTable == "db-routes")
        #expect(topology.routeTable(named: "db-routes")?.isSystem == true)
        #expect(topology.vswitch(named: "app")?.routeTable == "app-routes")
        // Inline routes, aws_route resources, and a route in state blackhole.
        #expect(topology.routeTable(named: "app-routes")?.routes.map(\.nextHop) == [
            .external(ExternalGateway(id: "igw-0aa", kind: .internetGateway)), .peering("main-partner"),
            .external(ExternalGateway(id: "eigw-0e1", kind: .egressOnlyInternetGateway)),
        ])
        #expect(topology.routeTable(named: "db-routes")?.routes.map(\.nextHop) == [
            .external(ExternalGateway(id: "nat-0n1", kind: .natGateway)), .peering("main-partner"), .blackhole,
        ])
        // Security groups: inline rules (self, numeric protocol), aws_security_group_rule, the two one-rule resources.
        let app = topology.securityGroups.first { $0.name == "app" }!
        #expect(app.rules.map(\.peer) == [.network(Self.net("0.0.0.0/0")), .securityGroup("app"), .network(Self.net("0.0.0.0/0")), .network(Self.net("::/0"))])
        let db = topology.securityGroups.first { $0.name == "db" }!
        #expect(db.rules.map(\.ipProtocol) == [.tcp, .icmp, .all])
        #expect(db.rules[0].peer == .securityGroup("app"))
        // aws_network_acl with aws_network_acl_rule, in rule-number order.
        let acl = topology.networkACLs.first { $0.name == "db-acl" }!
        #expect(acl.ingress.map(\.name) == ["rule50", "rule100", "rule200"])
        #expect(acl.ingress[0].policy == .drop)
        // The instance's second interface (another subnet) is an instance of its own; every address is kept.
        #expect(topology.instance(named: "app-1")?.addresses == [IPAddress("10.0.1.10")!, IPAddress("10.0.1.11")!, IPAddress("2600:1f18:abcd:1201::10")!])
        #expect(topology.instance(named: "app-1-eni-0appdb")?.vswitch == "db")
        // The requester's state says pending-acceptance; the accepter resource accepted it: Activated at time zero.
        #expect(topology.peerings.map(\.name) == ["main-partner"])
        #expect(topology.timeline.map(\.action) == [.acceptPeering("main-partner", by: "222222222222")])
        #expect(imported.cloudIDs[TopologySourceMap.key(.peering, "main-partner")] == "pcx-0p1")
        // Types not modelled are listed.
        let lines = imported.notices.lines
        #expect(lines.contains("1 aws_internet_gateway resources (module.network.aws_internet_gateway.igw): not modelled: routes to them are external next hops"))
        #expect(lines.contains("1 aws_db_instance resources (module.compute.aws_db_instance.orders): not modelled"))
        #expect(lines.contains("1 data sources (data.aws_caller_identity.current): not read (they describe objects, not create them)"))
        #expect(lines.contains { $0.hasPrefix("1 security-group rules naming prefix lists") })
        #expect(lines.contains { $0.hasPrefix("1 security-group rules for one ICMP type or code") })
    }

    @Test func awsStateOutcomes() throws {
        let (_, topology) = try Self.imported("aws-state.json")
        // Across the accepted cross-account peering, HTTPS to the partner.
        #expect(try ImportFixtures.analyze(topology, "10.0.1.10", "10.20.1.10", .tcp, port: 443).isReachable)
        // App to the database on the secondary block: the local route covers it; the ACL and group allow 5432.
        #expect(try ImportFixtures.analyze(topology, "10.0.1.10", "10.1.2.10", .tcp, port: 5432).isReachable)
        // SSH to the database: the ACL's rule 50 denies it before rule 200 would allow it.
        let ssh = try ImportFixtures.analyze(topology, "10.0.1.10", "10.1.2.10", .tcp, port: 22)
        #expect(ssh.forward.block?.code == "acl-denied")
        // The partner routes only 10.0.0.0/16 back: the secondary block is unreachable from it.
        #expect(try ImportFixtures.analyze(topology, "10.20.1.10", "10.1.2.10", .tcp, port: 5432).forward.block?.code == "no-route")
    }

    @Test func secretsNeverReachTheOutput() throws {
        for name in ["aws-state.json", "aws-plan.json", "aws-raw.tfstate", "alicloud-state.json"] {
            let yaml = try Self.imported(name).imported.yaml
            #expect(!yaml.contains("SECRET"), "\(name)")
            #expect(!yaml.contains("deploy-key"), "\(name)")
        }
    }

    @Test func planImportsThePlannedNetwork() throws {
        let (imported, topology) = try Self.imported("aws-plan.json")
        #expect(imported.header.first == "imported from the planned values of a saved Terraform plan; ids not known before apply are the resource addresses")
        // The new subnet and instance: ids unknown before apply, references resolved through the configuration.
        #expect(topology.vswitch(named: "partner-b")?.vpc == "partner")
        #expect(imported.cloudIDs[TopologySourceMap.key(.vswitch, "partner-b")] == "aws_subnet.partner_b")
        #expect(topology.instance(named: "peer-2")?.vswitch == "partner-b")
        #expect(topology.instance(named: "peer-2")?.securityGroups == ["default"])
        // The planned change to the partner's default group moves HTTPS to 8443: checked before it is applied.
        let (_, state) = try Self.imported("aws-state.json")
        #expect(try ImportFixtures.analyze(state, "10.0.1.10", "10.20.1.10", .tcp, port: 443).isReachable)
        let planned = try ImportFixtures.analyze(topology, "10.0.1.10", "10.20.1.10", .tcp, port: 443)
        #expect(planned.forward.block?.code == "security-group-denied")
        #expect(try ImportFixtures.analyze(topology, "10.0.1.10", "10.20.1.10", .tcp, port: 8443).isReachable)
    }

    @Test func rawStateVersion4WithCountAndModule() throws {
        let (imported, topology) = try Self.imported("aws-raw.tfstate")
        #expect(topology.vpcs.map(\.name) == ["solo"])
        #expect(topology.vpcs[0].region == "eu-west-1")
        // Two instances by count share the Name tag, so both keep their ids.
        #expect(topology.instances.map(\.name) == ["i-0web0", "i-0web1"])
        #expect(imported.notices.lines.contains("1 data sources (data.aws_ami.ubuntu): not read (they describe objects, not create them)"))
    }

    // MARK: the objects the cloud adds implicitly, one test each

    @Test func implicitMainRouteTableIsAdded() throws {
        let (imported, topology) = try Self.imported("aws-raw.tfstate")
        let main = topology.routeTable(named: "rtb-0solomain")
        #expect(main?.isSystem == true)
        #expect(main?.routes == [])
        #expect(topology.vswitch(named: "subnet-0solo")?.routeTable == "rtb-0solomain")
        #expect(imported.yaml.contains("# added: the VPC's main route table, which AWS creates with the VPC (not in the Terraform file)"))
    }

    @Test func localRoutesAreDerivedForEveryBlock() throws {
        let (imported, topology) = try Self.imported("aws-state.json")
        let state = ControlPlaneState(topology: topology)
        let system = state.effectiveRoutes(table: "app-routes").filter { $0.origin == .system }.map(\.destination)
        #expect(system == [Self.net("10.0.0.0/16"), Self.net("10.1.0.0/16"), Self.net("2600:1f18:abcd:1200::/56")])
        #expect(imported.yaml.contains("# local (system) routes: derived from each VPC's blocks, as the cloud adds them (Terraform does not hold them)"))
    }

    @Test func implicitDefaultSecurityGroupIsAddedWithItsAllowAllEgress() throws {
        let (imported, topology) = try Self.imported("aws-state.json")
        let group = topology.securityGroups.first { $0.name == "sg-0adef" }
        #expect(group?.vpc == "main")
        #expect(group?.rules.map(\.direction) == [.ingress, .egress, .egress])
        #expect(group?.rules.map(\.peer) == [.securityGroup("sg-0adef"), .network(Self.net("0.0.0.0/0")), .network(Self.net("::/0"))])
        #expect(imported.notes[TopologySourceMap.key(.securityGroup, "sg-0adef")]?.hasPrefix("added: the VPC's default security group") == true)
        // The partner's default group is managed (aws_default_security_group): its own rules, nothing added.
        #expect(topology.securityGroups.first { $0.name == "default" }?.rules.count == 2)
        // aws_security_group: the provider removes AWS's default egress rule, so none is added — and the output says so.
        #expect(topology.securityGroups.first { $0.name == "db" }?.rules.filter { $0.direction == .egress }.count == 1)
        #expect(imported.header.contains { $0.hasPrefix("aws_security_group: no allow-all egress rule is added") })
    }

    @Test func implicitDefaultNetworkACLIsAddedAllowingAll() throws {
        let (imported, topology) = try Self.imported("aws-state.json")
        let acl = topology.networkACLs.first { $0.name == "acl-0adef" }
        #expect(acl?.ingress.map(\.network) == [Self.net("0.0.0.0/0"), Self.net("::/0")])
        #expect(acl?.egress.allSatisfy { $0.policy == .accept && $0.ipProtocol == .all } == true)
        // The app subnet has no ACL of its own: the default one serves it.
        #expect(topology.vswitch(named: "app")?.networkACL == "acl-0adef")
        #expect(imported.notes[TopologySourceMap.key(.networkACL, "acl-0adef")]?.hasPrefix("added: the VPC's default network ACL") == true)
    }

    @Test func implicitAlibabaSystemRouteTableIsAdded() throws {
        let (imported, topology) = try Self.imported("alicloud-state.json")
        #expect(topology.routeTable(named: "vtb-hzsys")?.isSystem == true)
        #expect(topology.vswitch(named: "hz-a")?.routeTable == "vtb-hzsys")
        #expect(imported.notes[TopologySourceMap.key(.routeTable, "vtb-hzsys")]?.hasPrefix("added: the VPC's system route table") == true)
    }

    @Test func alicloudStateWithACrossAccountPeeringAndItsAccepter() throws {
        let (imported, topology) = try Self.imported("alicloud-state.json")
        #expect(topology.profile == .alibaba)
        #expect(topology.vpcs.map { "\($0.name) \($0.account) \($0.region)" } == ["bj 4444 cn-beijing", "hz account cn-hangzhou"])
        #expect(topology.vswitch(named: "hz-b")?.routeTable == "hz-b-routes")
        #expect(topology.vswitch(named: "hz-b")?.networkACL == "hz-b-acl")
        // alicloud_network_acl_entries replaces the inline entries of its ACL.
        #expect(topology.networkACLs.first { $0.name == "bj-acl" }?.ingress.map(\.policy) == [.accept, .drop])
        #expect(topology.peerings == [PeeringConnection(name: "hz-bj", requesterVPC: "hz", accepterVPC: "bj", bandwidthMbps: 100)])
        #expect(topology.timeline.map(\.action) == [.acceptPeering("hz-bj", by: "4444")])
        #expect(try ImportFixtures.analyze(topology, "172.16.1.20", "10.9.1.30", .tcp, port: 5432).isReachable)
        // SSH from the database: the drop rule at priority 1 beats the group's accept at priority 5.
        #expect(try ImportFixtures.analyze(topology, "10.9.1.30", "172.16.1.20", .tcp, port: 22).forward.block?.code == "security-group-denied")
        #expect(topology.instance(named: "db")?.addresses.count == 2)
        #expect(imported.notices.lines.contains("1 alicloud_nat_gateway resources (alicloud_nat_gateway.hz): not modelled: routes to them are external next hops"))
    }

    @Test(arguments: ["aws-state.json", "aws-plan.json", "aws-raw.tfstate", "alicloud-state.json"])
    func importingTwiceGivesTheSameBytes(name: String) throws {
        #expect(try Self.imported(name).imported.yaml == Self.imported(name).imported.yaml)
    }
}
