/// Why a ping or traceroute cannot start: a flag or a name that does not fit the topology.
public enum PingError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownSource(String)
    /// DEST is neither an instance name nor an IP address.
    case unknownDestination(String)
    case noAddress(instance: String, family: AddressFamily)
    /// `-6` with an IPv4 address (or an IPv6 address without `-6`'s family): the families differ.
    case familyMismatch(source: IPAddress, destination: IPAddress)
    case invalidOption(String)
    case pipeline(ForwardingPipeline.OptionError)

    public var description: String {
        switch self {
        case .unknownSource(let name): "--from names instance \(name), which the topology does not declare"
        case .unknownDestination(let text): "destination '\(text)' is neither an instance of the topology nor an IP address"
        case .noAddress(let instance, let family): "instance \(instance) has no \(family) address"
        case .familyMismatch(let source, let destination):
            "source \(source) and destination \(destination) are of different families (use -6 for IPv6)"
        case .invalidOption(let message): message
        case .pipeline(let error): error.description
        }
    }
}

/// The two ends of a ping or traceroute, resolved against the topology: the source instance and
/// its address of the chosen family, and the destination address with what owns it.
public struct PingEndpoints: Sendable, Hashable {
    /// A vSwitch gateway as a destination.
    public struct Gateway: Sendable, Hashable {
        public var vswitch: String
        /// Whether it is the gateway of the source instance's own vSwitch (the only one that answers).
        public var isSourceVSwitch: Bool
    }

    public var source: String
    public var sourceAddress: IPAddress
    public var sourceVSwitch: String
    /// DEST as given (an instance name or an address).
    public var destination: String
    public var destinationAddress: IPAddress
    /// The instance that owns the destination address, when exactly one does.
    public var destinationInstance: String?
    public var gateway: Gateway?

    /// Resolves `--from source` and `destination` (an instance name or an address); `ipv6`
    /// picks the IPv6 addresses of named instances.
    public init(topology: Topology, source: String, destination: String, ipv6: Bool) throws(PingError) {
        let family: AddressFamily = ipv6 ? .ipv6 : .ipv4
        guard let sourceInstance = topology.instances.first(where: { $0.name == source }) else { throw .unknownSource(source) }
        self.source = source
        sourceVSwitch = sourceInstance.vswitch
        self.destination = destination
        if let target = topology.instances.first(where: { $0.name == destination }) {
            guard let address = target.addresses.first(where: { $0.family == family }) else {
                throw .noAddress(instance: target.name, family: family)
            }
            destinationAddress = address
            destinationInstance = target.name
        } else if let address = IPAddress(destination) {
            destinationAddress = address
            let owners = topology.instances.filter { $0.addresses.contains(address) }
            destinationInstance = owners.count == 1 ? owners[0].name : nil
        } else {
            throw .unknownDestination(destination)
        }
        // An address DEST decides the family; -6 only chooses among a named instance's addresses.
        let sourceFamily = destinationAddress.family
        guard let address = sourceInstance.addresses.first(where: { $0.family == sourceFamily }) else {
            throw .noAddress(instance: source, family: sourceFamily)
        }
        if ipv6 && sourceFamily == .ipv4 { throw .familyMismatch(source: address, destination: destinationAddress) }
        sourceAddress = address
        let target = destinationAddress
        gateway = topology.vswitches.first { Self.routerAddress(of: $0, family: target.family, profile: topology.profile) == target }
            .map { Gateway(vswitch: $0.name, isSourceVSwitch: $0.name == sourceInstance.vswitch) }
    }

    /// The address a vSwitch's router (gateway) uses in `family`: the documented gateway address
    /// for IPv4, the first address of the IPv6 block (as the pipeline's time-exceeded answers).
    public static func routerAddress(of vswitch: VSwitch, family: AddressFamily, profile: RoutingProfile) -> IPAddress? {
        family == .ipv4 ? vswitch.gatewayIPv4Address(profile: profile) : vswitch.ipv6CIDR.map { $0.range.lowerBound }
    }

    /// `ecs-hub (10.0.1.10)` for a named instance, the address alone otherwise.
    public var destinationLabel: String {
        destinationInstance.map { "\($0) (\(destinationAddress))" } ?? "\(destinationAddress)"
    }
}
