import FunnelTensor

/// AdagradDecayV2 (Alibaba PAI-TF / DeepRec; entire-space.md §11): Adagrad whose accumulator is
/// shrunk by `decayRate` once every `decayStep` global steps, never below its initial value.
///
/// For a gradient G at global step g (before incrementing): with s = g + 1, if ⌊s/T⌋ > P then
/// `A = max(A·ρ, a₀)` and `P += 1` (at most one decay per update); then `A += G²` and
/// `θ −= lr·G/√A` (no ε). The counter P is one per dense tensor and one per row of an embedding
/// table; a row untouched for several periods decays once per later touch until P catches up.
/// The global step advances once per ``step()``. USD trains with lr 0.01.
public final class AdagradDecayV2: Optimizer {
    public let initialAccumulator: Float
    public let decayStep: Int
    public let decayRate: Float
    public private(set) var accumulators: [StateBuffer<Float>] = []
    /// Per parameter: the decay counter P of the whole tensor (dense gradients).
    public private(set) var tensorDecayCounters: [Int]
    /// Per parameter: one decay counter per row (row-sparse gradients; rank-2 tables).
    public private(set) var rowDecayCounters: [StateBuffer<Int>] = []
    /// g: the number of completed steps.
    public private(set) var globalStep = 0
    /// Whether the dense tensor being updated decays at this step.
    /// Per parameter: whether its dense accumulator decays in this step.
    private var tensorDecays: [Bool]

    public init(
        namedParameters: [(name: String, parameter: Tensor)], learningRate: Float = 0.01,
        initialAccumulator: Float = 0.1, decayStep: Int = 100_000, decayRate: Float = 0.9
    ) {
        precondition(decayRate > 0 && decayRate < 1, "Funnel: AdagradDecayV2 decay rate must lie in (0, 1)")
        precondition(decayStep > 0, "Funnel: AdagradDecayV2 decay step must be positive")
        self.initialAccumulator = initialAccumulator
        self.decayStep = decayStep
        self.decayRate = decayRate
        tensorDecayCounters = Array(repeating: 0, count: namedParameters.count)
        tensorDecays = Array(repeating: false, count: namedParameters.count)
        super.init(namedParameters: namedParameters, learningRate: learningRate)
        accumulators = stateBuffers(repeating: initialAccumulator)
        rowDecayCounters = parameters.map { StateBuffer(count: $0.rank == 2 ? $0.shape[0] : 0, repeating: 0) }
    }

    /// Parameters named by their position: "0", "1", …
    public convenience init(
        parameters: [Tensor], learningRate: Float = 0.01, initialAccumulator: Float = 0.1,
        decayStep: Int = 100_000, decayRate: Float = 0.9
    ) {
        self.init(
            namedParameters: Self.positionNames(parameters), learningRate: learningRate,
            initialAccumulator: initialAccumulator, decayStep: decayStep, decayRate: decayRate)
    }

    public override func exportState() -> OptimizerState {
        var state = super.exportState()
        export(accumulators, as: "accumulators", into: &state)
        export(counters: tensorDecayCounters, as: "tensorDecayCounters", into: &state)
        for (index, counters) in rowDecayCounters.enumerated() {
            state.integers[stateKey("rowDecayCounters", index)] = counters.values.map(Int64.init)
        }
        state.integers["globalStep"] = [Int64(globalStep)]
        return state
    }

    public override func importState(_ state: OptimizerState) throws {
        try super.importState(state)
        try restore(accumulators, from: "accumulators", state)
        tensorDecayCounters = try restoreCounters(from: "tensorDecayCounters", state)
        for (index, counters) in rowDecayCounters.enumerated() {
            try state.restore(stateKey("rowDecayCounters", index), into: counters)
        }
        globalStep = try state.integers("globalStep", count: 1)[0]
    }

    public override func step() {
        super.step()
        globalStep += 1
    }

    /// ⌊(g + 1) / T⌋: the number of decays due by this step.
    private var period: Int { (globalStep + 1) / decayStep }

    public override func beginUpdate(_ index: Int, sparse: Bool) {
        guard !sparse else { return }
        tensorDecays[index] = period > tensorDecayCounters[index]
        if tensorDecays[index] { tensorDecayCounters[index] += 1 }
    }

    public override func update(
        _ index: Int, values: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, offset: Int, count: Int,
        row: Int?
    ) {
        var decays = tensorDecays[index]
        if let row {
            // Rows are distinct within a step, so each counter is touched by one task only.
            decays = period > rowDecayCounters[index][row]
            if decays { rowDecayCounters[index][row] += 1 }
        }
        let accumulator = accumulators[index].pointer + offset
        let (rate, floor, decayRate) = (learningRate, initialAccumulator, self.decayRate)
        for element in 0..<count {
            var sum = accumulator[element]
            if decays { sum = Swift.max(sum * decayRate, floor) }
            let g = gradient[element]
            sum += g * g
            accumulator[element] = sum
            values[element] -= rate * g / sum.squareRoot()
        }
    }
}
