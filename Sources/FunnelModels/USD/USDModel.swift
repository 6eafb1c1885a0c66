import FunnelData
import FunnelNN
import FunnelTensor

/// USD, user-intent-driven sampling and dual debiasing (Zheng et al., RecSys 2025,
/// DOI 10.1145/3705328.3748096; entire-space.md §10): BASE (``ETAModel``) trained on the
/// exposures of the day's portal visitors (Eq. 1) with inverse-intent weights from the
/// ``UserIntentModule`` (Eq. 7), which learns from the past week's portal visitors (Eqs. 5–6).
///
/// Loss (Eq. 8): `L'_CTR + α·L_portal + β·L_block`, with
/// `L'_CTR = (1/|B'|) Σ_{B'} w·e(y, ŷ)` over the batch rows in the sample `U'`, and the
/// stop-gradient weight `w = clip(1/(1 − ŷ_p), 1, 15)` on `U'_portal` (portal visit, no block
/// click: non-clicks of portal-minded users weigh more) and `w = clip(1/ŷ_b, 1, 15)` on
/// `U'_block` (block clickers: habitual clickers' rows weigh less). The ablations of §3.2 are
/// configurations: `sampler: blockClick` (-w/o PS), both weightings off (-w/o D), portal
/// weighting off (-w/o P), block weighting off (-w/o B).
public final class USDModel: Module, RegisteredModel {
    public static let summary = "USD: portal-visitor sampling + intent module + dual-debiasing weights on BASE (RecSys 2025; click, user-day labels, intent sequence)"
    public static var testFixture: ModelFixture {
        ModelFixture(world: "homepage", configuration: #"{"base": {"longLength": 20, "shortLength": 5, "retrieved": 8}}"#)
    }

    /// Which exposures the CTR loss learns from.
    public enum Sampler: String, Codable, Sendable, CaseIterable, StrictEnum {
        /// `y_p = 1`: the user visited the portal that day (Eq. 1).
        case portalVisit
        /// `y_b = 1`: click-based sampling (the -w/o PS ablation).
        case blockClick
        /// Every exposure.
        case none
    }

    public struct Configuration: ModelConfiguration, Equatable {
        public var base = ETAModel.Configuration()
        public var intent = UserIntentModule.Configuration()
        /// The user-day labels: portal visit `y_p`, block click `y_b`, portal visit in the past
        /// week `r_p`.
        public var portalVisit = "user-day.portal_visit"
        public var blockClick = "user-day.block_click"
        public var recentPortal = "user-day.recent_portal"
        public var sampler = Sampler.portalVisit
        public var portalWeighting = true
        public var blockWeighting = true
        /// The clip range of both weights.
        public var minimumWeight: Float = 1
        public var maximumWeight: Float = 15
        /// α and β of Eq. 8. They scale the gradients of UIEM's losses, which reach only the
        /// intent module (it shares no parameter with BASE), so under Adam (scale-free per
        /// parameter) they change nothing but their ratio on the shared decoder. They become
        /// the module's step sizes when it trains as its own parameter group with plain SGD at
        /// learning rate 1 (`optimizer.groups`: `{"name": "intent", "parameters": ["intent.*"],
        /// "kind": "sgd", "learningRate": 1}`): a step is then `α·∇L_portal + β·∇L_block`.
        /// Measured (issue 15, 20,000 users × 14 days, seed 1): at the paper's 1e-4 the module
        /// stays where it started (block-intent AUC 0.40, portal 0.63); at 0.1 and 1 it learns as
        /// under Adam (0.63 and 0.66).
        public var portalLossWeight: Float = 1e-4
        public var blockLossWeight: Float = 1e-4
        /// UIEM's losses count each (user, day) of a batch once instead of once per exposure.
        public var dedupeUsers = false
        /// The user and day columns that identify a user-day for `dedupeUsers`.
        public var userColumn = "user"
        public var dayColumn = "day"

        public init() {}

        public func validate() throws {
            let check = ModelConfigurationCheck()
            try base.validate(check.nested("base"))
            // USD's objective is its own: it would drop RAR's L_rec.
            guard base.rar == nil else { throw check.refusal("base.rar", "RAR is an option of base, mlp and din, not of USD's BASE") }
            try intent.validate(check.nested("intent"))
            try check.positive(minimumWeight, "minimumWeight")
            guard maximumWeight >= minimumWeight, maximumWeight.isFinite else {
                throw check.refusal("maximumWeight", "\(maximumWeight); expected a finite number >= minimumWeight (\(minimumWeight))")
            }
            try check.nonNegative(portalLossWeight, "portalLossWeight")
            try check.nonNegative(blockLossWeight, "blockLossWeight")
        }
    }

    public let base: ETAModel
    public let intent: UserIntentModule
    public let configuration: Configuration

    public init(dataset: Dataset, configuration: Configuration, seed: UInt64) throws {
        for label in [configuration.portalVisit, configuration.blockClick, configuration.recentPortal]
        where dataset.schema.resolvedColumn(label)?.kind != .label {
            throw DataError.missingRequirement(dataset: dataset.schema.name, column: label, reason: "a user-day label of USD")
        }
        base = try ETAModel(dataset: dataset, configuration: configuration.base, seed: seed)
        var generator = RandomGenerator(seed: seed ^ 0x05D_1A7E)
        intent = UserIntentModule(configuration: configuration.intent, generator: &generator)
        self.configuration = configuration
        super.init()
    }

    /// BASE's columns and sequences, UIEM's intent sequence and the user-day labels; the
    /// sampler keeps the CTR sample `U'` and UIEM's sample `Û` (`r_p = 1`): a batch must hold
    /// both.
    public var requirements: DataRequirements {
        let keys = configuration.dedupeUsers ? [configuration.userColumn, configuration.dayColumn] : []
        let inherited = base.requirements
        return DataRequirements(
            columns: inherited.columns.union(
                [configuration.intent.sequence, configuration.portalVisit, configuration.blockClick, configuration.recentPortal] + keys),
            sequences: inherited.sequences.merging(
                [configuration.intent.sequence: SequencePolicy(length: configuration.intent.length)]) { first, _ in first },
            rowSampler: sampleColumn.map { RowSampler(anyOf: [$0, configuration.recentPortal]) })
    }

    /// The CTR task, then UIEM's two intents against the day's labels on every row.
    public var evaluationTasks: [EvaluationTask] {
        [
            EvaluationTask(name: "", outputs: [base.label], label: base.label),
            EvaluationTask(name: "portal_intent", outputs: ["portal"], label: configuration.portalVisit, truth: nil),
            EvaluationTask(name: "block_intent", outputs: ["block"], label: configuration.blockClick, truth: nil),
        ]
    }

    /// The label column whose 1s form the CTR sample `U'` (`nil`: every exposure).
    private var sampleColumn: String? {
        switch configuration.sampler {
        case .portalVisit: return configuration.portalVisit
        case .blockClick: return configuration.blockClick
        case .none: return nil
        }
    }

    public func callAsFunction(_ batch: Batch) throws -> [String: Tensor] {
        // The intent module shares nothing with BASE: branches beside BASE's long and short
        // interest, forward and backward, one per half-batch as theirs (the largest branches,
        // so first).
        let halves = ETAModel.halves(of: batch.size)
        let (logits, alongside) = try base.logits(batch, alongside: halves.map { half in
            { [self] in
                let (portal, block) = try intent(batch, rows: halves.count == 1 ? nil : half)
                return [portal, block]
            }
        })
        func joined(_ index: Int) -> Tensor {
            alongside.count == 1 ? alongside[0][index] : Tensor.concatenated(alongside.map { $0[index] }, alongAxis: 0)
        }
        return [base.label: logits, "portal": joined(0), "block": joined(1)]
    }

    public func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective {
        let click = try batch.tensor(base.label)
        let portalVisit = try batch.tensor(configuration.portalVisit)
        let blockClick = try batch.tensor(configuration.blockClick)
        let recent = try uiemRows(batch)
        let inSample = try sampleColumn.map { try batch.tensor($0) } ?? Tensor(Array(repeating: 1, count: batch.size))
        let blockRows = inSample * blockClick
        let portalRows = inSample * portalVisit * (1 - blockClick)
        let weights = dualWeights(portalLogits: outputs["portal"]!, blockLogits: outputs["block"]!, portalRows: portalRows, blockRows: blockRows, inSample: inSample)
        let ctrLoss = Self.weightedClickLoss(logits: outputs[base.label]!, labels: click, weights: weights, inSample: inSample)
        let uiemRows = Swift.max(recent.sum().scalar, 1)
        let portalLoss = Losses.binaryCrossEntropy(logits: outputs["portal"]!, labels: portalVisit, weights: recent, reduction: .sum) / uiemRows
        let blockLoss = Losses.binaryCrossEntropy(logits: outputs["block"]!, labels: blockClick, weights: recent, reduction: .sum) / uiemRows
        func mean(_ rows: Tensor) -> Tensor {
            let count = rows.sum().scalar
            return count > 0 ? (weights * rows).sum() / count : Tensor(.nan)
        }
        // Each term is a mean over its own rows: the sampled rows, the rows UIEM learns from.
        let (sampledCount, uiemCount) = (Int(inSample.sum().scalar), Int(recent.sum().scalar))
        return Objective(
            tasks: [
                .init(name: "ctr", loss: ctrLoss, rows: sampledCount),
                .init(name: "portal", loss: portalLoss, weight: configuration.portalLossWeight, rows: uiemCount),
                .init(name: "block", loss: blockLoss, weight: configuration.blockLossWeight, rows: uiemCount),
            ],
            logs: ["portal_weight_mean": mean(portalRows), "block_weight_mean": mean(blockRows), "sampled_rows": inSample.sum()])
    }

    /// 1 on the batch rows UIEM learns from (`r_p = 1`; with `dedupeUsers`, the first row of
    /// each user-day), `[n]`.
    private func uiemRows(_ batch: Batch) throws -> Tensor {
        let recent = try batch.tensor(configuration.recentPortal)
        guard configuration.dedupeUsers else { return recent }
        guard let users = batch.keys[configuration.userColumn], let days = batch.integers[configuration.dayColumn] else {
            throw DataError.missingRequirement(dataset: "batch", column: configuration.userColumn, reason: "dedupeUsers needs the user and day of every row")
        }
        var seen = Set<[Int64]>()
        let first = zip(users, days).map { seen.insert([$0, $1]).inserted ? Float(1) : 0 }
        return recent * Tensor(first)
    }

    /// Eq. 7's weights `[n]`, constants: `clip(1 + e^{z_p}, min, max)` on portal rows
    /// (= 1/(1 − ŷ_p)), `clip(1 + e^{−z_b}, min, max)` on block rows (= 1/ŷ_b), 1 on other
    /// sampled rows and wherever a weighting is switched off.
    public func dualWeights(portalLogits: Tensor, blockLogits: Tensor, portalRows: Tensor, blockRows: Tensor, inSample: Tensor) -> Tensor {
        withoutGradients {
            let low = configuration.minimumWeight
            let high = configuration.maximumWeight
            // exp of a logit clamped at 30 already exceeds any cap; the clamp keeps it finite.
            let portal = configuration.portalWeighting
                ? (1 + portalLogits.detached().clamped(max: 30).exp()).clamped(min: low, max: high) : Tensor(1)
            let block = configuration.blockWeighting
                ? (1 + (-blockLogits.detached()).clamped(max: 30).exp()).clamped(min: low, max: high) : Tensor(1)
            return portalRows * portal + blockRows * block + (inSample - portalRows - blockRows)
        }
    }

    /// `L'_CTR = (1/|B'|) Σ_{B'} w·e(y, ŷ)`, `|B'|` the sampled rows of the batch.
    public static func weightedClickLoss(logits: Tensor, labels: Tensor, weights: Tensor, inSample: Tensor) -> Tensor {
        let sampled = Swift.max(inSample.sum().scalar, 1)
        return Losses.binaryCrossEntropy(logits: logits, labels: labels, weights: weights * inSample, reduction: .sum) / sampled
    }
}
