/// The declared topology: what the user wrote in the topology file, with names resolved but
/// nothing evaluated. Objects refer to each other by name; `TopologyIndex` resolves names, and
/// the control plane (`ControlPlaneState`) owns everything that changes over emulated time.

/// Which cloud's route-precedence rules the route tables follow.
public enum RoutingProfile: String, Sendable, Hashable, CaseIterable {
    /// Alibaba Cloud: one system route per vSwitch CIDR, matched before custom routes; a custom
    /// route equal to or more specific than a system route is rejected.
    case alibaba
    /// AWS: one local route per VPC CIDR; longest-prefix match; the local route wins ties and a
    /// more specific route to a peering cannot override it.
    case aws
}

public struct Region: Sendable, Hashable {
    public var name: String
    /// One-way latency from this region to others, by region name.
    public var latencyTo: [String: EmulatedDuration]

    public init(name: String, latencyTo: [String: EmulatedDuration] = [:]) {
        self.name = name
        self.latencyTo = latencyTo
    }
}

public struct Account: Sendable, Hashable {
    public var name: String

    public init(name: String) { self.name = name }
}

public struct VPC: Sendable, Hashable {
    public var name: String
    public var account: String
    public var region: String
    public var cidr: IPNetwork
    public var secondaryCIDRs: [IPNetwork]
    public var ipv6CIDR: IPNetwork?

    public init(name: String, account: String, region: String, cidr: IPNetwork,
                secondaryCIDRs: [IPNetwork] = [], ipv6CIDR: IPNetwork? = nil) {
        self.name = name
        self.account = account
        self.region = region
        self.cidr = cidr
        self.secondaryCIDRs = secondaryCIDRs
        self.ipv6CIDR = ipv6CIDR
    }

    /// Primary, secondary and IPv6 blocks, in that order.
    public var allCIDRs: [IPNetwork] { [cidr] + secondaryCIDRs + (ipv6CIDR.map { [$0] } ?? []) }
}

public struct VSwitch: Sendable, Hashable {
    public var name: String
    public var vpc: String
    public var zone: String
    public var cidr: IPNetwork
    public var ipv6CIDR: IPNetwork?
    /// The route table associated with the vSwitch (the VPC's system table unless declared).
    public var routeTable: String
    public var networkACL: String?

    public init(name: String, vpc: String, zone: String, cidr: IPNetwork, ipv6CIDR: IPNetwork? = nil,
                routeTable: String, networkACL: String? = nil) {
        self.name = name
        self.vpc = vpc
        self.zone = zone
        self.cidr = cidr
        self.ipv6CIDR = ipv6CIDR
        self.routeTable = routeTable
        self.networkACL = networkACL
    }

    public var allCIDRs: [IPNetwork] { [cidr] + (ipv6CIDR.map { [$0] } ?? []) }
}

/// A gateway VPCEmu does not model (an internet, NAT, VPN or transit gateway, an endpoint, …):
/// a route to it sends packets out of the modelled network. `id` is the cloud's id.
public struct ExternalGateway: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case internetGateway = "internet-gateway"
        case egressOnlyInternetGateway = "egress-only-internet-gateway"
        case natGateway = "nat-gateway"
        case vpnGateway = "vpn-gateway"
        case transitGateway = "transit-gateway"
        case vpcEndpoint = "vpc-endpoint"
        case networkInterface = "network-interface"
        case localGateway = "local-gateway"
        case carrierGateway = "carrier-gateway"
        case routerInterface = "router-interface"
        case ipv6Gateway = "ipv6-gateway"
        /// A peering to a VPC that is not in the topology.
        case peeringConnection = "peering-connection"
        case other
    }

    public var id: String
    public var kind: Kind

    public init(id: String, kind: Kind) {
        self.id = id
        self.kind = kind
    }

    public var description: String { "\(kind.rawValue) \(id)" }
}

/// Where a custom route sends matching packets.
public enum RouteNextHop: Sendable, Hashable, CustomStringConvertible {
    case peering(String)
    case instance(String)
    case blackhole
    /// Out of the modelled network, through a gateway VPCEmu does not model.
    case external(ExternalGateway)

    public var description: String {
        switch self {
        case .peering(let name): "peering \(name)"
        case .instance(let name): "instance \(name)"
        case .blackhole: "blackhole"
        case .external(let gateway): "external \(gateway)"
        }
    }
}

/// A custom route entry as declared (system routes are derived, see `EffectiveRoutes`).
public struct RouteEntry: Sendable, Hashable {
    public var destination: IPNetwork
    public var nextHop: RouteNextHop

    public init(destination: IPNetwork, nextHop: RouteNextHop) {
        self.destination = destination
        self.nextHop = nextHop
    }
}

public struct VPCRouteTable: Sendable, Hashable {
    public var name: String
    public var vpc: String
    /// The VPC's system route table: used by every vSwitch that names no other table.
    public var isSystem: Bool
    public var routes: [RouteEntry]

