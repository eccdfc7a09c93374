/// Alibaba Cloud writes a security group rule's port range as start/end (`1/200`, `80/80` for
/// one port), so `80/443` is ports 80 **through** 443, not the two ports. A `/` range whose two
/// bounds are both well-known service ports reads like a list, and usually was meant as one.
enum PortRangeNotation {
    /// Service ports that a rule names one at a time (IANA service names).
    static let wellKnownServices: [UInt16: String] = [
        20: "ftp-data", 21: "ftp", 22: "ssh", 23: "telnet", 25: "smtp", 53: "domain", 80: "http", 110: "pop3",
        123: "ntp", 143: "imap", 161: "snmp", 389: "ldap", 443: "https", 445: "microsoft-ds", 465: "submissions",
        587: "submission", 636: "ldaps", 993: "imaps", 995: "pop3s", 1433: "ms-sql-s", 1521: "oracle", 2049: "nfs",
        3306: "mysql", 3389: "ms-wbt-server", 5432: "postgresql", 6379: "redis", 8080: "http-alt", 8443: "https-alt",
        9200: "elasticsearch", 27017: "mongodb",
    ]

    /// The warning for `ports: TEXT` when it is written `A/B`, A < B, and both are well-known
    /// service ports; nil otherwise (`80-443`, `22`, `1024/65535` are plainly ranges).
    static func listLookalikeWarning(_ text: String, range: PortRange) -> String? {
        guard text.contains("/"), range.lower < range.upper,
              let low = wellKnownServices[range.lower], let high = wellKnownServices[range.upper] else { return nil }
        let count = Int(range.upper) - Int(range.lower) + 1
        return "ports \(text) is the range \(range.lower) through \(range.upper) (\(count) ports), not the two ports "
            + "\(range.lower) (\(low)) and \(range.upper) (\(high)); for those, write one rule per port"
    }
}
