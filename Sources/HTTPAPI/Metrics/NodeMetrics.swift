import CoreMetrics
import MeshCore
import MeshNode
import Prometheus
import Synchronization

/// The node's Prometheus metrics, served at `GET /metrics` in the text format.
///
/// Request counts and latencies are swift-metrics `Counter`s and `Timer`s made by a
/// `PrometheusMetricsFactory` over this node's own registry (not the process-global
/// `MetricsSystem`, so several nodes in one test process keep apart). The mesh figures are
/// read from the node at scrape time: gauges for what is current (linked peers, teams), and
/// counters advanced by what the core's totals grew since the last scrape.
public final class NodeMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory

    private let linkedPeers: Prometheus.Gauge
    private let teams: Prometheus.Gauge
    private let uptime: Prometheus.Gauge
    private let chunksOutstanding: Prometheus.Gauge
    /// Counters mirrored from the core's totals: name → (counter, last total seen).
    private let mirrored = Mutex<[String: (counter: Prometheus.Counter, last: Int)]>([:])

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                                                   .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5)]
        self.factory = factory
        linkedPeers = registry.makeGauge(descriptor: Self.metric("elohim_peers_linked", "Peers with a live link now"))
        teams = registry.makeGauge(descriptor: Self.metric("elohim_teams", "Teams this node holds"))
        uptime = registry.makeGauge(descriptor: Self.metric("elohim_uptime_seconds", "Seconds since the node started"))
        chunksOutstanding = registry.makeGauge(descriptor: Self.metric("elohim_vault_chunks_outstanding",
                                                                       "Vault chunks the index names that this node is still fetching"))
    }

    /// A metric named exactly `name` (the unit is part of it already).
    private static func metric(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// Counts one answered request: by method, route pattern and status.
    func request(method: String, route: String, status: Int, duration: Duration) {
        CoreMetrics.Counter(label: "elohim_http_requests_total",
                            dimensions: [("method", method), ("route", route), ("status", String(status))], factory: factory).increment()
        CoreMetrics.Timer(label: "elohim_http_request_duration_seconds", dimensions: [("method", method), ("route", route)],
                          factory: factory).recordNanoseconds(duration.nanoseconds)
    }

    /// The text exposition, after reading the node's current figures.
    func scrape(node: Node, linked: Int) async -> String {
        let d = await node.diagnostics()
        linkedPeers.set(Double(linked))
        teams.set(Double(d.teams))
        uptime.set(d.uptimeSeconds)
        chunksOutstanding.set(Double(d.chunksOutstanding))
        var totals: [(String, String, [(String, String)], Int)] = [
            ("elohim_ops_written_total", "Ops this node wrote", [], d.replication.opsWritten),
            ("elohim_ops_applied_total", "Ops logged from peers", [("via", "gossip")], d.replication.opsFromGossip),
            ("elohim_ops_applied_total", "Ops logged from peers", [("via", "sync")], d.replication.opsFromSync),
            ("elohim_gossip_copies_total", "Payload copies put on links", [("kind", "push")], d.gossip.payloadCopiesSent),
            ("elohim_gossip_copies_total", "Payload copies put on links", [("kind", "repair")], d.gossip.repairCopiesSent),
            ("elohim_gossip_delivered_total", "Broadcasts delivered here", [], d.gossip.delivered),
            ("elohim_sync_bytes_sent_total", "Bytes of sync batches sent", [], d.replication.syncBytesSent),
            ("elohim_vault_chunks_total", "Vault chunks moved by chunk sync", [("event", "fetched")], d.chunks.stored),
            ("elohim_vault_chunks_total", "Vault chunks moved by chunk sync", [("event", "asked-by-peers")], d.chunks.served),
            ("elohim_vault_chunks_total", "Vault chunks moved by chunk sync", [("event", "not-held")], d.chunks.notHeld),
            ("elohim_vault_chunks_total", "Vault chunks moved by chunk sync", [("event", "timed-out")], d.chunks.timedOut),
            ("elohim_vault_chunks_total", "Vault chunks moved by chunk sync", [("event", "rejected")], d.chunks.rejected),
            ("elohim_vault_chunks_total", "Vault chunks moved by chunk sync", [("event", "throttled")], d.chunks.throttled),
            ("elohim_vault_chunks_total", "Vault chunks moved by chunk sync", [("event", "forgotten")], d.chunks.forgotten),
        ]
        for hit in d.limitsHit { totals.append(("elohim_limits_hit_total", "Times a limit was reached", [("limit", hit.limit)], hit.hits)) }
        mirrored.withLock { table in
            for (name, help, labels, total) in totals {
                let key = name + labels.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
                let entry = table[key] ?? (registry.makeCounter(descriptor: Self.metric(name, help), labels: labels), 0)
                if total > entry.last { entry.counter.increment(by: Int64(total - entry.last)) }
                table[key] = (entry.counter, max(total, entry.last))
            }
        }
        return registry.emitToString()
    }
}