    public init(name: String, vpc: String, isSystem: Bool, routes: [RouteEntry] = []) {
        self.name = name
        self.vpc = vpc
        self.isSystem = isSystem
        self.routes = routes
    }
}

/// An ECS instance: one or more private addresses in its vSwitch, and its security groups.
public struct Instance: Sendable, Hashable {
    public var name: String
    public var vswitch: String
    public var addresses: [IPAddress]
    public var securityGroups: [String]

    public init(name: String, vswitch: String, addresses: [IPAddress], securityGroups: [String] = []) {
        self.name = name
        self.vswitch = vswitch
        self.addresses = addresses
        self.securityGroups = securityGroups
    }
}

/// A peering connection as requested. Bandwidth, link type and burst apply to inter-region
/// peerings only (intra-region peering bandwidth is not limited).
public struct PeeringConnection: Sendable, Hashable {
    public var name: String
    public var requesterVPC: String
    public var accepterVPC: String
    /// Mbit/s; nil means the default (`ControlPlaneSettings.defaultInterRegionBandwidth`).
    public var bandwidthMbps: Int?
    public var linkType: InterRegionLinkType?
    /// Token-bucket depth in bytes; nil lets the data plane choose its documented default.
    public var burstBytes: Int?

    public init(name: String, requesterVPC: String, accepterVPC: String, bandwidthMbps: Int? = nil,
                linkType: InterRegionLinkType? = nil, burstBytes: Int? = nil) {
        self.name = name
        self.requesterVPC = requesterVPC
        self.accepterVPC = accepterVPC
        self.bandwidthMbps = bandwidthMbps
        self.linkType = linkType
        self.burstBytes = burstBytes
    }
}

/// Peering quotas. Defaults are Alibaba Cloud's documented VPC peering quotas.
public struct PeeringQuotas: Sendable, Hashable {
    public var intraRegionPeeringsPerVPC = 10
    public var interRegionPeeringsPerVPC = 20
    public var peeringsPerAccountPerRegion = 20
    public var maxInterRegionBandwidthMbps = 1024

    public init() {}
}

/// Timings and defaults of the emulated control plane.
public struct ControlPlaneSettings: Sendable, Hashable {
    /// A cross-account request not accepted within this time expires (the documentation: 7 days).
    public var acceptanceTimeout = EmulatedDuration.seconds(7 * 24 * 3600)
    /// How long a peering stays Updating after it is accepted before it is Activated.
    public var activationDelay = EmulatedDuration.seconds(1)
    /// How long a peering stays Deleting before it is Deleted.
    public var deletionDelay = EmulatedDuration.seconds(1)
    /// One-way latency between two instances of the same region.
    public var intraRegionLatency = EmulatedDuration.microseconds(100)
    /// Bandwidth of an inter-region peering that declares none (Mbit/s).
    public var defaultInterRegionBandwidthMbps = 1024
    public var defaultLinkType = InterRegionLinkType.gold
    public var quotas = PeeringQuotas()
    /// Connections the security groups track at once over all instances (docs/filtering.md).
    public var connectionTable = ConnectionTracker.defaultCapacity

    public init() {}
}

/// A complete topology file.
public struct Topology: Sendable, Hashable {
    public var profile: RoutingProfile
    public var settings: ControlPlaneSettings
    public var regions: [Region]
    public var accounts: [Account]
    public var vpcs: [VPC]
    public var vswitches: [VSwitch]
    public var routeTables: [VPCRouteTable]
    public var instances: [Instance]
    public var securityGroups: [SecurityGroup]
    public var networkACLs: [NetworkACL]
    /// Peerings that exist at time zero (created then, subject to the same lifecycle).
    public var peerings: [PeeringConnection]
    public var timeline: [TimelineEvent]
    public var alerts: [AlertRule]
    public var pricing: PriceTable

    public init(profile: RoutingProfile = .alibaba, settings: ControlPlaneSettings = .init(),
                regions: [Region] = [], accounts: [Account] = [], vpcs: [VPC] = [], vswitches: [VSwitch] = [],
                routeTables: [VPCRouteTable] = [], instances: [Instance] = [], securityGroups: [SecurityGroup] = [],
                networkACLs: [NetworkACL] = [], peerings: [PeeringConnection] = [], timeline: [TimelineEvent] = [],
                alerts: [AlertRule] = [], pricing: PriceTable = .init()) {
        self.profile = profile
        self.settings = settings
        self.regions = regions
        self.accounts = accounts
        self.vpcs = vpcs
        self.vswitches = vswitches
        self.routeTables = routeTables
        self.instances = instances
        self.securityGroups = securityGroups
        self.networkACLs = networkACLs
        self.peerings = peerings
        self.timeline = timeline
        self.alerts = alerts
        self.pricing = pricing
    }
}
