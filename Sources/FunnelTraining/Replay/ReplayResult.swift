import Foundation
import FunnelData
import FunnelMetrics
import FunnelModels

/// What a replay measured: AUC, logloss and truth AUC per chunk, those and GAUC per day and
/// over every replayed row, the recovery after a shift, and the memory's size and cost.
public struct ReplayResult: Sendable {
    public struct Window: Sendable {
        public var firstDay: Int64
        public var lastDay: Int64
        public var rows: Int
        public var metrics: [String: Double]
    }

    public var chunks: [Window]
    public var days: [Window]
    public var overall: [String: Double]
    /// Chunks from the first one of the shift day until the recovery metric is back within
    /// the tolerance of its mean before the shift (0: it never left); NaN: not recovered by
    /// the end, or no shift configured.
    public var recoveryChunks: Double
    public var memoryBytes: Int
    public var servingSecondsPerSample: Double
    public var memorySecondsPerSample: Double
    public var protocolLine: String

    /// The metrics an evaluation reports: `replay_<metric>` overall, `replay_day<d>_<metric>`,
    /// `replay_chunk<k>_<metric>` (k from 1), `replay_recovery_chunks`, `replay_memory_mib`
    /// and `replay_memory_overhead` (memory seconds over serving seconds per sample), with the
    /// two times per sample in `replay_serving_microseconds` and `replay_memory_microseconds`.
    public var metrics: [String: Double] {
        var values: [String: Double] = [:]
        for (name, value) in overall { values["replay_\(name)"] = value }
        for day in days { for (name, value) in day.metrics { values["replay_day\(day.firstDay)_\(name)"] = value } }
        for (index, chunk) in chunks.enumerated() { for (name, value) in chunk.metrics { values["replay_chunk\(index + 1)_\(name)"] = value } }
        values["replay_recovery_chunks"] = recoveryChunks
        values["replay_memory_mib"] = Double(memoryBytes) / 1_048_576
        values["replay_memory_overhead"] = servingSecondsPerSample > 0 ? memorySecondsPerSample / servingSecondsPerSample : .nan
        values["replay_serving_microseconds"] = servingSecondsPerSample * 1e6
        values["replay_memory_microseconds"] = memorySecondsPerSample * 1e6
        return values
    }

    /// The compared names in presentation order: overall, recovery, per day (chunks are kept
    /// in the JSON, not in tables).
    public var comparedNames: [String] {
        let overallNames = ReplayScores.metricOrder.filter { overall[$0] != nil }.map { "replay_\($0)" }
        let dayNames = days.flatMap { day in ReplayScores.metricOrder.filter { day.metrics[$0] != nil }.map { "replay_day\(day.firstDay)_\($0)" } }
        return overallNames + Self.summaryNames + dayNames
    }

    /// The names reported once per replay, after the overall metrics.
    static let summaryNames = [
        "replay_recovery_chunks", "replay_memory_mib", "replay_memory_overhead", "replay_serving_microseconds", "replay_memory_microseconds",
    ]
}

/// The replayed rows' predictions, labels, truths, users, days and chunks, gathered chunk by
/// chunk.
struct ReplayScores {
    static let metricOrder = ["auc", "gauc", "logloss", "truth_auc"]
    private var predictions: [Double] = []
    private var labels: [Double] = []
    private var truth: [Double] = []
    private var groups: [Int64] = []
    private var days: [Int64] = []
    private var chunks: [Int] = []

    mutating func add(_ predicted: [Double], batch: Batch, chunk: Int, plan: ReplayPlan) throws {
        let labels = try batch.tensor(plan.task.label).scalars
        let kept = try Evaluator.keptRows(plan.task, batch: batch)
        let truthValues = try plan.truthColumn.map { try batch.tensor($0).scalars }
        let groupValues = plan.groupColumn.map { batch.keys[$0] ?? batch.ids[$0]?.map(Int64.init) ?? [] }
        for row in 0..<batch.size where kept?[row] ?? true {
            predictions.append(predicted[row])
            self.labels.append(Double(labels[row]))
            if let truthValues { truth.append(Double(truthValues[row])) }
            if let groupValues, row < groupValues.count { groups.append(groupValues[row]) }
            days.append(plan.days[Int(batch.rows[row])])
            chunks.append(chunk)
        }
    }

