import ArgumentParser
import VPCEmu

/// `replay`'s options that place a capture onto the topology: address mapping, source binding,
/// the start on the timeline and how several captures are combined (docs/forwarding.md,
/// "Mapping a capture onto a topology").
struct ReplayMappingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Rewrite source and destination addresses in FROM into TO, keeping host bits (repeatable): CIDRs of one length, e.g. 192.168.1.0/24=10.0.1.0/24, or addresses.", valueName: "FROM=TO"))
    var map: [String] = []

    @Option(help: ArgumentHelp("Attribute packets whose source is ADDR or in CIDR to INSTANCE (repeatable), e.g. 10.0.0.5=ecs-a or 10.0.0.0/24=ecs-a.", valueName: "ADDR|CIDR=INSTANCE"))
    var bind: [String] = []

    @Option(help: ArgumentHelp("Emulated time of the first packet on the topology's timeline, e.g. 30s, 2h (default 0).", valueName: "TIME"))
    var start: String?

    @Flag(help: "Read several captures one after another, each rebased to start at the previous one's last packet, instead of merging them in timestamp order.")
    var concatenate = false

    /// The address map and the order of several captures.
    func inputOptions() throws -> ReplaySession.InputOptions {
        .init(addressMap: try Self.addressMap(map), order: concatenate ? .concatenate : .timestamp)
    }

    /// `--map` values as an address map (a usage error when one is malformed or two overlap).
    static func addressMap(_ texts: [String]) throws -> AddressMap {
        do { return try AddressMap(texts.map { text throws(AddressMap.RuleError) in try AddressMap.Rule(parsing: text) }) } catch {
            throw ValidationError(error.description)
        }
    }

    /// `--start` in nanoseconds.
    func startNanoseconds() throws -> Int64 {
        guard let start else { return 0 }
        do { return try EmulatedDuration(validating: start).nanoseconds } catch {
            throw ValidationError("--start \(start): expected a time such as 30s, 1.5h or 2d"
                                  + (error == .tooLarge ? " (at most \(EmulatedDuration.maximumDays) days)" : ""))
        }
    }

    /// `--bind` values, checked against the topology's instances when given (before the topology
    /// loads, only their form is checked).
    func bindings(instances: [String]?) throws -> [(network: IPNetwork, instance: String)] {
        try bind.map { text in
            let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, !parts[1].isEmpty else {
                throw ValidationError("--bind \(text): expected ADDR=INSTANCE or CIDR=INSTANCE, e.g. 10.0.0.5=ecs-a or 10.0.0.0/24=ecs-a")
            }
            let network: IPNetwork
            do { network = try IPNetwork(parsing: parts[0], allowBareAddress: true) } catch {
                throw ValidationError("--bind \(text): \(error)")
            }
            if let instances {
                do { _ = try ForwardingPipeline.instance(named: parts[1], in: instances) } catch { throw ValidationError("\(error)") }
            }
            return (network, parts[1])
        }
    }
}
