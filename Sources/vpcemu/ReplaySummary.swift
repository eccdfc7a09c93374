import Foundation
import VPCEmu

/// The terminal summary of a replay.
enum ReplaySummary {
    static func text(_ report: ReplayReport, pipeline: ForwardingPipeline, out: String) -> String {
        let counters = pipeline.counters
        let topology = pipeline.topology
        var lines = ["packets \(counters.packets)   delivered \(counters.delivered)   dropped \(counters.dropped)   "
                     + (counters.left > 0 ? "left the model \(counters.left)   " : "")
                     + "emulated " + (report.emulatedStart == 0 ? "" : "\(EmulatedTime(nanoseconds: report.emulatedStart).humanDescription) to ")
                     + "\(EmulatedTime(nanoseconds: report.emulatedEnd).humanDescription)"]
        lines.append("")
        lines.append("received by instance")
        for (instance, name) in topology.instanceNames.enumerated() {
            lines.append("  \(pad(name, 24)) \(counters.receivedByInstance[instance])")
        }
        if !report.dropsByReason.isEmpty {
            lines.append("drops by reason")
            for (code, count) in report.dropsByReason.sorted(by: { $0.key < $1.key }) { lines.append("  \(pad(code, 40)) \(count)") }
            if report.dropsByReason[DropReason.Kind.unknownSource.code] != nil {
                lines.append("  (unknown-source: bind a source address or block to the instance that sends it with --bind ADDR=INSTANCE or CIDR=INSTANCE, or move it onto the topology with --map FROM=TO)")
            }
        }
        if !report.peerings.isEmpty {
            lines.append("peering directions                                  packets        bytes  throttled")
            for direction in report.peerings where direction.packets > 0 || direction.throttledPackets > 0 {
                lines.append("  \(pad("\(direction.peering) \(direction.direction.rawValue)", 48)) \(pad("\(direction.packets)", 9, left: true))"
                             + " \(pad("\(direction.bytes)", 12, left: true)) \(pad("\(direction.throttledPackets)", 10, left: true))")
            }
        }
        if report.connectionsRefused > 0 {
            lines.append("connection table full: \(report.connectionsRefused) new connections refused "
                         + "(their packets: connection-table-full; raise settings.connection_table)")
        }
        if counters.timeExceededAnswers > 0 { lines.append("time-exceeded answers \(counters.timeExceededAnswers)") }
        lines.append("alerts fired \(report.alerts.count)" + report.alerts.map { "\n  " + $0.summary(origin: 0) }.joined())
        lines.append("cost estimate \(report.cost.totalUSD) USD")
        lines.append("")
        lines.append("outputs in \(out): one INSTANCE.pcap per instance, dropped.pcapng, report.json, metrics.csv, throughput.svg")
        return lines.joined(separator: "\n")
    }

    private static func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return left ? padding + text : text + padding
    }
}
