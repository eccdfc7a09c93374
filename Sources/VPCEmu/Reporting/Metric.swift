import Foundation

/// The per-period metrics of a peering direction: the ones Alibaba Cloud's CloudMonitor shows for a VPC
/// peering connection (traffic in the period, bandwidth, packets dropped because of the bandwidth limit)
/// plus the ratios its alert rules are usually written on. The raw values name the CSV columns and the
/// metric of an alert rule.
public enum Metric: String, Hashable, Sendable, Codable, CaseIterable {
    /// Packets forwarded in the period.
    case packets
    /// Bytes forwarded in the period (CloudMonitor: traffic in the period, bytes).
    case bytes
    /// Forwarded bits per second (CloudMonitor: inbound / outbound bandwidth, bit/s).
    case bandwidth = "bandwidth_bps"
    case packetRate = "packets_per_second"
    /// Packets dropped by the bandwidth limit in the period.
    case throttledPackets = "throttled_packets"
    case throttledBytes = "throttled_bytes"
    /// Throttled packets per second (CloudMonitor: packets dropped due to throttling, pps).
    case throttledPacketRate = "throttled_pps"
    /// Throttled packets as a percentage of the packets offered to the bucket.
    case throttledPercent = "throttled_percent"
    /// Bandwidth as a percentage of the direction's limit; undefined for unlimited directions.
    case bandwidthUtilization = "bandwidth_utilization_percent"
    /// The longest shaping delay of a packet forwarded in the period, ns.
    case maxShapingDelay = "max_shaping_delay_ns"

    /// The metric's value for `counters` gathered over `duration` ns, nil when it is undefined (utilisation
    /// of a direction without a limit).
    public func value(of counters: DirectionCounters, duration: Int64, rateLimitBitsPerSecond: Int64?) -> Double? {
        let seconds = Double(duration) / 1e9
        switch self {
        case .packets: return Double(counters.packets)
        case .bytes: return Double(counters.bytes)
        case .bandwidth: return Double(counters.bytes) * 8 / seconds
        case .packetRate: return Double(counters.packets) / seconds
        case .throttledPackets: return Double(counters.throttledPackets)
        case .throttledBytes: return Double(counters.throttledBytes)
        case .throttledPacketRate: return Double(counters.throttledPackets) / seconds
        case .throttledPercent:
            let offered = counters.offeredPackets
            return offered == 0 ? 0 : Double(counters.throttledPackets) * 100 / Double(offered)
        case .bandwidthUtilization:
            guard let limit = rateLimitBitsPerSecond, limit > 0 else { return nil }
            return Double(counters.bytes) * 8 / seconds * 100 / Double(limit)
        case .maxShapingDelay: return Double(counters.maxShapingDelay)
        }
    }
}

/// Formats a metric value the same way on every run and platform: integers without a fraction, other
/// values with up to six decimals and no trailing zeros.
func formatMetricValue(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    var text = String(format: "%.6f", value)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
}
