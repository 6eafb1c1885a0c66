import Foundation
import FunnelData
import FunnelTensor

/// Micro-batching of scoring requests: one worker thread takes the waiting requests, waits at
/// most ``maximumDelay`` after the first for more while fewer than ``maximumBatchRows`` rows
/// wait, and scores their rows in one forward pass, so throughput grows with load. Requests
/// scored together share a model (one swapped in by hot reload starts a new batch).
///
/// Bounded: a request that would take the queue past ``maximumQueuedRows`` is refused at once
/// (``ScoringRefusal/busy``); one still waiting at its deadline is answered with
/// ``ScoringRefusal/timeout`` without being scored.
final class ScoringQueue: @unchecked Sendable {
    let maximumBatchRows: Int
    let maximumDelay: Duration
    let maximumQueuedRows: Int
    /// Kernel threads of each forward pass.
    let threads: Int
    private let metrics: ServingMetrics
    /// Held around every forward pass, the queue's and ``ScoringServer``'s rankings: a model
    /// switches to evaluation mode for a pass, so passes on one model never overlap.
    let forwardLock = NSLock()

    private struct Job {
        var rows: [[String: RowField]]
        var model: ModelStore.Model
        var deadline: ContinuousClock.Instant
        var arrival: ContinuousClock.Instant
        var continuation: CheckedContinuation<[String: [Double]], any Error>
    }

    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var queuedRows = 0

    init(maximumBatchRows: Int, maximumDelay: Duration, maximumQueuedRows: Int, threads: Int, metrics: ServingMetrics) {
        self.maximumBatchRows = max(1, maximumBatchRows)
        self.maximumDelay = maximumDelay
        self.maximumQueuedRows = max(1, maximumQueuedRows)
        self.threads = threads
        self.metrics = metrics
        Thread.detachNewThread { self.work() }
    }

    /// Scores `rows` with `model` once a batch takes them: `scores[name][row]`.
    /// - Throws: ``ScoringRefusal`` (busy, timeout), ``RowEncodingError`` for a bad field, or
    ///   the model's error.
    func score(_ rows: [[String: RowField]], with model: ModelStore.Model, timeout: Duration) async throws -> [String: [Double]] {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            guard queuedRows == 0 || queuedRows + rows.count <= maximumQueuedRows else {
                continuation.resume(throwing: ScoringRefusal.busy(queuedRows: queuedRows))
                return
            }
            let now = ContinuousClock.now
            jobs.append(Job(rows: rows, model: model, deadline: now + timeout, arrival: now, continuation: continuation))
            queuedRows += rows.count
            condition.signal()
        }
    }

    /// The worker's loop: waits for a batch, scores it, answers its requests.
    private func work() {
        while true {
            let batch = nextBatch()
            let now = ContinuousClock.now
            var live: [Job] = []
            for job in batch {
                if now > job.deadline {
                    job.continuation.resume(throwing: ScoringRefusal.timeout)
                } else {
                    live.append(job)
                }
            }
            score(live)
        }
    }

    /// Scores the jobs' rows in one pass. A bad field fails its own request only: the request
    /// holding the row the encoder refused is answered with the refusal (its row renumbered)
    /// and the others are scored again without it, so the common case encodes every row once.
    private func score(_ jobs: [Job]) {
        var live = jobs
        while let model = live.first?.model {
            let rows = live.flatMap(\.rows)
            do {
                let scores = try forwardLock.withLock { try Compute.withThreads(threads) { try model.scorer.score(rows) } }
                metrics.recordBatch(rows: rows.count)
                var start = 0
                for job in live {
                    let range = start..<(start + job.rows.count)
                    job.continuation.resume(returning: scores.mapValues { Array($0[range]) })
                    start = range.upperBound
                }
                return
            } catch var error as RowEncodingError {
                guard let row = error.row else {
                    for job in live { job.continuation.resume(throwing: error) }
                    return
                }
                var start = 0
                let culprit = live.firstIndex { job in
                    defer { start += job.rows.count }
                    return row < start + job.rows.count
                }!
                error.row = row - live[..<culprit].reduce(0) { $0 + $1.rows.count }
                live.remove(at: culprit).continuation.resume(throwing: error)
            } catch {
                for job in live { job.continuation.resume(throwing: error) }
                return
            }
        }
    }

    /// Blocks until requests wait, then until ``maximumBatchRows`` rows wait or ``maximumDelay``
    /// passed since the first arrived; takes the leading requests that share its model, up to
    /// ``maximumBatchRows`` rows (the first always).
    private func nextBatch() -> [Job] {
        condition.lock()
        defer { condition.unlock() }
        while jobs.isEmpty { condition.wait() }
        let due = jobs[0].arrival + maximumDelay
        while queuedRows < maximumBatchRows, ContinuousClock.now < due {
            let remaining = due - ContinuousClock.now
            let seconds = Double(remaining.components.seconds) + Double(remaining.components.attoseconds) * 1e-18
            _ = condition.wait(until: Date(timeIntervalSinceNow: max(0, seconds)))
        }
        var taken = 1
        var rows = jobs[0].rows.count
        while taken < jobs.count, jobs[taken].model === jobs[0].model, rows + jobs[taken].rows.count <= maximumBatchRows {
            rows += jobs[taken].rows.count
            taken += 1
        }
        let batch = Array(jobs.prefix(taken))
        jobs.removeFirst(taken)
        queuedRows -= rows
        return batch
    }
}

/// Why a scoring request was not scored.
enum ScoringRefusal: Error, Equatable {
    /// The queue holds too many rows.
    case busy(queuedRows: Int)
    /// The request waited past its deadline.
    case timeout
}
