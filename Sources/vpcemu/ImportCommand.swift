import ArgumentParser
import Foundation
import VPCEmu

/// `vpcemu import aws|terraform|alibaba INPUT [-o OUT.yaml]`: a topology file from a real cloud
/// configuration. What the input holds that VPCEmu does not model is listed on stderr.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Write a topology file from a real cloud configuration.",
        discussion: """
            Reads AWS describe-* dumps, Terraform state or plan JSON, or Alibaba Cloud API dumps and writes \
            a topology in the documented format (docs/topology.md) that passes `vpcemu topology check`. \
            Every input object that is not modelled is listed on stderr with its count and fate.
            """,
        subcommands: [AWS.self, Terraform.self, Alibaba.self]
    )

    /// The options every importer takes.
    struct Output: ParsableArguments {
        @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Write the topology to this file (default: standard output).", valueName: "OUT.yaml"))
        var output: String?

        func validate() throws {
            if let output { try OutputOption.validateFile(output, option: "--output") }
        }

        /// Runs `importer` on `input` (refused when it is also the output), prints its warnings and
        /// notices, checks the topology as `topology check` would, then writes it.
        func run(_ input: String, _ importer: (String, inout [String]) throws(ImportError) -> ImportedTopology) throws {
            if let output { try ImportCommand.refuseOverwriting(inputs: [input], with: [output]) }
            var warnings: [String] = []
            let result = Result { () throws(ImportError) in try importer(input, &warnings) }
            for warning in warnings { printError("warning: \(warning)") }
            let imported: ImportedTopology
            switch result {
            case .success(let value): imported = value
            case .failure(let error):
                printError("error: \(error)")
                throw ExitCode(2)
            }
            for line in imported.notices.lines { printError("not modelled: \(line)") }
            let yaml = imported.yaml
            let file = output ?? "<imported topology>"
            let (loaded, diagnostics) = TopologyLoader.check(yaml: yaml, file: file)
            guard loaded != nil else {
                for line in TopologyDiagnostic.render(diagnostics) { printError(line) }
                printError("error: the topology imported from \(input) does not check (above); nothing written")
                throw ExitCode(2)
            }
            guard let output else {
                FileHandle.standardOutput.write(Data(yaml.utf8))
                return
            }
            do { try Data(yaml.utf8).write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
                printError("\(output): cannot write: \(plainReason(error))")
                throw ExitCode.failure
            }
            printError("wrote \(output): \(imported.topology.vpcs.count) VPCs, \(imported.topology.instances.count) instances, \(imported.topology.peerings.count) peerings")
        }
    }

    struct AWS: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "aws",
            abstract: "Import a folder of `aws ec2 describe-*` JSON outputs.",
            discussion: "One file per call (describe-vpcs > Vpcs.json, …), recognised by its top-level key; in DIR, DIR/<region>/ or DIR/accounts/<account>/<region>/, as Batfish reads them."
        )

        @Argument(help: ArgumentHelp("The folder of describe-* outputs.", valueName: "DIR"))
        var directory: String

        @OptionGroup var output: Output

        func run() throws {
            try output.run(directory) { (input, warnings) throws(ImportError) in try AWSDescribeImporter.importDirectory(input, warnings: &warnings) }
        }
    }

    struct Terraform: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "terraform",
            abstract: "Import `terraform show -json` output (of a state or a saved plan) or a raw state file.",
            discussion: "A plan imports its planned values, so a change can be checked before it is applied. The objects the cloud adds implicitly (local routes, the main route table, the default security group and network ACL) are added back and marked in the output. Secrets in the state (keys, passwords, user data) are never copied."
        )

        @Argument(help: ArgumentHelp("`terraform show -json` output, or a terraform.tfstate file.", valueName: "FILE"))
        var file: String

        @OptionGroup var output: Output

        func run() throws {
            try output.run(file) { (input, warnings) throws(ImportError) in try TerraformImporter.importFile(input, warnings: &warnings) }
        }
    }

    struct Alibaba: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "alibaba",
            abstract: "Import a folder of Alibaba Cloud API JSON outputs.",
            discussion: "Outputs of DescribeVpcs, DescribeVSwitches, DescribeRouteTableList, DescribeRouteEntryList, DescribeInstances, DescribeSecurityGroupAttribute (one file per group), DescribeNetworkAcls and ListVpcPeerConnections, recognised by their top-level key."
        )

        @Argument(help: ArgumentHelp("The folder of API outputs.", valueName: "DIR"))
        var directory: String

        @OptionGroup var output: Output

        func run() throws {
            try output.run(directory) { (input, warnings) throws(ImportError) in try AlibabaAPIImporter.importDirectory(input, warnings: &warnings) }
        }
    }
}
