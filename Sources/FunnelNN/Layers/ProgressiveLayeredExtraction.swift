import FunnelTensor

/// Progressive layered extraction (PLE; Tang et al., RecSys 2020, DOI 10.1145/3383313.3412236;
/// multitask.md §2): stacked extraction levels ("CGC") of shared experts and task-specific
/// experts.
///
/// Level `l` keeps one state per task `x_t` and a shared state `x_s` (all the input at level 1):
/// - task gate `t`: `softmax(W_t x_t)` over `[T_{t,1..m_t}(x_t), S_{1..m_s}(x_s)]` (task experts
///   first, then shared) → the next `x_t`;
/// - shared gate (every level but the last): `softmax(V x_s)` over
///   `[T_{1,*}(x_1), …, T_{T,*}(x_T), S_*(x_s)]` → the next `x_s`. With no shared experts the
///   shared state feeds nothing, so no shared gate is built.
///
/// Every expert is one MLP block `Linear → (BatchNorm) → ReLU → (Dropout)` of the level's width.
/// Mixing is ``MixtureOfExperts/mix(_:logits:)``.
///
/// Shapes: input `[n, inputDimensions]` → one `[n, widths.last]` per task.
public final class ProgressiveLayeredExtraction: Module {
    /// One extraction level (CGC).
    public final class Level: Module {
        /// `m_s` experts reading the shared state.
        public let shared: [MLP]
        /// `m_t` experts per task, reading that task's state.
        public let specific: [[MLP]]
        /// Per task: `Linear(input → m_t + m_s)`.
        public let taskGates: [Linear]
        /// `Linear(input → T·m_t + m_s)`; `nil` at the last level (and without shared experts).
        public let sharedGate: Linear?

        init(
            inputDimensions: Int, width: Int, tasks: Int, sharedExperts: Int, taskExperts: Int, last: Bool,
            batchNorm: Bool, dropout: Float, generator: inout RandomGenerator
        ) {
            func expert(_ generator: inout RandomGenerator) -> MLP {
                MLP(inputDimensions: inputDimensions, hiddenDimensions: [width], dropout: dropout, batchNorm: batchNorm, generator: &generator)
            }
            shared = (0..<sharedExperts).map { _ in expert(&generator) }
            specific = (0..<tasks).map { _ in (0..<taskExperts).map { _ in expert(&generator) } }
            taskGates = (0..<tasks).map { _ in Linear(inputDimensions, taskExperts + sharedExperts, generator: &generator) }
            sharedGate = last || sharedExperts == 0
                ? nil : Linear(inputDimensions, tasks * taskExperts + sharedExperts, generator: &generator)
            super.init()
        }

        /// The next states `(tasks, shared)` from `(tasks, shared)`; the shared one is `nil`
        /// when there is no shared gate.
        func callAsFunction(tasks states: [Tensor], shared state: Tensor?) -> (tasks: [Tensor], shared: Tensor?) {
            let sharedOutputs = state.map { input in shared.map { $0(input) } } ?? []
            let taskOutputs = zip(specific, states).map { experts, input in experts.map { $0(input) } }
            let next = states.indices.map { task in
                MixtureOfExperts.mix(taskOutputs[task] + sharedOutputs, logits: taskGates[task](states[task]))
            }
            guard let sharedGate, let state else { return (next, nil) }
            return (next, MixtureOfExperts.mix(taskOutputs.flatMap { $0 } + sharedOutputs, logits: sharedGate(state)))
        }
    }

    public let levels: [Level]

    /// - Parameters:
    ///   - inputDimensions: the width of the input.
    ///   - widths: each level's output width (the number of levels `L = widths.count`).
    ///   - tasks: `T`.
    ///   - sharedExperts: `m_s` per level (may be 0).
    ///   - taskExperts: `m_t` per task and level (may be 0 when `sharedExperts` is not).
    ///   - batchNorm, dropout: the experts' MLP block options.
    /// Levels draw from `generator` in order: shared experts, task experts (task by task), task
    /// gates, shared gate.
    public init(
        inputDimensions: Int, widths: [Int], tasks: Int, sharedExperts: Int, taskExperts: Int,
        batchNorm: Bool = false, dropout: Float = 0, generator: inout RandomGenerator
    ) {
        precondition(!widths.isEmpty && widths.allSatisfy { $0 > 0 }, "Funnel: PLE needs levels of positive width")
        precondition(tasks > 0 && sharedExperts >= 0 && taskExperts >= 0 && sharedExperts + taskExperts > 0,
                     "Funnel: PLE needs tasks and experts")
        var input = inputDimensions
        var levels: [Level] = []
        for (index, width) in widths.enumerated() {
            levels.append(Level(
                inputDimensions: input, width: width, tasks: tasks, sharedExperts: sharedExperts, taskExperts: taskExperts,
                last: index == widths.count - 1, batchNorm: batchNorm, dropout: dropout, generator: &generator))
            input = width
        }
        self.levels = levels
        super.init()
    }

    public var outputDimensions: Int { levels.last!.shared.first?.layers[0].outputDimensions ?? levels.last!.specific[0][0].layers[0].outputDimensions }
    public var tasks: Int { levels[0].taskGates.count }

    /// Each task's representation after the last level, in task order.
    public func callAsFunction(_ input: Tensor) -> [Tensor] {
        var states = Array(repeating: input, count: tasks)
        var shared: Tensor? = input
        for level in levels {
            (states, shared) = level(tasks: states, shared: shared)
        }
        return states
    }
}
