/// One item of the peering troubleshooting checklist.
public struct DoctorCheck: Sendable, Hashable, Codable {
    /// The checklist, in the order it is run (the cloud documentation's troubleshooting steps).
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case peeringState = "peering-state"
        case cidrOverlap = "cidr-overlap"
        case privateAddressing = "rfc1918"
        case routesToPeer = "routes-to-peer"
        case routeDestination = "route-destination"
        case vswitchRouteTable = "vswitch-route-table"
        case securityGroups = "security-groups"
        case networkACLs = "network-acls"
        case nonTransitive = "non-transitive"
    }

    public enum Status: String, Sendable, Hashable, Codable {
        case pass, warn, fail
    }

    public var kind: Kind
    public var status: Status
    public var message: String
    /// What to change; nil when the check passes.
    public var fix: String?
}

/// The checklist run for one peering.
public struct PeeringDiagnosis: Sendable, Hashable, Codable {
    public var peering: String
    public var requester: String
    public var accepter: String
    /// The peering's state at the time of the check (`not created` before it exists).
    public var state: String
    public var checks: [DoctorCheck]
}

/// What `vpcemu doctor` reports.
public struct DoctorReport: Sendable, Hashable {
    public var time: EmulatedTime
    public var peerings: [PeeringDiagnosis]

    public var checks: [DoctorCheck] { peerings.flatMap(\.checks) }
    public func count(_ status: DoctorCheck.Status) -> Int { checks.filter { $0.status == status }.count }

    /// Whether the doctor exits non-zero: a check failed, or (strict) warned.
    public func fails(strict: Bool) -> Bool { count(.fail) > 0 || (strict && count(.warn) > 0) }

    public var text: String {
        var out = "Peering checks at \(time.humanDescription)\n"
        let width = DoctorCheck.Kind.allCases.map(\.rawValue.count).max() ?? 0
        for diagnosis in peerings {
            out += "\npeering \(diagnosis.peering): \(diagnosis.requester) -> \(diagnosis.accepter), \(diagnosis.state)\n"
            for check in diagnosis.checks {
                let kind = check.kind.rawValue + String(repeating: " ", count: width - check.kind.rawValue.count)
                out += "  \(check.status.rawValue.uppercased()) \(kind)  \(check.message)\n"
                if let fix = check.fix { out += "       \(String(repeating: " ", count: width))  fix: \(fix)\n" }
            }
        }
        out += "\n\(peerings.count) peering\(peerings.count == 1 ? "" : "s"): \(count(.pass)) passed, \(count(.warn)) warned, \(count(.fail)) failed\n"
        return out
    }

    /// `{"time_ns", "passed", "warned", "failed", "peerings": [{peering, requester, accepter,
    /// state, checks: [{kind, status, message, fix?}]}]}`.
    public func json() throws -> String {
        struct JSONForm: Encodable {
            var timeNanoseconds: Int64
            var passed: Int, warned: Int, failed: Int
            var peerings: [PeeringDiagnosis]
        }
        return try SnakeCaseJSON.encode(JSONForm(timeNanoseconds: time.nanoseconds, passed: count(.pass), warned: count(.warn),
                                                   failed: count(.fail), peerings: peerings))
    }
}
