/// One stage a flow passed (or stopped at) in the reachability analysis.
public struct ReachabilityHop: Sendable, Hashable, Codable {
    /// The pipeline's stages, in the order a packet meets them.
    public enum Stage: String, Sendable, Hashable, Codable, CaseIterable {
        case source
        case securityGroupEgress = "security-group-egress"
        case networkACLEgress = "network-acl-egress"
        case route
        case peering
        case peerRoute = "peer-route"
        case networkACLIngress = "network-acl-ingress"
        case securityGroupIngress = "security-group-ingress"
        case destination
    }

    public var stage: Stage
    /// The object met: instance, security group, network ACL, route table or peering.
    public var component: String
    /// What it decided: the rule, entry or route, the peering's state and bandwidth.
    public var detail: String
    public var passed: Bool
}

/// Where the analysis of one direction ended: at an instance, or blocked with the reason the
/// pipeline would give (the same `DropReason`, resolved in the same data plane).
public enum ReachabilityOutcome: Sendable, Hashable {
    case delivered(instance: UInt32)
    case dropped(DropReason)
    /// Routed out of the modelled network through a gateway VPCEmu does not model.
    case left(ExternalGateway)
}

/// Why a path is blocked and what to change.
public struct ReachabilityBlock: Sendable, Hashable, Codable {
    public var stage: ReachabilityHop.Stage
    public var component: String
    /// `DropReason.code`, the code the pipeline's reports use.
    public var code: String
    /// `DropReason.describe(in:)`.
    public var reason: String
    public var fix: String
}

/// The analysis of one direction of a flow.
public struct ReachabilityPath: Sendable, Hashable {
    public var flow: FiveTuple
    /// The packet analyzed, as text (`ReachabilityFlow.describe(reply:)`).
    public var flowDescription: String
    public var hops: [ReachabilityHop]
    public var outcome: ReachabilityOutcome
    /// Set when `outcome` is a drop.
    public var block: ReachabilityBlock?

    public var isDelivered: Bool {
        if case .delivered = outcome { true } else { false }
    }

    /// The gateway the path leaves the modelled network through, if it does.
    public var leaves: ExternalGateway? {
        if case .left(let gateway) = outcome { gateway } else { nil }
    }
}

/// What `vpcemu analyze` reports: the forward path and, with `--reverse`, the reply's.
public struct ReachabilityReport: Sendable, Hashable {
    public var flow: ReachabilityFlow
    public var time: EmulatedTime
    public var forward: ReachabilityPath
    public var reverse: ReachabilityPath?
    /// The data plane's names, kept to describe delivered instances.
    var instanceNames: [String]

    /// Every analyzed direction delivers.
    public var isReachable: Bool { forward.isDelivered && (reverse?.isDelivered ?? true) }

    public var text: String {
        var out = "Reachability of \(flow) at \(time.humanDescription)\n"
        out += describe(forward, title: "forward")
        if let reverse { out += describe(reverse, title: "reverse (reply)") }
        let verdict = isReachable ? "reachable" : forward.leaves.map { "leaves the modelled network through \($0) (no reply expected)" } ?? "blocked"
        out += "verdict: \(verdict)\n"
        return out
    }

    private func describe(_ path: ReachabilityPath, title: String) -> String {
        var out = "\(title): \(path.flowDescription)\n"
        let stageWidth = ReachabilityHop.Stage.allCases.map(\.rawValue.count).max() ?? 0
        let componentWidth = path.hops.map(\.component.count).max() ?? 0
        for hop in path.hops {
            out += "  \(hop.passed ? "ok     " : "BLOCKED") \(pad(hop.stage.rawValue, stageWidth))  \(pad(hop.component, componentWidth))  \(hop.detail)\n"
        }
        switch path.outcome {
        case .delivered(let instance): out += "  => delivered to \(name(instance))\n"
        case .left(let gateway): out += "  => left the modelled network through \(gateway)\n"
        case .dropped:
            if let block = path.block {
                out += "  => blocked at \(block.stage.rawValue) \(block.component): \(block.code): \(block.reason)\n"
                out += "     fix: \(block.fix)\n"
            }
        }
        return out
    }

    private func name(_ instance: UInt32) -> String {
        Int(instance) < instanceNames.count ? instanceNames[Int(instance)] : "#\(instance)"
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }

    /// Reports as a JSON array, one object per report.
    public static func json(_ reports: [ReachabilityReport]) throws -> String {
        try SnakeCaseJSON.encode(reports.map(JSONForm.init))
    }

    /// One report: `{"time_ns", "flow": {...}, "reachable", "forward": path, "reverse": path?}`,
    /// each path `{"flow", "hops": [{stage, component, detail, passed}], "verdict": "delivered"|"blocked"|"left",
    /// "delivered_to"?, "left_through"?: {kind, id}, "blocked"?: {stage, component, code, reason, fix}}`.
    struct JSONForm: Encodable {
        struct Flow: Encodable {
            var source: String, destination: String, `protocol`: String
            var sourcePort: UInt16?, destinationPort: UInt16?
        }
        struct Path: Encodable {
            var flow: String
            var hops: [ReachabilityHop]
            var verdict: String
            var deliveredTo: String?
            var leftThrough: Gateway?
            var blocked: ReachabilityBlock?
        }
        struct Gateway: Encodable {
            var kind: String, id: String
        }
        var timeNanoseconds: Int64
        var flow: Flow
        var reachable: Bool
        var forward: Path
        var reverse: Path?

        init(_ report: ReachabilityReport) {
            let flow = report.flow
            timeNanoseconds = report.time.nanoseconds
            self.flow = Flow(source: "\(flow.source)", destination: "\(flow.destination)", protocol: flow.ipProtocol.rawValue,
                             sourcePort: flow.ipProtocol.hasPorts ? flow.sourcePort : nil,
                             destinationPort: flow.ipProtocol.hasPorts ? flow.destinationPort : nil)
            reachable = report.isReachable
            func path(_ path: ReachabilityPath) -> Path {
                var delivered: String?
                if case .delivered(let instance) = path.outcome { delivered = report.name(instance) }
                return Path(flow: path.flowDescription, hops: path.hops,
                            verdict: path.isDelivered ? "delivered" : path.leaves == nil ? "blocked" : "left", deliveredTo: delivered,
                            leftThrough: path.leaves.map { Gateway(kind: $0.kind.rawValue, id: $0.id) }, blocked: path.block)
            }
            forward = path(report.forward)
            reverse = report.reverse.map(path)
        }
    }
}