    /// AUC, logloss, truth AUC and (with users, over whole days) GAUC of the rows `keep` holds.
    func metrics(_ keep: (Int) -> Bool, grouped: Bool) -> [String: Double] {
        let rows = predictions.indices.filter(keep)
        let scores = rows.map { predictions[$0] }
        let targets = rows.map { labels[$0] }
        var values: [String: Double] = [
            "auc": (try? Metrics.auc(scores: scores, labels: targets)) ?? .nan,
            "logloss": (try? Metrics.logLoss(probabilities: scores, labels: targets)) ?? .nan,
        ]
        if !truth.isEmpty {
            values["truth_auc"] = (try? TruthEvaluation(scores: scores, trueProbabilities: rows.map { truth[$0] }, seed: 0))?.auc ?? .nan
        }
        if grouped && groups.count == predictions.count {
            values["gauc"] = (try? GroupedAUC(scores: scores, labels: targets, groups: rows.map { groups[$0] }, weighting: .uniform))?.value ?? .nan
        }
        return values
    }

    func result(
        plan: ReplayPlan, replay: ReplayConfiguration, memoryBytes: Int, servingSecondsPerSample: Double, memorySecondsPerSample: Double
    ) throws -> ReplayResult {
        func window(_ keep: (Int) -> Bool, grouped: Bool) -> ReplayResult.Window {
            let rows = predictions.indices.filter(keep)
            return ReplayResult.Window(
                firstDay: rows.map { days[$0] }.min() ?? 0, lastDay: rows.map { days[$0] }.max() ?? 0, rows: rows.count,
                metrics: metrics(keep, grouped: grouped))
        }
        let chunkWindows = (0..<plan.chunks.count).map { index in window({ chunks[$0] == index }, grouped: false) }
        let dayWindows = Array(Set(days)).sorted().map { day in window({ days[$0] == day }, grouped: true) }
        let recovery = replay.shiftDay.map { Self.recovery(chunkWindows, shiftDay: $0, replay: replay) } ?? .nan
        var line = "replay: split '\(plan.split)' from day \(plan.startDay) in time order, \(plan.chunks.count) chunks of \(replay.chunkSize) rows; each chunk predicted before its labels are written"
        if let reLoop = replay.reLoop { line += " into ReLoop2's \(reLoop.memory.rawValue) memory (\(memoryBytes) bytes)" }
        if replay.incrementalSteps > 0 { line += ", then \(replay.incrementalSteps) incremental step(s) on it" }
        if let shift = replay.shiftDay {
            line += "; recovery: chunks from day \(shift) until \(replay.recoveryMetric) is within \(replay.recoveryTolerance) of its mean before"
        }
        return ReplayResult(
            chunks: chunkWindows, days: dayWindows, overall: metrics({ _ in true }, grouped: true), recoveryChunks: recovery,
            memoryBytes: memoryBytes, servingSecondsPerSample: servingSecondsPerSample,
            memorySecondsPerSample: memorySecondsPerSample, protocolLine: line)
    }

    /// Chunks from the first chunk starting on or after the shift day until the metric is back
    /// within tolerance of its mean over the chunks that end before it.
    static func recovery(_ chunks: [ReplayResult.Window], shiftDay: Int64, replay: ReplayConfiguration) -> Double {
        let metric = replay.recoveryMetric
        let before = chunks.filter { $0.lastDay < shiftDay }.compactMap { $0.metrics[metric] }.filter { !$0.isNaN }
        guard !before.isEmpty else { return .nan }
        let level = before.reduce(0, +) / Double(before.count)
        let after = chunks.filter { $0.firstDay >= shiftDay }
        let lowerIsBetter = metric == "logloss"
        for (index, chunk) in after.enumerated() {
            guard let value = chunk.metrics[metric], !value.isNaN else { continue }
            if lowerIsBetter ? value <= level + replay.recoveryTolerance : value >= level - replay.recoveryTolerance {
                return Double(index)
            }
        }
        return .nan
    }
}
