import FunnelData
import FunnelNN
import FunnelTensor

/// EKTM, effective knowledge transfer for multi-task recommendation (Cai, Yuan, Dong, arXiv
/// 2605.05730; multitask.md §4). The first task is CTR (`t = 0`), every further task a CVR task
/// (`t = 1…T`, `T ≥ 1`). On a ``MultiTaskNetwork`` backbone (shared-bottom, MMoE or PLE, built
/// exactly as those models build it) whose task representations `f_t` are the towers' inputs:
///
/// 1. ``EKTMRouter``: `s_ij = softmax_j(<W_q f_i, W_k f_j>/√h)` over the CVR tasks and
///    `F_i = (f_0 + Σ_j s_ij f_j)/(T + 1)` (§4.2 step 2).
/// 2. ``EKTMTransmitter`` per CVR task: `k_i = W2 ReLU(W1 F_i + b1) + b2` (step 3).
/// 3. ``EKTMEnhancer`` per CVR task: `h_i = f_i + σ(w^T[f_i; k_i] + c)·k_i`; the task's logit
///    `z_i^+ = tower_i(h_i)`, and for the loss the no-transfer logit `z_i^- = tower_i(f_i)` (step 4).
/// 4. Loss: each task's BCE (product BCE for a task chained on another), plus for each CVR
///    task `λ_enh · mean_b(w_b · max(0, l(y, z^+) − sg(l(y, z^-))))` with the hard-example weight
///    `w_b = sg(|y − p^-|^γ)` (step 5), added to that task's term (so a per-task step sees it).
///
/// Everything but the backbone is the spec's [ASSUMED] reference design and switchable:
/// `router` off gives `F_i = f_i` (no pooling); `transmitter` off gives `k_i ≡ 0`, so the model
/// predicts exactly what its backbone model (same configuration, same seed) predicts and the
/// hinge is 0; `enhancedModule` off gives the plain residual `h_i = f_i + k_i` and no hinge.
/// The EKTM layers draw from their own generator, after the backbone's, so the backbone's
/// weights do not depend on them.
public final class EKTMModel: Module, FunnelModel, RegisteredModel {
    public static let summary = "EKTM: router, per-CVR-task transmitter and enhanced module on a Shared-Bottom/MMoE/PLE backbone (arXiv 2605.05730; first task CTR, then CVR tasks; default click, conversion)"
    public static var testFixture: ModelFixture {
        ModelFixture(configuration: #"{"embeddingDimensions": 4, "experts": 3, "expertHidden": [16, 8], "towerHidden": [8]}"#)
    }

    public enum Backbone: String, Codable, Sendable, CaseIterable, StrictEnum {
        case sharedBottom = "shared-bottom"
        case mmoe
        case ple
    }

    public struct Configuration: MultiTaskConfiguration, Equatable {
        /// The first task is CTR, the others CVR tasks (default `ctr` on `click`, `ctcvr` on
        /// `conversion`; the funnel world with `conversionTypes` 3: `purchase`, `add_to_cart`,
        /// `favourite` after `click`).
        public var tasks = Self.defaultTasks
        public var categorical: [String]?
        public var dense: [String]?
        public var embeddingDimensions = 128
        public var towerHidden = [128, 64]
        public var dropout: Float = 0.2
        public var batchNorm = true
        /// The backbone (`mmoe`), with its fields as in `shared-bottom`, `mmoe` and `ple`.
        public var backbone = Backbone.mmoe
        /// shared-bottom: the shared MLP's hidden layers ((512, 256)).
        public var bottomHidden = [512, 256]
        /// mmoe: experts (8) and each expert's hidden layers ((512, 256)).
        public var experts = 8
        public var expertHidden = [512, 256]
        /// ple: shared experts (4), task experts (4) per level, level widths ((512, 256)).
        public var sharedExperts = 4
        public var taskExperts = 4
        public var levelWidths = [512, 256]
        /// The router (true); off: `F_i = f_i`.
        public var router = true
        /// The transmitters (true); off: `k_i ≡ 0`, the backbone's predictions.
        public var transmitter = true
        /// The enhanced module: gate and hinge loss (true); off: `h_i = f_i + k_i`, no hinge.
        public var enhancedModule = true
        /// The transmitter's hidden width; `nil`: `h`, the backbone's representation width.
        public var transmitterHidden: Int?
        /// `λ_enh`, the hinge term's weight (0.1).
        public var enhancedWeight: Float = 0.1
        /// `γ` of the hard-example weight `|y − p^-|^γ` (1; 0 turns the weight off).
        public var hardExampleGamma: Float = 1
        /// Scale the router's scores by `1/√h` (true).
        public var routerScaled = true
        /// The router's divisor: `tasks`, `(T + 1)` as §4.2's formula (default); `pair`, 2 (the
        /// mean of `f_0` and the attended mixture, which is what §4.5's "equal features pool to
        /// `f`" oracle needs for T > 1; both agree at T = 1).
        public var routerNormalisation = EKTMRouter.Normalisation.tasks
        public init() {}

        public func validate() throws {
            try validateMultiTask()
            let check = ModelConfigurationCheck()
            guard tasks.count >= 2 else {
                throw check.refusal("tasks", "\(tasks.count) task; EKTM needs the CTR task first and at least one CVR task")
            }
            switch backbone {
            case .sharedBottom:
                try check.widths(bottomHidden, "bottomHidden", nonEmpty: true)
            case .mmoe:
                try check.positive(experts, "experts", maximum: ModelConfigurationCheck.maximumCount, what: "a number of experts")
                try check.widths(expertHidden, "expertHidden", nonEmpty: true)
            case .ple:
                for (value, field) in [(sharedExperts, "sharedExperts"), (taskExperts, "taskExperts")]
                where value < 0 || value > ModelConfigurationCheck.maximumCount {
                    throw check.refusal(field, "\(value); expected a number of experts in 0...\(ModelConfigurationCheck.maximumCount)")
                }
                guard sharedExperts + taskExperts > 0 else {
                    throw check.refusal("sharedExperts", "0 with taskExperts 0: a level needs at least one expert")
                }
                try check.widths(levelWidths, "levelWidths", nonEmpty: true)
            }
            if let transmitterHidden { try check.positive(transmitterHidden, "transmitterHidden") }
            try check.nonNegative(enhancedWeight, "enhancedWeight")
            try check.nonNegative(hardExampleGamma, "hardExampleGamma")
        }

        var networkBackbone: MultiTaskNetwork.Backbone {
            switch backbone {
            case .sharedBottom: .sharedBottom(hidden: bottomHidden)
            case .mmoe: .mixtureOfExperts(experts: experts, hidden: expertHidden)
            case .ple: .progressiveLayeredExtraction(widths: levelWidths, sharedExperts: sharedExperts, taskExperts: taskExperts)
            }
        }
    }

    /// What one forward pass computes, for the outputs and for tests.
    public struct Forward {
        /// `f_t`, every task's representation `[n, h]`.
        public var features: [Tensor]
        /// `F_i` per CVR task (empty with the transmitter off).
        public var knowledge: [Tensor]
        /// `s` `[n, T, T]` (nil with the router or the transmitter off).
        public var routerWeights: Tensor?
        /// `k_i` per CVR task (empty with the transmitter off).
        public var transmitted: [Tensor]
        /// `z_t` `[n]` per task (`z_i^+` for a CVR task).
        public var logits: [Tensor]
        /// `z_i^-` `[n]` per CVR task, the no-transfer logits.
        public var plainLogits: [Tensor]
    }

    /// The output name of a CVR task's no-transfer logit `z_i^-`.
    public static func plainOutput(_ task: String) -> String { task + ".without_transfer" }

    public let network: MultiTaskNetwork
    public let router: EKTMRouter?
    public let transmitters: [EKTMTransmitter]
    public let enhancers: [EKTMEnhancer]
    public let configuration: Configuration

    public init(dataset: Dataset, configuration: Configuration, seed: UInt64) throws {
        try configuration.validate()
        network = try MultiTaskNetwork(dataset: dataset, configuration: configuration, backbone: configuration.networkBackbone, seed: seed)
        let h = network.representationWidth, cvrTasks = configuration.tasks.count - 1
        var generator = RandomGenerator(seed: seed ^ 0x656B_746D)  // "ektm"
        if configuration.transmitter {
            router = configuration.router ? EKTMRouter(
                width: h, scaled: configuration.routerScaled, normalisation: configuration.routerNormalisation, generator: &generator) : nil
            transmitters = (0..<cvrTasks).map { _ in
                EKTMTransmitter(width: h, hidden: configuration.transmitterHidden ?? h, generator: &generator)
            }
            enhancers = configuration.enhancedModule ? (0..<cvrTasks).map { _ in EKTMEnhancer(width: h, generator: &generator) } : []
        } else {
            router = nil
            transmitters = []
            enhancers = []
        }
        self.configuration = configuration
        super.init()
    }

    public var tasks: [MultiTaskSpecification] { network.tasks }

    public var requirements: DataRequirements { DataRequirements(columns: network.columns) }

    /// One binary task per task, as the backbone models: `σ(z_t)`, or `σ(z_c)·σ(z_t)` chained.
    public var evaluationTasks: [EvaluationTask] {
        tasks.map { task in
            EvaluationTask(name: task.name, outputs: task.chainedOn.map { [$0, task.name] } ?? [task.name], label: task.label)
        }
    }

    public func forward(_ batch: Batch) throws -> Forward {
        let features = try network.representations(batch)
        let n = batch.size
        let ctr = features[0], cvr = Array(features.dropFirst())
        var forward = Forward(features: features, knowledge: [], routerWeights: nil, transmitted: [], logits: [], plainLogits: [])
        guard !transmitters.isEmpty else {
            // The backbone's own tower pass (concurrent towers), so that training sums every
            // gradient in the backbone's order and stays equal to it bit for bit.
            let logits = network.towerLogits(features, rows: n)
            forward.logits = logits
            forward.plainLogits = Array(logits.dropFirst())
            return forward
        }
        forward.logits.append(network.towers[0](ctr).reshaped([n]))
        if let router {
            let (knowledge, weights) = router(ctr: ctr, cvr: cvr)
            forward.knowledge = knowledge
            forward.routerWeights = weights
        } else {
            forward.knowledge = cvr
        }
        for (offset, f) in cvr.enumerated() {
            let k = transmitters[offset](forward.knowledge[offset])
            forward.transmitted.append(k)
            let enhanced = enhancers.isEmpty ? f + k : enhancers[offset](feature: f, transmitted: k)
            let tower = network.towers[offset + 1]
            forward.logits.append(tower(enhanced).reshaped([n]))
            forward.plainLogits.append(enhancers.isEmpty ? forward.logits.last! : tower(f).reshaped([n]))
        }
        return forward
    }

    /// One logit `[n]` per task, and `<task>.without_transfer` (`z_i^-`) per CVR task.
    public func callAsFunction(_ batch: Batch) throws -> [String: Tensor] {
        let forward = try forward(batch)
        var outputs: [String: Tensor] = [:]
        for (index, task) in tasks.enumerated() {
            outputs[task.name] = forward.logits[index]
            if index > 0 { outputs[Self.plainOutput(task.name)] = forward.plainLogits[index - 1] }
        }
        return outputs
    }

    /// One term per task: the BCE (product BCE when chained), plus for a CVR task with the
    /// enhanced module on `λ_enh · hinge` (logged as `<task>_hinge`).
    public func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective {
        var logs: [String: Tensor] = [:]
        let terms = try tasks.enumerated().map { index, task -> Objective.Task in
            let labels = try batch.tensor(task.label)
            let logits = outputs[task.name]!
            var loss = task.chainedOn.map {
                Losses.productBinaryCrossEntropy(firstLogits: outputs[$0]!, secondLogits: logits, labels: labels)
            } ?? Losses.binaryCrossEntropy(logits: logits, labels: labels)
            if index > 0 && configuration.enhancedModule {
                let hinge = EKTMEnhancer.hinge(
                    logits: logits, plainLogits: outputs[Self.plainOutput(task.name)]!, labels: labels,
                    chainedLogits: task.chainedOn.map { outputs[$0]! }, gamma: configuration.hardExampleGamma)
                logs["\(task.name)_hinge"] = hinge.detached()
                if configuration.enhancedWeight > 0 { loss = loss + configuration.enhancedWeight * hinge }
            }
            return Objective.Task(name: task.name, loss: loss)
        }
        return Objective(tasks: terms, logs: logs)
    }
}

/// EKTM's router (multitask.md §4.2 step 2 [SECONDARY formula, ASSUMED similarity]): attention
/// over the CVR tasks' representations, `s_ij = softmax_j(<W_q f_i, W_k f_j>/√h)`, and the pooled
/// knowledge `F_i = (f_0 + Σ_j s_ij f_j)/(T + 1)`.
public final class EKTMRouter: Module {
    public let query: Linear
    public let key: Linear
    public let scaled: Bool
    public let normalisation: Normalisation

