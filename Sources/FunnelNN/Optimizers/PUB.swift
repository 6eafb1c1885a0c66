#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FunnelTensor

/// PUB, Parameter Update Balancing (multitask.md §3; reference code `pub.py`,
/// `adam_multitask.py`): balances the tasks at the level of their Adam *updates* of the shared
/// parameters rather than their gradients.
///
/// Every `F` steps it forms each task's "what-if" Adam direction (the direction Adam would take
/// had only that task's gradient arrived), stacks them into `D`, `[T, P]`, and solves
/// `α ⊙ (Ĝα) = 1` on `Ĝ = DDᵀ/‖DDᵀ‖_F`, `[T, T]` (Nash bargaining). Each step then moves a
/// shared parameter by `−Σ_t α_t · Adam_t` and updates its moments once with `g_w = Σ_t α_t g_t`;
/// a task-specific parameter takes a plain Adam step with the unweighted sum of the tasks'
/// gradients. A parameter is *shared* when at least two tasks' gradients reach it (with one
/// task: every parameter it reaches, so PUB reduces to Adam).
///
/// Every optimizer group must be ``Adam`` (kind `adam` without L2 weight decay, or `adamw`);
/// PUB reads and writes the groups' moments and step counts and uses each group's current
/// (scheduled) learning rate, β₁, β₂, ε and decoupled weight decay. Row-sparse gradients
/// (embedding tables) update the union of the rows the tasks touched; a task that did not
/// touch a row of that union contributes `g_t = 0` there (its what-if direction is momentum
/// only), and rows outside it stay untouched (lazy, as ``Adam``).
public final class PUB: MultiTaskUpdate {
    /// Which parameters' directions build the update matrix `D`.
    public enum UpdateMatrix: String, Sendable, Equatable, StrictEnum {
        /// Every parameter the optimizer handles, as the reference code
        /// (`utils.py::get_shared_adam_updates`); other tasks' towers add zeros.
        case allParameters = "all"
        /// Only the shared parameters, as the paper's docstrings describe.
        case sharedOnly = "shared"
    }

    /// PUB's settings (defaults: multitask.md §3.2 and the [ASSUMED] Swift solver of §3.1).
    public struct Configuration: Codable, Sendable, Equatable {
        /// `F`: the weights are recomputed at steps `c = 1, 1 + F, 1 + 2F, …` (`c mod F == 1`).
        public var updateFrequency = 10
        /// Iterations of the multiplicative fixed point `α_i ← √(α_i / (Ĝα)_i)`.
        public var maximumIterations = 200
        /// Stop when `max_i |α_i(Ĝα)_i − 1|` is below this.
        public var tolerance = 1e-8
        /// Iterations of the damped-Newton fallback.
        public var newtonIterations = 100
        /// The weights are clamped into `[minimumWeight, maximumWeight]`.
        public var minimumWeight = 1e-4
        public var maximumWeight = 1e4
        /// Apply decoupled weight decay once per task inside the shared update (T times per
        /// step), as the reference code; `false`: once per step.
        public var legacyPerTaskDecay = false
        public var updateMatrix = UpdateMatrix.allParameters

        public init() {}

