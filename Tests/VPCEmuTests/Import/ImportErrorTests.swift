import Foundation
import Testing
@testable import VPCEmu

/// Malformed import inputs: each a located error (file, JSON path, what was expected) or a
/// warning that names the file, never a crash or a silent skip.
@Suite struct ImportErrorTests {
    static let vpcs = #"{"Vpcs": [{"VpcId": "vpc-1", "OwnerId": "123456789012", "CidrBlock": "10.0.0.0/16"}]}"#
    static let subnets = #"{"Subnets": [{"SubnetId": "subnet-1", "VpcId": "vpc-1", "AvailabilityZone": "us-east-1a", "CidrBlock": "10.0.1.0/24"}]}"#

    static func routeTables(_ routes: String) -> String {
        #"{"RouteTables": [{"RouteTableId": "rtb-1", "VpcId": "vpc-1", "Associations": [{"Main": true}], "Routes": [\#(routes)]}]}"#
    }

    static func importAWS(_ files: [(String, String)], warnings: inout [String]) throws(ImportError) -> ImportedTopology {
        try AWSDescribeImporter.importFiles(files.map { ($0.0, Data($0.1.utf8)) }, warnings: &warnings)
    }

    static func error(_ files: [(String, String)]) -> ImportError? {
        var warnings: [String] = []
        do { _ = try importAWS(files, warnings: &warnings); return nil } catch { return error }
    }

