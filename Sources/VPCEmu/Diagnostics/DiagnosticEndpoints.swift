/// One end of a diagnostic as given on the command line: the flag it came from (`--from`,
/// `--to`, `DEST`) and its text, an instance name or an address.
public struct EndpointArgument: Sendable, Hashable {
    public var flag: String
    public var text: String

    public init(flag: String, text: String) {
        self.flag = flag
        self.text = text
    }
}

/// Why the two ends of a ping, traceroute or analysis do not fit the topology; each names the
/// flag and the value at fault.
public enum EndpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text is not an address and no instance has that name; the nearest name, when one is close.
    case unknownInstance(flag: String, name: String, suggestion: String? = nil)
    /// `[…]` around something that is not an IPv6 address alone.
    case badBrackets(flag: String, text: String)
    case noAddress(flag: String, instance: String, family: AddressFamily)
    /// Two address endpoints of different families.
    case familyMismatch(sourceFlag: String, source: IPAddress, destinationFlag: String, destination: IPAddress)
    /// `-6` with an IPv4 address endpoint.
    case ipv6WithIPv4Address(flag: String, address: IPAddress)

    public var description: String {
        switch self {
        case .unknownInstance(let flag, let name, let suggestion):
            "\(flag) '\(name)' is neither an instance of the topology nor an IP address" + (suggestion.map { ": did you mean \($0)?" } ?? "")
        case .badBrackets(let flag, let text):
            "\(flag) '\(text)': brackets may enclose an IPv6 address only, without a port"
        case .noAddress(let flag, let instance, let family):
            "\(flag) \(instance): the instance has no \(family) address\(family == .ipv6 ? "" : " (use -6 for its IPv6 address)")"
        case .familyMismatch(let sourceFlag, let source, let destinationFlag, let destination):
            "\(sourceFlag) \(source) and \(destinationFlag) \(destination) are not of the same address family"
        case .ipv6WithIPv4Address(let flag, let address):
            "-6 asks for IPv6, but \(flag) \(address) is an IPv4 address"
        }
    }
}

/// The two ends of a ping, traceroute or reachability analysis, resolved against the topology:
/// each an instance name (its first address of the family) or an address, the address family
/// the two agree on, and — when the destination is a vSwitch gateway — which one.
public struct DiagnosticEndpoints: Sendable, Hashable {
    /// A vSwitch gateway as a destination.
    public struct Gateway: Sendable, Hashable {
        public var vswitch: String
        /// Whether it is the gateway of the source instance's own vSwitch (the only one that answers ping).
        public var isSourceVSwitch: Bool
    }

    /// The source as given (an instance name or an address).
    public var source: String
    public var sourceAddress: IPAddress
    /// The instance that owns the source address: the named one, or the only owner of an address given.
    public var sourceInstance: String?
    /// The destination as given.
    public var destination: String
    public var destinationAddress: IPAddress
    public var destinationInstance: String?
    public var gateway: Gateway?

    public var family: AddressFamily { sourceAddress.family }

    /// Resolves the two ends. The family is that of an address endpoint (both must agree, and
    /// `-6` then needs IPv6); with instance names only it is IPv6 when `ipv6` asks for it, else IPv4.
    public init(topology: Topology, source: EndpointArgument, destination: EndpointArgument, ipv6: Bool) throws(EndpointError) {
        let sourceEnd = try Self.parse(source, in: topology)
        let destinationEnd = try Self.parse(destination, in: topology)
        let family: AddressFamily
        switch (sourceEnd, destinationEnd) {
        case (.address(let from), .address(let to)) where from.family != to.family:
            throw .familyMismatch(sourceFlag: source.flag, source: from, destinationFlag: destination.flag, destination: to)
        case (.address(let address), _), (_, .address(let address)):
            let flag = if case .address = sourceEnd { source.flag } else { destination.flag }
            if ipv6 && address.family == .ipv4 { throw .ipv6WithIPv4Address(flag: flag, address: address) }
            family = address.family
        case (.instance, .instance):
            family = ipv6 ? .ipv6 : .ipv4
        }
        (self.source, self.destination) = (source.text, destination.text)
        (sourceAddress, sourceInstance) = try Self.resolve(sourceEnd, source, family: family, in: topology)
        (destinationAddress, destinationInstance) = try Self.resolve(destinationEnd, destination, family: family, in: topology)
        let sourceVSwitch = sourceInstance.flatMap { topology.instance(named: $0)?.vswitch }
        let target = destinationAddress
        gateway = topology.vswitches.first { $0.routerAddress(family: target.family, profile: topology.profile) == target }
            .map { Gateway(vswitch: $0.name, isSourceVSwitch: $0.name == sourceVSwitch) }
    }

    /// The destination instance's name, or the address (normalized: `2408::1`, not the `[2408::1]`
    /// or `2408:0::1` typed), as ping and traceroute name the host in their headers.
    public var destinationName: String { destinationInstance ?? "\(destinationAddress)" }

    /// `ecs-hub (10.0.1.10)`, or `10.0.1.10 (10.0.1.10)` for an address: ping's and traceroute's header.
    public var destinationHeader: String { "\(destinationName) (\(destinationAddress))" }

    /// `ecs-hub (10.0.1.10)` for a named instance, the address alone otherwise (ping's reply lines).
    public var destinationLabel: String {
        destinationInstance.map { "\($0) (\(destinationAddress))" } ?? "\(destinationAddress)"
    }

    private enum End {
        case instance(Instance)
        case address(IPAddress)
    }

    /// An address when the text parses as one (an IPv6 address may be bracketed, as RFC 3986
    /// 3.2.2 writes it before a port), else a declared instance's name.
    private static func parse(_ argument: EndpointArgument, in topology: Topology) throws(EndpointError) -> End {
        let text = argument.text
        let address: IPAddress?
        if text.hasPrefix("[") {
            address = text.hasSuffix("]") ? IPAddress(String(text.dropFirst().dropLast())) : nil
            guard let address, address.family == .ipv6 else { throw .badBrackets(flag: argument.flag, text: text) }
        } else {
            address = IPAddress(text)
        }
        if let address { return .address(address) }
        guard let instance = topology.instance(named: text) else {
            throw .unknownInstance(flag: argument.flag, name: text,
                                   suggestion: NameSuggestion.closest(to: text, in: topology.instances.map(\.name)))
        }
        return .instance(instance)
    }

    /// The address of an end in `family` and the instance that owns it (for an address, the
    /// only instance that does).
    private static func resolve(_ end: End, _ argument: EndpointArgument, family: AddressFamily,
                                in topology: Topology) throws(EndpointError) -> (IPAddress, String?) {
        switch end {
        case .address(let address):
            let owners = topology.instances.filter { $0.addresses.contains(address) }
            return (address, owners.count == 1 ? owners[0].name : nil)
        case .instance(let instance):
            guard let address = instance.addresses.first(where: { $0.family == family }) else {
                throw .noAddress(flag: argument.flag, instance: instance.name, family: family)
            }
            return (address, instance.name)
        }
    }
}
