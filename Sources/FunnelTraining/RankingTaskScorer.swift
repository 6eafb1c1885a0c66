import FunnelData
import FunnelMetrics
import FunnelModels
import FunnelTensor

/// A ranking task (sequential.md §0.2–§0.3): the first output scores every item id of the
/// catalogue for each row (`[batch, catalogue]`); the row's target (its label, a categorical
/// item column) is ranked among the full catalogue — its history masked or not — or among 100
/// (`sampledNegatives`) uniformly drawn unseen items; HR, NDCG and MRR at each cutoff, the mean
/// over rows. Where the dataset records each row's true next-item distribution (a simulated
/// world's `rankingTruth`), the same candidates ordered by score are also judged against it:
/// `truth_ndcg@K` (graded NDCG with the true probabilities as gains, the ideal order being the
/// truth's own) and `truth_mass@K` (the true probability of the top K, as a share of the
/// candidates' true probability: the expected HR@K were the target drawn from the truth).
struct RankingTaskScorer: TaskScorer {
    let task: EvaluationTask
    let ranking: RankingProtocol
    /// The real item ids of the target's vocabulary (a reserved id 0 and padding left out).
    let catalogue: Range<Int32>
    private var summary: RankingSummary
    private var skippedTargets = 0
    /// The split's true next-item probabilities, one row per split row, when recorded.
    private let truth: RankingTruth?
    /// Per cutoff, the sums over rows of truth_ndcg@K and truth_mass@K.
    private var truthSums: (ndcg: [Double], mass: [Double])

    init(task: EvaluationTask, protocol ranking: RankingProtocol, dataset: Dataset, split: String) throws {
        guard let vocabulary = dataset.vocabulary(for: task.label) else {
            throw DataError.missingRequirement(
                dataset: dataset.schema.name, column: task.label, reason: "a ranking task's target: a categorical item column")
        }
        let named = task.name.isEmpty ? "the ranking task" : "ranking task '\(task.name)'"
        let first = Swift.max(vocabulary.firstValueID, ranking.firstItem ?? 0)
        guard first < Int32(vocabulary.size) else {
            throw StrictJSON.Error(description: "\(named): firstItem \(first) leaves no item of the \(vocabulary.size) ids")
        }
        if let negatives = ranking.sampledNegatives, negatives < 1 || negatives >= vocabulary.size - Int(first) {
            throw StrictJSON.Error(description: "\(named): sampledNegatives \(negatives) must lie in 1..<\(vocabulary.size - Int(first)) (the catalogue's size)")
        }
        guard !ranking.cutoffs.isEmpty, ranking.cutoffs.allSatisfy({ $0 >= 1 }) else {
            throw StrictJSON.Error(description: "\(named): cutoffs \(ranking.cutoffs) must be positive and at least one")
        }
        self.task = task
        self.ranking = ranking
        catalogue = first..<Int32(vocabulary.size)
        summary = RankingSummary(cutoffs: ranking.cutoffs)
        truth = try dataset.rankingTruth(split: split)
        if let truth, truth.items < Int(catalogue.upperBound) {
            throw DataError.missingRequirement(
                dataset: dataset.schema.name, column: task.label,
                reason: "the ranking truth of split '\(split)' covers \(truth.items) ids, the catalogue \(catalogue.upperBound)")
        }
        truthSums = (Array(repeating: 0, count: ranking.cutoffs.count), Array(repeating: 0, count: ranking.cutoffs.count))
    }

    var rows: (scores: [Double], labels: [Double], groups: [Int64]) { ([], [], []) }

    /// A seeded subset of at most `cap` of the kept rows (the evaluated users).
    static func cap(_ rows: [Bool], to cap: Int, seed: UInt64) -> [Bool] {
        var kept = rows.indices.filter { rows[$0] }
        guard kept.count > cap else { return rows }
        var random = RandomGenerator(seed: seed ^ 0xCA9_05E5)
        for index in stride(from: kept.count - 1, to: 0, by: -1) { kept.swapAt(index, Int(random.next() % UInt64(index + 1))) }
        var capped = [Bool](repeating: false, count: rows.count)
        for row in kept.prefix(cap) { capped[row] = true }
        return capped
    }