    /// The divisor of `f_0 + Σ_j s_ij f_j`.
    public enum Normalisation: String, Codable, Sendable, CaseIterable, StrictEnum {
        /// `T + 1` (multitask.md §4.2).
        case tasks
        /// 2: equal features pool to themselves for any T.
        case pair
    }

    public init(width: Int, scaled: Bool = true, normalisation: Normalisation = .tasks, generator: inout RandomGenerator) {
        query = Linear(width, width, bias: false, generator: &generator)
        key = Linear(width, width, bias: false, generator: &generator)
        self.scaled = scaled
        self.normalisation = normalisation
        super.init()
    }

    /// `s` `[n, T, T]` for the CVR representations `cvr` (`T` tensors `[n, h]`); rows sum to 1.
    public func weights(_ cvr: [Tensor]) -> Tensor {
        let stacked = Self.stack(cvr)
        var scores = Tensor.matmul(query(stacked), key(stacked), transposeRight: true)
        if scaled { scores = scores * (1 / Float(stacked.shape[2]).squareRoot()) }
        return scores.softmax(alongAxis: -1)
    }

    /// `(F_1…F_T, s)`.
    public func callAsFunction(ctr: Tensor, cvr: [Tensor]) -> (knowledge: [Tensor], weights: Tensor) {
        let weights = weights(cvr)
        let mixed = Tensor.matmul(weights, Self.stack(cvr))  // [n, T, h]
        let (n, h, count) = (ctr.shape[0], ctr.shape[1], cvr.count)
        let divisor = normalisation == .tasks ? Float(count + 1) : 2
        let knowledge = (0..<count).map { i in
            (ctr + mixed.sliced(alongAxis: 1, i..<(i + 1)).reshaped([n, h])) * (1 / divisor)
        }
        return (knowledge, weights)
    }