        /// Fields left out keep their defaults.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            func value<V: Decodable>(_ key: CodingKeys, _ fallback: V) throws -> V {
                try container.decodeIfPresent(V.self, forKey: key) ?? fallback
            }
            updateFrequency = try value(.updateFrequency, updateFrequency)
            maximumIterations = try value(.maximumIterations, maximumIterations)
            tolerance = try value(.tolerance, tolerance)
            newtonIterations = try value(.newtonIterations, newtonIterations)
            minimumWeight = try value(.minimumWeight, minimumWeight)
            maximumWeight = try value(.maximumWeight, maximumWeight)
            legacyPerTaskDecay = try value(.legacyPerTaskDecay, legacyPerTaskDecay)
            updateMatrix = try value(.updateMatrix, updateMatrix)
        }
    }

    /// Why PUB cannot step: a non-Adam group, no shared parameter, a task count that changed.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let configuration: Configuration
    /// The task weights `α`, `[T]` (empty until the first step, which uses all ones).
    public private(set) var weights: [Float] = []
    /// The global step counter `c` (steps taken).
    public private(set) var counter = 0

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Whether step `c` recomputes the weights: `c mod F == 1` (for `F = 1`: every `c ≥ 1`).
    public func recomputes(at counter: Int) -> Bool {
        counter >= 1 && (counter - 1) % configuration.updateFrequency == 0
    }

    public func step(_ gradients: TaskGradients, optimizer: OptimizerGroups, clipNorm: Float?) throws {
        let slots = try Self.adamSlots(optimizer)
        let taskCount = gradients.tasks.count
        var shared: [(slot: AdamSlot, slices: TaskSlices, index: Int)] = []
        var reached: [(slot: AdamSlot, slices: TaskSlices)] = []
        for (index, (name, parameter)) in gradients.parameters.enumerated() {
            guard let slices = TaskSlices(gradients, parameter: index) else { continue }
            guard let slot = slots[ObjectIdentifier(parameter)] else {
                throw Failure(description: "PUB: parameter '\(name)' is in no optimizer group")
            }
            reached.append((slot, slices))
            if slices.values.count(where: { $0 != nil }) >= min(2, taskCount) { shared.append((slot, slices, index)) }
        }
        guard !shared.isEmpty else {
            throw Failure(description: "PUB needs shared parameters: no parameter is reached by two or more of the tasks \(gradients.tasks.joined(separator: ", ")) (PUB balances the tasks' updates of shared parameters)")
        }
        if weights.isEmpty { weights = Array(repeating: 1, count: taskCount) }
        guard weights.count == taskCount else {
            throw Failure(description: "PUB: \(taskCount) tasks, but the weights are for \(weights.count)")
        }
        // Task-specific parameters step with the unweighted sum; one global norm clips all.
        gradients.accumulate()
        var scale: Float = 1
        if let clipNorm {
            let norm = optimizer.clipGradientNorm(clipNorm)
            if norm > clipNorm, norm > 0 { scale = clipNorm / norm }
        }
        for entry in shared { gradients.parameters[entry.index].parameter.zeroGradient() }
        if scale != 1 {
            for position in shared.indices { shared[position].slices.scale(by: scale) }
            for position in reached.indices { reached[position].slices.scale(by: scale) }
        }
        if recomputes(at: counter) {
            let matrix = configuration.updateMatrix == .allParameters ? reached : shared.map { ($0.slot, $0.slices) }
            let gram = Self.gramMatrix(matrix, tasks: taskCount)
            let solved = Self.solveWeights(gram: gram, previous: weights.map(Double.init), configuration: configuration)
            weights = solved.map(Float.init)
        }
        optimizer.step()
        for entry in shared { applyShared(entry.slot, entry.slices, parameter: gradients.parameters[entry.index].parameter) }
        counter += 1
    }

    /// §3.1 step 3 on one shared parameter: `k ← k + 1`; for each task the what-if moments
    /// `m'_t = β₁m + (1−β₁)g_t`, `v'_t = β₂v + (1−β₂)g_t²` and `p −= α_t·lr/b₁·m'_t/(√v'_t/√b₂ + ε)`;
    /// then `m, v` updated once with `g_w = Σ_t α_t g_t`.
    private func applyShared(_ slot: AdamSlot, _ slices: TaskSlices, parameter: Tensor) {
        let adam = slot.adam
        adam.parameterSteps[slot.index] += 1
        let k = Float(adam.parameterSteps[slot.index])
        let stepSize = adam.learningRate / (1 - powf(adam.beta1, k))
        let root2 = (1 - powf(adam.beta2, k)).squareRoot()
        let (beta1, beta2, epsilon) = (adam.beta1, adam.beta2, adam.epsilon)
        let decay = adam.decoupledWeightDecay ? 1 - adam.learningRate * adam.weightDecay : 1
        let legacy = configuration.legacyPerTaskDecay
        let (first, second) = (adam.firstMoments[slot.index].pointer, adam.secondMoments[slot.index].pointer)
        let alpha = weights
        let tasks = slices.values
        parameter.withUnsafeMutableBufferPointer { buffer in
            let values = buffer.baseAddress!
            slices.forEachElement { position, element in
                let (m, v) = (first[element], second[element])
                var value = legacy ? values[element] : values[element] * decay
                var delta: Float = 0
                var weighted: Float = 0
                for task in tasks.indices {
                    let g = tasks[task]?[position] ?? 0
                    let mt = beta1 * m + (1 - beta1) * g
                    let vt = beta2 * v + (1 - beta2) * g * g
                    let update = alpha[task] * (stepSize * mt / ((vt.squareRoot() / root2) + epsilon))
                    if legacy { value = value * decay - update } else { delta += update }
                    weighted += alpha[task] * g
                }
                values[element] = legacy ? value : value - delta
                first[element] = beta1 * m + (1 - beta1) * weighted
                second[element] = beta2 * v + (1 - beta2) * weighted * weighted
            }
        }
    }

    /// Every group's parameters mapped to their Adam; throws for a group of another kind or
    /// Adam with L2 (coupled) weight decay.
    static func adamSlots(_ optimizer: OptimizerGroups) throws -> [ObjectIdentifier: AdamSlot] {
        var slots: [ObjectIdentifier: AdamSlot] = [:]
        for group in optimizer.groups {
            guard let adam = group.optimizer as? Adam else {
                throw Failure(description: "PUB needs Adam in every optimizer group; group '\(group.name)' uses \(type(of: group.optimizer)) (use kind 'adam' or 'adamw')")
            }
            guard adam.decoupledWeightDecay || adam.weightDecay == 0 else {
                throw Failure(description: "PUB applies decoupled weight decay only; group '\(group.name)' is Adam with L2 weightDecay \(adam.weightDecay) (use kind 'adamw')")
            }
            for (index, parameter) in adam.parameters.enumerated() { slots[ObjectIdentifier(parameter)] = AdamSlot(adam: adam, index: index) }
        }
        return slots
    }

    /// `alpha` (`[T]`, absent before the first step) and `counter` (`c`).
    public func exportState() -> OptimizerState {
        var state = OptimizerState(integers: ["counter": [Int64(counter)]])
        if !weights.isEmpty { state.floats["alpha"] = weights }
        return state
    }

    public func importState(_ state: OptimizerState) throws {
        counter = try state.integers("counter", count: 1)[0]
        weights = state.floats["alpha"] ?? []
    }
}