    mutating func add(_ outputs: [String: Tensor], batch: Batch, groups: [Int64]?) throws {
        let scores = try Evaluator.output(task.outputs[0], of: outputs, task: task)
        guard scores.rank == 2, scores.shape[0] == batch.size, scores.shape[1] >= Int(catalogue.upperBound) else {
            throw DataError.missingRequirement(
                dataset: "model outputs", column: task.outputs[0],
                reason: "a ranking task scores [batch, catalogue ≥ \(catalogue.upperBound)], got shape \(scores.shape)")
        }
        guard let targets = batch.ids[task.label] else {
            throw DataError.missingRequirement(dataset: "batch", column: task.label, reason: "a ranking task's target ids")
        }
        let width = scores.shape[1]
        let values = scores.scalars
        let history = ranking.history.flatMap { batch.sequences[$0] }
        let keep = try Evaluator.keptRows(task, batch: batch)
        let tieBreaking = ItemRanking.TieBreaking(rawValue: ranking.tieBreaking.rawValue) ?? .optimistic
        for row in 0..<batch.size where keep?[row] ?? true {
            let target = targets[row]
            guard catalogue.contains(target) else {
                skippedTargets += 1
                continue
            }
            var seen: Set<Int32> = []
            if let history {
                for position in 0..<history.length where history.mask[row * history.length + position] > 0 {
                    let item = history.ids[row * history.length + position]
                    if item != target && catalogue.contains(item) { seen.insert(item) }
                }
            }
            let base = row * width
            let result: ItemRanking
            if let negatives = ranking.sampledNegatives {
                var random = RandomGenerator(seed: ranking.seed ^ (UInt64(batch.rows[row]) &* 0x9E37_79B9_7F4A_7C15))
                let drawn = Self.unseen(negatives, from: catalogue, seen: seen.union([target]), using: &random)
                let candidates = [target] + drawn
                result = try ItemRanking(scores: candidates.map { values[base + Int($0)] }, target: 0, tieBreaking: tieBreaking)
                if let truth { addTruth(truth.row(Int(batch.rows[row])), candidates: candidates, scores: values, base: base) }
            } else {
                let lower = Int(catalogue.lowerBound)
                let rowScores = Array(values[(base + lower)..<(base + Int(catalogue.upperBound))])
                result = try ItemRanking(
                    scores: rowScores, target: Int(target) - lower,
                    excluding: ranking.maskHistory ? seen.map { Int($0) - lower }.sorted() : [], tieBreaking: tieBreaking)
                if let truth {
                    let candidates = catalogue.filter { !ranking.maskHistory || !seen.contains($0) }
                    addTruth(truth.row(Int(batch.rows[row])), candidates: candidates, scores: values, base: base)
                }
            }
            summary.add(result)
        }
    }

    /// Adds one row's truth metrics: the candidates ordered by score (ties by candidate order),
    /// their true probabilities as gains.
    private mutating func addTruth(_ probabilities: [Float], candidates: [Int32], scores: [Float], base: Int) {
        let order = candidates.indices.sorted { left, right in
            let (a, b) = (scores[base + Int(candidates[left])], scores[base + Int(candidates[right])])
            return a > b || (a == b && left < right)
        }
        let gains = order.map { Double(probabilities[Int(candidates[$0])]) }
        let total = gains.reduce(0, +)
        for (index, cutoff) in ranking.cutoffs.enumerated() {
            truthSums.ndcg[index] += (try? Metrics.ndcg(labelsInPredictedOrder: gains, cutoff: cutoff)) ?? 0
            truthSums.mass[index] += total > 0 ? gains.prefix(cutoff).reduce(0, +) / total : 0
        }
    }

    /// `count` distinct items drawn uniformly from the catalogue outside `seen`.
    static func unseen(_ count: Int, from catalogue: Range<Int32>, seen: Set<Int32>, using random: inout RandomGenerator) -> [Int32] {
        let available = catalogue.count - seen.filter(catalogue.contains).count
        var drawn: [Int32] = []
        var chosen: Set<Int32> = []
        let distinct = available >= count
        while drawn.count < count && available > 0 {
            let item = catalogue.lowerBound + Int32(random.next() % UInt64(catalogue.count))
            guard !seen.contains(item), !distinct || chosen.insert(item).inserted else { continue }
            drawn.append(item)
        }
        return drawn
    }

    func finish() throws -> (values: [(name: String, value: Double)], compared: [String], line: String) {
        var values: [(name: String, value: Double)] = [("users", Double(summary.userCount))]
        var compared: [String] = []
        for cutoff in ranking.cutoffs {
            for metric in [RankingMetric.hitRatio, .ndcg, .reciprocalRank] {
                let name = "\(metric.rawValue)@\(cutoff)"
                values.append((name, (try? summary.mean(metric, at: cutoff)) ?? .nan))
                compared.append(name)
            }
        }
        values.append(("mrr", (try? summary.meanReciprocalRank()) ?? .nan))
        compared.append("mrr")
        if truth != nil {
            let users = Double(Swift.max(summary.userCount, 1))
            for (index, cutoff) in ranking.cutoffs.enumerated() {
                values.append(("truth_ndcg@\(cutoff)", truthSums.ndcg[index] / users))
                values.append(("truth_mass@\(cutoff)", truthSums.mass[index] / users))
                compared += ["truth_ndcg@\(cutoff)", "truth_mass@\(cutoff)"]
            }
        }
        let candidates = ranking.sampledNegatives.map { "the target and \($0) items drawn uniformly outside the history (seed \(ranking.seed))" }
            ?? "the full catalogue (\(catalogue.count) items)\(ranking.history == nil ? "" : ranking.maskHistory ? ", history masked (never the target)" : ", history not masked")"
        let users = ranking.maximumUsers.map { ", at most \($0) rows drawn with seed \(ranking.seed)" } ?? ""
        let skipped = skippedTargets > 0 ? "; \(skippedTargets) rows skipped: target outside the catalogue" : ""
        let judged = truth == nil ? "" : "; judged also against the recorded true next-item probabilities (truth_ndcg: their graded NDCG, truth_mass: the top K's share of them)"
        let line = "rank '\(task.label)' by \(task.scoreDescription) among \(candidates) for \(summary.userCount) rows\(users); ties: \(ranking.tieBreaking.rawValue)\(skipped)\(judged)"
        return (values, compared, line)
    }
}
