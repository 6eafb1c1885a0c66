import Foundation
import Prometheus

/// The scoring server's Prometheus metrics (`GET /metrics`, text exposition format 0.0.4):
/// - `funnel_requests_total{route, status}`: answered requests;
/// - `funnel_request_duration_seconds{route}`: latency from the body read to the reply;
/// - `funnel_batch_rows`: rows per scored micro-batch (several requests scored together);
/// - `funnel_errors_total{kind}`: refusals and failures by kind (`invalid_request`,
///   `too_large`, `busy`, `timeout`, `server_error`, `reload_failed`);
/// - `funnel_model_step`: the serving checkpoint's training step; `funnel_reloads_total`:
///   models swapped in by hot reload.
final class ServingMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let batchRows: ValueHistogram
    private let modelStep: Gauge
    private let reloads: Counter

    /// Latency buckets, 0.5 ms to 10 s.
    private static let latencyBuckets: [Duration] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10]
        .map { Duration.nanoseconds(Int64($0 * 1e9)) }

    init() {
        batchRows = registry.makeValueHistogram(
            descriptor: Self.name("batch", "rows", "Rows per scored micro-batch"), labels: [],
            buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384])
        modelStep = registry.makeGauge(descriptor: Self.name("model", "step", "Training step of the serving checkpoint"), labels: [])
        reloads = registry.makeCounter(descriptor: Self.name("reloads", "total", "Checkpoints swapped in by hot reload"), labels: [])
    }

    private static var requests: MetricNameDescriptor { name("requests", "total", "Answered requests") }
    private static var latency: MetricNameDescriptor { name("request_duration", "seconds", "Seconds from the request to its reply") }
    private static var errors: MetricNameDescriptor { name("errors", "total", "Refusals and failures by kind") }

    /// `funnel_<metric>_<unit>`.
    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "funnel", metricName: metric, unitName: unit, helpText: help)
    }

    /// Counts an answered request and its latency.
    func recordRequest(route: String, status: Int, seconds: Double) {
        registry.makeCounter(descriptor: Self.requests, labels: [("route", route), ("status", String(status))]).increment()
        registry.makeDurationHistogram(descriptor: Self.latency, labels: [("route", route)], buckets: Self.latencyBuckets)
            .record(Duration.nanoseconds(Int64(seconds * 1e9)))
    }

    /// Counts an error of `kind`.
    func recordError(_ kind: String) {
        registry.makeCounter(descriptor: Self.errors, labels: [("kind", kind)]).increment()
    }

    func recordBatch(rows: Int) {
        batchRows.record(Double(rows))
    }

    func recordModel(step: Int, reloaded: Bool) {
        modelStep.set(Double(step))
        if reloaded { reloads.increment() }
    }

    /// The exposition text.
    func text() -> String {
        registry.emitToString()
    }
}
