import Foundation
import PackagePlugin

/// Compiles the bundled example topologies (captures/*.yaml) into the `vpcemu` binary as
/// `BundledExamples.files`, so `vpcemu demo` runs from any directory: the files stay the one
/// source, and the build regenerates the Swift file whenever one of them changes.
@main
struct EmbedExamples: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let captures = context.package.directoryURL.appending(path: "captures")
        let inputs = try FileManager.default.contentsOfDirectory(at: captures, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "yaml" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "BundledExamples.swift")
        // Each file as a raw string literal (`##"""…"""##`: YAML holds neither delimiter).
        let script = ###"""
            out="$1"; shift
            {
              printf '/// The example topologies of captures/, compiled in by Plugins/EmbedExamples.\n'
              printf 'enum BundledExamples {\n    static let files: [(name: String, yaml: String)] = [\n'
              for file in "$@"; do
                printf '        ("%s", ##"""\n' "$(basename "$file")"
                cat "$file"
                printf '"""##),\n'
              done
              printf '    ]\n}\n'
            } > "$out"
            """###
        return [.buildCommand(displayName: "Embedding \(inputs.count) example topologies",
                              executable: URL(fileURLWithPath: "/bin/sh"),
                              arguments: ["-c", script, "embed-examples", output.path] + inputs.map(\.path),
                              inputFiles: inputs, outputFiles: [output])]
    }
}