    static func stack(_ parts: [Tensor]) -> Tensor {
        let rows = parts.map { $0.reshaped([$0.shape[0], 1, $0.shape[1]]) }
        return rows.count == 1 ? rows[0] : Tensor.concatenated(rows, alongAxis: 1)
    }
}

/// EKTM's transmitter for one CVR task (multitask.md §4.2 step 3 [ASSUMED]):
/// `k = W2 ReLU(W1 F + b1) + b2`.
public final class EKTMTransmitter: Module {
    public let first: Linear
    public let second: Linear

    public init(width: Int, hidden: Int, generator: inout RandomGenerator) {
        first = Linear(width, hidden, generator: &generator)
        second = Linear(hidden, width, generator: &generator)
        super.init()
    }

    public func callAsFunction(_ knowledge: Tensor) -> Tensor { second(first(knowledge).relu()) }
}

/// EKTM's enhanced module for one CVR task (multitask.md §4.2 steps 4–5 [ASSUMED]): the gated
/// residual `h = f + σ(w^T[f; k] + c)·k` and the hard-example-weighted hinge loss.
public final class EKTMEnhancer: Module {
    public let gate: Linear

    public init(width: Int, generator: inout RandomGenerator) {
        gate = Linear(2 * width, 1, generator: &generator)
        super.init()
    }

