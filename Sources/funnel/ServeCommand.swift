import ArgumentParser
import Foundation
import FunnelServer

/// `funnel serve --checkpoint DIR`: a checkpoint's model behind HTTP/JSON scoring routes.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Score requests with a checkpoint's model over HTTP (POST /v1/score, /v1/rank; GET /healthz, /readyz, /metrics).",
        discussion: """
            Rows carry raw values by column name, as in the dataset's files; unknown values take the out-of-vocabulary id as in training. When the checkpoint directory's `latest` changes, the new checkpoint is loaded in the background and swapped in; one that fails to load leaves the old model serving. Example:
              funnel serve --checkpoint runs/esmm/checkpoints --port 8080
              curl -s localhost:8080/v1/score -d '{"rows": [{"user": 3, "item": 17}]}'
            """)

    @Option(help: "A checkpoint directory (its `latest` is followed) or one checkpoint folder.")
    var checkpoint: String

    @Option(help: "The address to bind.")
    var host = "127.0.0.1"

    @Option(help: "The port (0: any free port).")
    var port = 8080

    @Option(help: "The largest request body in bytes.")
    var maximumBodyBytes = ServingLimits().maximumBodyBytes

    @Option(help: "The most rows per request.")
    var maximumRows = ServingLimits().maximumRows

    @Option(help: "Seconds a request may wait to be scored.")
    var timeout = 10.0

    @Option(help: "The most rows waiting across requests before requests are refused (503).")
    var maximumQueuedRows = ServingLimits().maximumQueuedRows

    @Option(help: "Micro-batching: the most rows per forward pass.")
    var maximumBatchRows = ServingLimits().maximumBatchRows

    @Option(help: "Micro-batching: milliseconds the first waiting request waits for others (0: batch what arrived meanwhile).")
    var batchDelay = 0.0

    @Option(help: "Kernel threads per forward pass.")
    var threads = 2

    @Option(help: "Seconds between reads of the checkpoint directory's `latest`.")
    var reloadInterval = 1.0

    func validate() throws {
        guard maximumBodyBytes > 0, maximumRows > 0, maximumQueuedRows > 0, maximumBatchRows > 0, threads > 0 else {
            throw ValidationError("limits, batch rows and threads must be positive")
        }
        guard timeout > 0, batchDelay >= 0, reloadInterval > 0 else {
            throw ValidationError("--timeout and --reload-interval must be positive, --batch-delay at least 0")
        }
    }

    func run() throws {
        var limits = ServingLimits()
        limits.maximumBodyBytes = maximumBodyBytes
        limits.maximumRows = maximumRows
        limits.timeout = .milliseconds(Int64(timeout * 1000))
        limits.maximumQueuedRows = maximumQueuedRows
        limits.maximumBatchRows = maximumBatchRows
        limits.batchDelay = .microseconds(Int64(batchDelay * 1000))
        limits.threads = threads
        limits.reloadInterval = .milliseconds(Int64(reloadInterval * 1000))
        let server = try ScoringServer(checkpoint: checkpoint, host: host, port: port, limits: limits) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        try ServingLoop.run(
            start: { try await server.start() },
            announcement: {
                let (name, step) = server.serving
                return "funnel serve: \(name) (step \(step)) at \(server.url?.absoluteString ?? "?")"
            },
            serve: { try await server.run() })
    }
}