    @Test func truncatedJSONNamesTheFileAndThePathBeingRead() throws {
        let text = Self.routeTables(#"{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"}"#)
        let error = Self.error([("Vpcs.json", Self.vpcs), ("RouteTables.json", String(text.prefix(text.count - 8)))])
        #expect(error?.file == "RouteTables.json")
        #expect(error?.path == "RouteTables[0].Routes[0].GatewayId")
        #expect(error?.message == "unterminated string at the end of the file (truncated?)")
        #expect(error?.expected == "a closing quote")
        // Cut between values: the path of the list being read.
        let cut = Self.error([("Vpcs.json", #"{"Vpcs": [{"VpcId": "vpc-1"},"#)])
        #expect(cut?.description == "Vpcs.json: Vpcs[1]: missing value at the end of the file (truncated?) (expected a JSON value)")
    }

    @Test func wrongTypesAreLocated() throws {
        let number = Self.error([("Vpcs.json", Self.vpcs), ("Subnets.json", Self.subnets),
                                 ("RouteTables.json", Self.routeTables(#"{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"}, {"DestinationCidrBlock": 42, "GatewayId": "igw-1"}"#))])
        #expect(number?.description == "RouteTables.json: RouteTables[0].Routes[1].DestinationCidrBlock: wrong type: found the number 42 (expected a string)")
        let cidr = Self.error([("Vpcs.json", Self.vpcs), ("RouteTables.json", Self.routeTables(#"{"DestinationCidrBlock": "10.0.0.300/24", "GatewayId": "igw-1"}"#))])
        #expect(cidr?.path == "RouteTables[0].Routes[0].DestinationCidrBlock")
        #expect(cidr?.expected == "a CIDR block such as 10.0.0.0/16")
        let list = Self.error([("Vpcs.json", #"{"Vpcs": {"VpcId": "vpc-1"}}"#)])
        #expect(list?.description == "Vpcs.json: Vpcs: wrong type: found an object (expected an array)")
        let missing = Self.error([("Vpcs.json", #"{"Vpcs": [{"VpcId": "vpc-1"}]}"#)])
        #expect(missing?.description == "Vpcs.json: Vpcs[0].CidrBlock: missing required key 'CidrBlock'")
    }

    @Test func unknownTopLevelKeyIsAWarningAndTheFileIsSkipped() throws {
        var warnings: [String] = []
        let imported = try Self.importAWS([("Vpcs.json", Self.vpcs), ("Subnets.json", Self.subnets),
                                           ("Elsewhere.json", #"{"Subnetz": [{"SubnetId": "subnet-2"}]}"#)], warnings: &warnings)
        #expect(warnings == [#"Elsewhere.json: unknown top-level key 'Subnetz': file skipped (expected the output of an aws ec2 describe-* call, e.g. {"Vpcs": [...]})"#])
        #expect(imported.topology.vswitches.map(\.name) == ["subnet-1"])
    }

    @Test func routeToAnUnknownPeeringIsLocated() throws {
        let error = Self.error([("Vpcs.json", Self.vpcs), ("RouteTables.json", Self.routeTables(#"{"DestinationCidrBlock": "10.9.0.0/16", "VpcPeeringConnectionId": "pcx-missing", "State": "active"}"#))])
        #expect(error?.description == "RouteTables.json: RouteTables[0].Routes[0].VpcPeeringConnectionId: route to unknown peering id 'pcx-missing' (expected a peering of the input's VpcPeeringConnections)")
    }

    @Test func duplicateIdsAcrossFilesNameBothPlaces() throws {
        let error = Self.error([("a/Vpcs.json", Self.vpcs), ("b/Vpcs.json", Self.vpcs)])
        #expect(error?.description == "b/Vpcs.json: Vpcs[0]: duplicate VPC id 'vpc-1' (first read at a/Vpcs.json: Vpcs[0]) (expected each object once across the input files)")
    }

    @Test func aPeeringSeenFromBothAccountsIsOnePeering() throws {
        let peering = #"{"VpcPeeringConnections": [{"VpcPeeringConnectionId": "pcx-1", "Status": {"Code": "active"}, "RequesterVpcInfo": {"VpcId": "vpc-1"}, "AccepterVpcInfo": {"VpcId": "vpc-2"}}]}"#
        let other = #"{"Vpcs": [{"VpcId": "vpc-2", "OwnerId": "210987654321", "CidrBlock": "10.1.0.0/16"}]}"#
        var warnings: [String] = []
        let imported = try Self.importAWS([("a/Vpcs.json", Self.vpcs), ("a/Pcx.json", peering), ("b/Vpcs.json", other), ("b/Pcx.json", peering)], warnings: &warnings)
        #expect(imported.topology.peerings.map(\.name) == ["pcx-1"])
        #expect(imported.topology.timeline.map(\.action) == [.acceptPeering("pcx-1", by: "210987654321")])
    }

    @Test func peeringStatusesMapToTheLifecycle() throws {
        func statuses(_ code: String) throws -> (peerings: [String], timeline: [String], routes: [RouteNextHop]) {
            let peering = #"{"VpcPeeringConnections": [{"VpcPeeringConnectionId": "pcx-1", "Status": {"Code": "\#(code)"}, "RequesterVpcInfo": {"VpcId": "vpc-1"}, "AccepterVpcInfo": {"VpcId": "vpc-2"}}]}"#
            let other = #"{"Vpcs": [{"VpcId": "vpc-2", "OwnerId": "210987654321", "CidrBlock": "10.1.0.0/16"}]}"#
            var warnings: [String] = []
            let imported = try Self.importAWS([("Vpcs.json", Self.vpcs), ("Other.json", other), ("Pcx.json", peering),
                                               ("RouteTables.json", Self.routeTables(#"{"DestinationCidrBlock": "10.1.0.0/16", "VpcPeeringConnectionId": "pcx-1"}"#))],
                                              warnings: &warnings)
            _ = try ImportFixtures.reload(imported)
            return (imported.topology.peerings.map(\.name), imported.topology.timeline.map(\.action.keyword),
                    imported.topology.routeTables.flatMap(\.routes).map(\.nextHop))
        }
        #expect(try statuses("active").timeline == ["accept_peering"])
        #expect(try statuses("provisioning").timeline == ["accept_peering"])
        #expect(try statuses("pending-acceptance") == (["pcx-1"], [], [.peering("pcx-1")]))
        #expect(try statuses("rejected").timeline == ["reject_peering"])
        #expect(try statuses("deleting").timeline == ["accept_peering", "delete_peering"])
        for gone in ["deleted", "failed", "expired"] { #expect(try statuses(gone) == ([], [], [.blackhole])) }
        #expect(Self.error([("Pcx.json", #"{"VpcPeeringConnections": [{"VpcPeeringConnectionId": "pcx-1", "Status": {"Code": "up"}, "RequesterVpcInfo": {"VpcId": "vpc-1"}, "AccepterVpcInfo": {"VpcId": "vpc-2"}}]}"#)])?
            .path == "VpcPeeringConnections[0].Status.Code")
    }

    @Test func terraformAndAlibabaErrorsAreLocatedToo() throws {
        var warnings: [String] = []
        #expect(throws: ImportError(file: "plan.json", path: "format_version", "unsupported format_version '2.0'", expected: "0.x or 1.x (terraform show -json)")) {
            try TerraformImporter.importData(Data(#"{"format_version": "2.0"}"#.utf8), file: "plan.json", warnings: &warnings)
        }
        #expect(throws: ImportError(file: "old.tfstate", path: "version", "unsupported state version 3", expected: "a version 4 state (Terraform 0.12 and later), or terraform show -json output")) {
            try TerraformImporter.importData(Data(#"{"version": 3, "modules": []}"#.utf8), file: "old.tfstate", warnings: &warnings)
        }
        let sg = #"{"SecurityGroupId": "sg-1", "VpcId": "vpc-1", "Permissions": {"Permission": [{"Direction": "ingress", "IpProtocol": "TCP", "PortRange": "22/20", "SourceCidrIp": "0.0.0.0/0"}]}}"#
        #expect(throws: ImportError(file: "sg.json", path: "Permissions.Permission[0].PortRange", "bad port range \"22/20\"", expected: "FROM/TO such as 22/22, or -1/-1")) {
            try AlibabaAPIImporter.importFiles([("sg.json", Data(sg.utf8))], warnings: &warnings)
        }
    }
}