    public func callAsFunction(feature: Tensor, transmitted: Tensor) -> Tensor {
        feature + gate(Tensor.concatenated([feature, transmitted], alongAxis: 1)).sigmoid() * transmitted
    }

    /// `mean_b(w_b · max(0, l(y, z^+) − sg(l(y, z^-))))`, `w_b = sg(|y − p^-|^γ)`, `l` the
    /// per-sample BCE. For a task chained on `c` (`chainedLogits`), `l` is the product BCE and
    /// `p^- = σ(z_c)σ(z^-)`, with `z_c` detached so the CTR task gets no gradient from the hinge
    /// (multitask.md §4.4). `γ = 0`: `w_b = 1`.
    public static func hinge(logits: Tensor, plainLogits: Tensor, labels: Tensor, chainedLogits: Tensor? = nil, gamma: Float) -> Tensor {
        func perSample(_ z: Tensor) -> Tensor {
            if let chainedLogits {
                return Losses.productBinaryCrossEntropy(
                    firstLogits: chainedLogits.detached(), secondLogits: z, labels: labels, reduction: .none)
            }
            return Losses.binaryCrossEntropy(logits: z, labels: labels, reduction: .none)
        }
        let plain = plainLogits.detached()
        var probability = plain.sigmoid()
        if let chainedLogits { probability = chainedLogits.detached().sigmoid() * probability }
        let excess = (perSample(logits) - perSample(plain)).relu()
        guard gamma != 0 else { return excess.mean() }
        return ((labels - probability).abs().pow(gamma) * excess).mean()
    }
}
