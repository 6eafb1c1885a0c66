/// The limits and batching of a ``ScoringServer``.
public struct ServingLimits: Sendable, Equatable {
    /// The largest request body; a larger one is refused with 413 before it is parsed.
    public var maximumBodyBytes = 8 << 20
    /// The most rows one `/v1/score` request may carry (413 past it), and the largest `k` of
    /// `/v1/rank`.
    public var maximumRows = 4096
    /// How long a request may wait to be scored before it is answered with 503.
    public var timeout: Duration = .seconds(10)
    /// The most rows waiting to be scored across requests; a request past it is refused with
    /// 503 at once (bounded concurrency: memory stays bounded under any load).
    public var maximumQueuedRows = 65536
    /// Micro-batching: the most rows scored in one forward pass...
    public var maximumBatchRows = 4096
    /// ...and how long the first waiting request waits for others. 0: a batch takes the
    /// requests that arrived while the previous one was scored, which measured faster at every
    /// load than waiting 2 ms (README, Serving).
    public var batchDelay: Duration = .zero
    /// Kernel threads per forward pass.
    public var threads = 2
    /// How often the checkpoint directory's `latest` is read for hot reload.
    public var reloadInterval: Duration = .seconds(1)

    public init() {}
}
